#include "media/sniff.hpp"

#include <magic.h>

namespace parley {

namespace {

// libmagic's handle is not thread-safe and costs a database load to open: one per thread.
struct Cookie {
  magic_t m = nullptr;
  Cookie() {
    m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF | MAGIC_ERROR);
    if (m && magic_load(m, nullptr) != 0) {
      magic_close(m);
      m = nullptr;
    }
  }
  ~Cookie() {
    if (m) magic_close(m);
  }
};

}  // namespace

std::string sniff_type(std::string_view bytes) {
  thread_local Cookie cookie;
  constexpr std::string_view unknown = "application/octet-stream";
  if (!cookie.m || bytes.empty()) return std::string(unknown);
  const char* type = magic_buffer(cookie.m, bytes.data(), bytes.size());
  return type ? std::string(type) : std::string(unknown);
}

}  // namespace parley
