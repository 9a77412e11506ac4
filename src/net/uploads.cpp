#include "net/uploads.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <chrono>

#include "common/names.hpp"
#include "hub/hub.hpp"
#include "media/image.hpp"
#include "media/sniff.hpp"
#include "net/api_errors.hpp"
#include "net/byte_range.hpp"
#include "net/upgrade_check.hpp"
#include "store/blob_store.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::string_view kUserPrefix = "/api/uploads";
constexpr std::string_view kApiPrefix = "/api/v1/uploads";
constexpr int64_t kMaxImagePixels = 50'000'000;  // larger images get no thumbnail

int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// Images are shown in the page (inline); everything else is downloaded.
bool inline_type(std::string_view type) {
  return type == "image/png" || type == "image/jpeg" || type == "image/gif" || type == "image/webp";
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

// Content-Disposition with an ASCII fallback name and the UTF-8 one (RFC 6266, RFC 8187).
std::string disposition(std::string_view type, std::string_view name) {
  std::string plain, encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    plain += (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') ? '_' : c;
    if (std::isalnum(u) || std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[u >> 4];
      encoded += kHex[u & 15];
    }
  }
  return std::string(inline_type(type) ? "inline" : "attachment") + "; filename=\"" + plain + "\"; filename*=UTF-8''" +
         encoded;
}

json::object attachment_json(const Attachment& f) {
  json::object o{{"id", f.id}, {"name", f.name}, {"type", f.type}, {"size", f.size}};
  if (f.width > 0) {
    o["width"] = f.width;
    o["height"] = f.height;
  }
  if (f.thumb) o["thumb"] = true;
  return o;
}

// Who asks: the backend (its key was checked), or the user of the request's token.
std::optional<Actor> actor_of(NetContext& ctx, const HttpRequest& req, bool backend, bool token_in_query,
                              const Responder& respond) {
  if (backend) return Actor::backend();
  std::string token = request_token(req, token_in_query);
  if (token.empty()) {
    respond(api_error(req, 401, "unauthorized", "missing token (Authorization: Bearer <token>)"));
    return std::nullopt;
  }
  auto claims = ctx.jwt.verify(token, now_s());
  if (!claims.ok()) {
    respond(api_error(req, 401, "unauthorized", claims.status.message()));
    return std::nullopt;
  }
  return Actor::of_user(claims.value.sub, 0);
}

// Sniffs, measures and stores the file (on a blocking thread), then records it.
void receive(NetContext& ctx, HttpRequest req, Actor actor, std::string owner, std::string name, Responder respond) {
  auto body = std::make_shared<std::string>(std::move(req.body()));
  req.body().clear();
  ctx.run_blocking([&ctx, req = std::move(req), actor, owner, name, respond, body] {
    Upload u;
    u.owner = owner;
    u.file.id = new_upload_id();
    u.file.name = name;
    u.file.size = static_cast<int64_t>(body->size());
    u.file.type = sniff_type(*body);
    const auto& allowed = ctx.options.upload_types;
    if (std::find(allowed.begin(), allowed.end(), u.file.type) == allowed.end()) {
      return respond(api_error(req, 415, "unsupported_type", "files of type " + u.file.type + " are not accepted"));
    }
    std::string thumb;
    if (u.file.type.starts_with("image/")) {
      if (auto info = probe_image(*body, u.file.type, ctx.options.thumb_size, kMaxImagePixels)) {
        u.file.width = info->width;
        u.file.height = info->height;
        thumb = std::move(info->thumb);
        u.thumb_type = info->thumb_type;
        u.file.thumb = !thumb.empty();
      }
    }
    u.sha256 = sha256_hex(*body);
    BlobStore& blobs = *ctx.blobs;
    const std::string id = u.file.id;
    auto record = [&ctx, req, actor, u, respond, &blobs, id] {
      ctx.hub.add_upload(actor, u, [req, respond, &blobs, id](Result<Upload> r) {
        if (!r.ok()) {
          blobs.remove({id, id + std::string(kThumbSuffix)}, [](Result<bool>) {});
          return respond(status_error(req, r.status));
        }
        spdlog::debug("upload {} stored: {} bytes of {}", id, r.value.file.size, r.value.file.type);
        respond(json_response(req, 201, json::serialize(attachment_json(r.value.file))));
      });
    };
    auto failed = [req, respond](const Status& s) {
      spdlog::warn("upload: blob store: {}", s.message());
      respond(status_error(req, Status::unavailable(s.message())));
    };
    blobs.put(id, std::move(*body), [&blobs, id, thumb = std::move(thumb), record, failed](Result<bool> r) mutable {
      if (!r.ok()) return failed(r.status);
      if (thumb.empty()) return record();
      blobs.put(id + std::string(kThumbSuffix), std::move(thumb), [record, failed](Result<bool> t) {
        if (!t.ok()) return failed(t.status);
        record();
      });
    });
  });
}

// Sends the part of the blob the request asks for.
void send_file(NetContext& ctx, const HttpRequest& req, const Upload& u, bool thumb, Responder respond) {
  const std::string etag = "\"" + u.sha256.substr(0, 32) + (thumb ? "-t" : "") + "\"";
  const std::string type = thumb ? u.thumb_type : u.file.type;
  auto base = [req, etag, type, name = u.file.name](http::status status) {
    HttpResponse res{status, req.version()};
    res.set(http::field::server, "parley");
    res.set(http::field::etag, etag);
    res.set(http::field::cache_control, "private, max-age=86400");
    res.set(http::field::accept_ranges, "bytes");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy", "default-src 'none'; sandbox");
    res.set(http::field::content_type, type);
    res.set(http::field::content_disposition, disposition(type, name));
    res.keep_alive(req.keep_alive());
    return res;
  };
  auto inm = req[http::field::if_none_match];
  if (!inm.empty() && (inm == "*" || std::string_view(inm).find(etag) != std::string_view::npos)) {
    return respond(base(http::status::not_modified));
  }
  // A range only while the file is still the one the client has (If-Range).
  ByteRange range;
  RangeAnswer answer = RangeAnswer::whole;
  auto if_range = req[http::field::if_range];
  if (if_range.empty() || if_range == etag) answer = parse_range(req[http::field::range], u.file.size, range);
  if (thumb) answer = RangeAnswer::whole;  // thumbnails are small: always whole
  if (answer == RangeAnswer::unsatisfiable) {
    auto res = base(http::status::range_not_satisfiable);
    res.set(http::field::content_range, "bytes */" + std::to_string(u.file.size));
    return respond(std::move(res));
  }
  const bool head = req.method() == http::verb::head;
  const std::string key = u.file.id + (thumb ? std::string(kThumbSuffix) : "");
  const int64_t offset = answer == RangeAnswer::partial ? range.first : 0;
  const int64_t length = answer == RangeAnswer::partial ? range.length() : -1;
  if (head && !thumb) {
    auto res = base(answer == RangeAnswer::partial ? http::status::partial_content : http::status::ok);
    if (answer == RangeAnswer::partial) {
      res.set(http::field::content_range, "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) +
                                              "/" + std::to_string(u.file.size));
    }
    res.content_length(answer == RangeAnswer::partial ? range.length() : u.file.size);
    return respond(std::move(res));
  }
  ctx.blobs->get(key, offset, length, [base, respond, answer, range, head, req](Result<BlobPart> r) {
    if (r.status.code() == Status::Code::not_found) {
      return respond(api_error(req, 404, "not_found", "no such upload"));
    }
    if (!r.ok()) return respond(status_error(req, Status::unavailable(r.status.message())));
    auto res = base(answer == RangeAnswer::partial ? http::status::partial_content : http::status::ok);
    if (answer == RangeAnswer::partial) {
      res.set(http::field::content_range, "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) +
                                              "/" + std::to_string(r.value.total));
    }
    if (head) {
      res.content_length(r.value.bytes.size());
    } else {
      res.body() = std::move(r.value.bytes);
    }
    respond(std::move(res));
  });
}

}  // namespace

