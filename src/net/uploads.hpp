#pragma once
// Uploads over HTTP (docs/api.md "Uploads"):
//
//   POST /api/uploads?name=<file name>          a user's upload (Authorization: Bearer <token>)
//   GET  /api/uploads                           what uploads may be (limits, types; Bearer)
//   GET  /api/uploads/{id}[/thumb]              the file or its thumbnail (Bearer, or ?token=)
//   POST /api/v1/uploads?name=…[&user=<user>]   the backend's upload, or one for a user
//   GET  /api/v1/uploads/{id}[/thumb]           any file (X-Parley-Api-Key)
//
// The body of a POST is the file itself. Its type is sniffed from the content (libmagic) and
// must be in upload_types; images get their size and a thumbnail (libvips). The content goes
// to the blob store, the record to the hub (quotas), and the answer is the attachment's JSON.
// Downloads carry Content-Type, Content-Disposition, nosniff, an ETag and byte ranges.
#include <atomic>
#include <string_view>

#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

// Whether a request line is an upload (the session reads its body up to max_upload_bytes,
// not the 64 KiB of other requests).
bool is_upload_request(bool post, std::string_view target);

// An upload being received: counts against upload_concurrency until it is destroyed.
class UploadSlot {
 public:
  UploadSlot() = default;
  static UploadSlot acquire(std::atomic<int>& in_flight, int limit);
  UploadSlot(UploadSlot&& o) noexcept : n_(o.n_) { o.n_ = nullptr; }
  UploadSlot& operator=(UploadSlot&& o) noexcept;
  ~UploadSlot();
  bool held() const { return n_ != nullptr; }

 private:
  std::atomic<int>* n_ = nullptr;
};

// POST of an upload. `backend`: the server API's route (the key was checked).
void handle_upload(NetContext& ctx, HttpRequest req, bool backend, Responder respond);
// GET of /api/uploads: the limits a client checks a file against before sending it.
void handle_upload_limits(NetContext& ctx, const HttpRequest& req, Responder respond);
// GET/HEAD of /api/uploads/… (a user's token) and /api/v1/uploads/… (the key was checked).
void handle_download(NetContext& ctx, const HttpRequest& req, bool backend, Responder respond);

}  // namespace parley
