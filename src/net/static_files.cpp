// Static files of the web client, served from options.web_root.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/http_api.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace fs = std::filesystem;

namespace {

std::string_view mime_of(const fs::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

HttpResponse static_file(const NetContext& ctx, const HttpRequest& req) {
  std::string_view target = req.target();
  std::string path(target.substr(0, target.find('?')));
  if (path.empty() || path[0] != '/' || path.find("..") != std::string::npos || path.find('\0') != std::string::npos) {
    return error_response(req, 400, "bad path");
  }
  std::error_code ec;
  fs::path root = fs::weakly_canonical(ctx.options.web_root, ec);
  if (ec || !fs::is_directory(root)) {
    if (path == "/") {
      auto res = json_response(req, 200, "parley is running. The web client is not built; see README.md.\n");
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      return res;
    }
    return error_response(req, 404, "not found");
  }
  fs::path file = fs::weakly_canonical(root / path.substr(1), ec);
  if (!ec && fs::is_directory(file)) file /= "index.html";
  // A path with no file is a client-side route of a single-page app: the operator console's
  // (admin/index.html) under /admin/, the chat's (index.html) elsewhere.
  if (ec || !fs::is_regular_file(file)) {
    const bool console = path == "/admin" || path.rfind("/admin/", 0) == 0;
    file = console && fs::is_regular_file(root / "admin" / "index.html") ? root / "admin" / "index.html" : root / "index.html";
  }
  auto rel = file.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return error_response(req, 404, "not found");
  std::ifstream in(file, std::ios::binary);
  if (!in) return error_response(req, 404, "not found");
  std::ostringstream body;
  body << in.rdbuf();
  auto res = json_response(req, 200, body.str());
  res.set(http::field::content_type, mime_of(file));
  res.set(http::field::cache_control, file.filename() == "index.html" ? "no-cache" : "public, max-age=3600");
  if (req.method() == http::verb::head) res.body().clear();
  return res;
}

}  // namespace parley