bool is_upload_request(bool post, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  return post && (path == kUserPrefix || path == kApiPrefix);
}

UploadSlot UploadSlot::acquire(std::atomic<int>& in_flight, int limit) {
  UploadSlot slot;
  if (in_flight.fetch_add(1) >= limit) {
    in_flight.fetch_sub(1);
    return slot;
  }
  slot.n_ = &in_flight;
  return slot;
}

UploadSlot& UploadSlot::operator=(UploadSlot&& o) noexcept {
  if (this != &o) {
    if (n_) n_->fetch_sub(1);
    n_ = o.n_;
    o.n_ = nullptr;
  }
  return *this;
}

UploadSlot::~UploadSlot() {
  if (n_) n_->fetch_sub(1);
}

void handle_upload(NetContext& ctx, HttpRequest req, bool backend, Responder respond) {
  if (!ctx.blobs) return respond(api_error(req, 404, "not_found", "uploads are off"));
  auto actor = actor_of(ctx, req, backend, /*token_in_query=*/false, respond);
  if (!actor) return;
  auto url = boost::urls::parse_origin_form(std::string_view(req.target().data(), req.target().size()));
  if (!url) return respond(api_error(req, 400, "bad_request", "malformed request target"));
  std::string name = "file", owner = actor->user;
  if (auto it = url->params().find("name"); it != url->params().end()) name = clean_file_name((*it).value);
  if (auto it = url->params().find("user"); backend && it != url->params().end()) {
    owner = (*it).value;
    if (!valid_user_name(owner)) return respond(api_error(req, 400, "bad_request", "user names are [a-z0-9_]{1,32}"));
  }
  if (req.body().empty()) return respond(api_error(req, 400, "bad_request", "the body is the file, and it is empty"));
  if (req.body().size() > ctx.options.max_upload_bytes) {
    return respond(api_error(req, 413, "too_large",
                             "files are at most " + std::to_string(ctx.options.max_upload_bytes) + " bytes"));
  }
  receive(ctx, std::move(req), *actor, owner, name, std::move(respond));
}

