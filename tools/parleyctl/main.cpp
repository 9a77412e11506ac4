// parleyctl: the server API (docs/api.md) from a shell. The server's address comes from
// --url or PARLEY_URL (default http://127.0.0.1:8080), its API key from PARLEY_API_KEY or
// the first line of a file (--key-file or PARLEY_API_KEY_FILE); answers print as tables, or
// as the server's JSON with --json. See `parleyctl --help` and docs/parleyctl.md.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "commands.hpp"

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The key: the file's first line (trailing spaces cut) when a file is named, else the variable.
std::optional<std::string> api_key(const std::string& file, std::string& why) {
  if (file.empty()) return env("PARLEY_API_KEY");
  std::ifstream in(file);
  std::string key;
  if (!in || !std::getline(in, key)) {
    why = "cannot read the API key from " + file;
    return std::nullopt;
  }
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
  return key;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"parleyctl: the parley server API from the command line"};
  app.set_version_flag("--version", std::string("parleyctl ") + PARLEY_VERSION);
  std::string url = env("PARLEY_URL").empty() ? "http://127.0.0.1:8080" : env("PARLEY_URL");
  std::string key_file = env("PARLEY_API_KEY_FILE");
  bool as_json = false;
  parleyctl::TlsOptions tls;
  double timeout_s = 10;
  app.add_option("--url", url, "the server (env PARLEY_URL)")->capture_default_str();
  app.add_option("--key-file", key_file, "a file whose first line is the API key (env PARLEY_API_KEY_FILE; else PARLEY_API_KEY)");
  app.add_flag("--json", as_json, "print the server's JSON answers");
  app.add_option("--ca", tls.ca_file, "CA certificates (PEM) to verify an https server with");
  app.add_flag("--insecure", tls.insecure, "do not verify an https server's certificate");
  app.add_option("--timeout", timeout_s, "seconds to wait for each answer")->capture_default_str()->check(CLI::PositiveNumber);
  app.require_subcommand(1);
  app.footer("Exit status: 0 done, 1 the server refused (its error is printed) or is not ready, 2 usage, 3 no answer.");
  parleyctl::Action chosen;
  parleyctl::add_commands(app, chosen);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return parleyctl::kUsage;
  }
  std::string why;
  auto endpoint = parleyctl::parse_endpoint(url, why);
  auto key = api_key(key_file, why);
  if (!endpoint || !key) {
    std::cerr << "parleyctl: " << why << '\n';
    return parleyctl::kUsage;
  }
  parleyctl::ApiClient api(*endpoint, *key, tls, std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
  parleyctl::Context ctx{api, as_json, std::cout, std::cerr};
  try {
    chosen(ctx);
  } catch (const parleyctl::Refused&) {
    return parleyctl::kRefused;
  } catch (const parleyctl::TransportError& e) {
    std::cerr << "parleyctl: no answer: " << e.what() << '\n';
    return parleyctl::kNoAnswer;
  }
  return 0;
}
