#include "auth/secret.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace parley {

Result<std::string> load_or_create_secret(const std::string& data_dir, const std::string& name) {
  namespace fs = std::filesystem;
  fs::path path = fs::path(data_dir) / name;
  if (std::ifstream in{path}; in) {
    std::string secret;
    std::getline(in, secret);
    if (secret.size() >= 32) return secret;
    return Status::invalid(path.string() + " holds a secret shorter than 32 characters");
  }
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  std::string tmp = path.string() + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    if (!out) return Status::io_error("cannot write " + tmp);
    out << hex << "\n";
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::io_error("cannot create " + path.string() + ": " + ec.message());
  return std::string(hex);
}

}  // namespace parley