void handle_upload_limits(NetContext& ctx, const HttpRequest& req, Responder respond) {
  if (!actor_of(ctx, req, /*backend=*/false, /*token_in_query=*/false, respond)) return;
  const Options& o = ctx.options;
  json::array types;
  for (const auto& t : o.upload_types) types.push_back(json::string(t));
  respond(json_response(req, 200, json::serialize(json::object{{"max_upload_bytes", o.max_upload_bytes},
                                                               {"max_attachments", o.max_attachments},
                                                               {"quota_bytes", o.upload_quota_bytes},
                                                               {"upload_types", std::move(types)},
                                                               {"enabled", ctx.blobs != nullptr}})));
}

void handle_download(NetContext& ctx, const HttpRequest& req, bool backend, Responder respond) {
  if (!ctx.blobs) return respond(api_error(req, 404, "not_found", "uploads are off"));
  auto url = boost::urls::parse_origin_form(std::string_view(req.target().data(), req.target().size()));
  if (!url) return respond(api_error(req, 400, "bad_request", "malformed request target"));
  // {"api", "uploads", id[, "thumb"]} or {"api", "v1", "uploads", id[, "thumb"]}
  std::vector<std::string> path;
  for (auto seg : url->segments()) path.push_back(seg);
  path.erase(path.begin(), path.begin() + (backend ? 3 : 2));
  const bool thumb = path.size() == 2 && path[1] == "thumb";
  if (path.empty() || path.size() > 2 || (path.size() == 2 && !thumb)) {
    return respond(api_error(req, 404, "not_found", "no such endpoint"));
  }
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    auto res = api_error(req, 405, "method_not_allowed", "allowed: GET, HEAD");
    res.set(http::field::allow, "GET, HEAD");
    return respond(std::move(res));
  }
  auto actor = actor_of(ctx, req, backend, /*token_in_query=*/true, respond);
  if (!actor) return;
  ctx.hub.open_upload(*actor, path[0], [&ctx, req, thumb, respond](Result<Upload> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    if (thumb && !r.value.file.thumb) return respond(api_error(req, 404, "not_found", "this upload has no thumbnail"));
    send_file(ctx, req, r.value, thumb, respond);
  });
}

}  // namespace parley
