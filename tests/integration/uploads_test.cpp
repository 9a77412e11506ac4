// Uploads and attachments (docs/api.md → Uploads, docs/protocol.md → Attachments): a file's
// type is sniffed from its content and checked against upload_types, its size against
// max_upload_bytes and the owner's quota; images get their size and a thumbnail; a message
// carries its author's unsent uploads; downloads go to the owner (unsent) or the room's
// members (sent), with ETag, ranges and safe headers; deleting the message revokes them, and
// unsent uploads expire.
#include <filesystem>
#include <thread>

#include "conversations.hpp"
#include "images.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kKey = "uploads-test-api-key-0123456789";

// Percent-encodes a query value.
std::string pct(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Polls `done` until it holds or `timeout` passes: for what the server does on its own
// schedule (the upload sweep), which tells nobody.
template <class F>
bool eventually(F done, std::chrono::milliseconds timeout = 10s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(25ms);
  }
  return true;
}

class Uploads : public ParleyTest {
protected:
  void SetUp() override { start_with({}); }
  void start_with(Flags flags) {
    flags["--api-keys"] = std::string(kKey);
    start_server(std::move(flags));
  }
  HttpResponse upload(std::string_view user, std::string body, std::string_view name = "file.bin",
                      Headers extra = {}) {
    Headers h{{"Authorization", "Bearer " + token(user)}, {"Content-Type", "application/octet-stream"}};
    h.insert(h.end(), extra.begin(), extra.end());
    return http_request(port(), "POST", "/api/uploads?name=" + pct(name), std::move(body), h);
  }
  // The attachment of a successful upload.
  json::object uploaded(std::string_view user, std::string body, std::string_view name = "file.bin") {
    auto r = upload(user, std::move(body), name);
    if (r.status != 201) throw std::runtime_error("upload: " + std::to_string(r.status) + " " + r.body);
    return body_of(r);
  }
  static std::string id_of(const json::object& attachment) { return std::string(attachment.at("id").as_string()); }
  HttpResponse download(std::string_view user, std::string_view id, std::string_view suffix = "", Headers extra = {},
                        std::string_view method = "GET") {
    Headers h{{"Authorization", "Bearer " + token(user)}};
    h.insert(h.end(), extra.begin(), extra.end());
    return http_request(port(), method, "/api/uploads/" + std::string(id) + std::string(suffix), {}, h);
  }
  // A message carrying `ids`; the reply (ack or error).
  json::object send_files(WsClient& c, std::string_view room, std::vector<std::string> ids, std::string_view text = "") {
    json::array files;
    for (auto& id : ids) files.push_back(json::string(id));
    json::object fields{{"room", room}, {"id", new_id()}, {"attachments", std::move(files)}};
    if (!text.empty()) fields["text"] = text;
    return request(c, "message", std::move(fields));
  }
  std::filesystem::path blob_path(const std::string& id) const { return data_dir() / "uploads" / id.substr(0, 2) / id; }
};

TEST_F(Uploads, AnImageGetsItsSizeAndAThumbnail) {
  const std::string png = make_image(640, 480);
  auto a = uploaded("alice", png, "holiday photo.png");
  EXPECT_EQ(a.at("type"), "image/png");
  EXPECT_EQ(a.at("name"), "holiday photo.png");
  EXPECT_EQ(get_int(a, "size"), static_cast<std::int64_t>(png.size()));
  EXPECT_EQ(get_int(a, "width"), 640);
  EXPECT_EQ(get_int(a, "height"), 480);
  EXPECT_TRUE(a.at("thumb").as_bool());
  auto file = download("alice", id_of(a));
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.body, png) << "the file comes back byte for byte";
  auto thumb = download("alice", id_of(a), "/thumb");
  ASSERT_EQ(thumb.status, 200) << thumb.body;
  EXPECT_EQ(thumb.header("Content-Type"), "image/png");
  auto size = image_size(thumb.body);
  EXPECT_EQ(size.width, 320) << "the thumbnail fits in thumb_size, keeping the aspect";
  EXPECT_EQ(size.height, 240);
  auto jpeg = uploaded("alice", make_image(100, 50, /*jpeg=*/true), "small.jpg");
  EXPECT_EQ(jpeg.at("type"), "image/jpeg");
  EXPECT_EQ(image_size(download("alice", id_of(jpeg), "/thumb").body).width, 100) << "small images are not enlarged";
  auto text = uploaded("alice", "just some notes\n", "notes.txt");
  EXPECT_EQ(text.at("type"), "text/plain");
  EXPECT_FALSE(text.contains("width"));
  EXPECT_EQ(download("alice", id_of(text), "/thumb").status, 404) << "no thumbnail for a text";
}

TEST_F(Uploads, TheTypeIsSniffedFromTheContentNotTheNameOrHeader) {
  auto a = uploaded("alice", make_image(20, 20), "innocent.txt");
  EXPECT_EQ(a.at("type"), "image/png") << "a PNG named .txt is a PNG";
  auto r = upload("alice", "<html><script>alert(1)</script></html>", "page.png", {{"Content-Type", "image/png"}});
  expect_api_error(r, 415, "unsupported_type");
  std::string elf("\x7f" "ELF\x02\x01\x01", 7);
  elf.resize(512, '\0');
  expect_api_error(upload("alice", elf, "photo.jpg"), 415, "unsupported_type");
  stop_server();
  start_with({{"--upload-types", "text/plain"}});
  expect_api_error(upload("alice", make_image(20, 20), "a.png"), 415, "unsupported_type");
  EXPECT_EQ(upload("alice", "hello\n", "a.txt").status, 201) << "the allow-list is upload_types";
}

TEST_F(Uploads, FilesOverTheLimitAreRefusedWith413) {
  stop_server();
  start_with({{"--max-upload-bytes", "1000"}, {"--upload-types", "text/plain,image/png"}});
  auto limits = body_of(http_request(port(), "GET", "/api/uploads", {}, {{"Authorization", "Bearer " + token("alice")}}));
  EXPECT_EQ(get_int(limits, "max_upload_bytes"), 1000) << "clients can check a file before sending it";
  EXPECT_EQ(get_int(limits, "max_attachments"), 10);
  EXPECT_EQ(limits.at("upload_types"), (json::array{"text/plain", "image/png"}));
  EXPECT_EQ(upload("alice", std::string(1000, 'a'), "exact.txt").status, 201) << "the limit itself is allowed";
  expect_api_error(upload("alice", std::string(1001, 'a'), "over.txt"), 413, "too_large");
  // Without a Content-Length (chunked), the body is cut off at the limit just the same.
  RawSocket raw(port());
  std::string chunk(1500, 'b');
  std::string body;
  int status = raw.http_exchange("POST /api/uploads?name=c.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                     token("alice") + "\r\nTransfer-Encoding: chunked\r\n\r\n5dc\r\n" + chunk +
                                     "\r\n0\r\n\r\n",
                                 body);
  EXPECT_EQ(status, 413) << body;
  expect_api_error(upload("alice", "", "empty.txt"), 400, "bad_request");
  auto nobody = http_request(port(), "POST", "/api/uploads?name=a.txt", "hello", {});
  expect_api_error(nobody, 401, "unauthorized");
  EXPECT_EQ(upload("alice", "still serving\n", "ok.txt").status, 201) << "the server keeps serving";
}

TEST_F(Uploads, AMessageCarriesItsAuthorsUploadsToEveryMember) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  auto photo = uploaded("alice", make_image(64, 32), "p.png");
  auto notes = uploaded("alice", "notes\n", "notes.txt");
  auto ack = send_files(*alice, "general", {id_of(photo), id_of(notes)}, "look");
  ASSERT_EQ(ack.at("type"), "ack") << json::serialize(ack);
  auto seen = bob->expect(has({{"type", "message"}, {"text", "look"}}), "the message with files");
  const auto& files = seen.at("attachments").as_array();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].as_object(), photo) << "each attachment is the upload's answer";
  EXPECT_EQ(files[1].as_object(), notes);
  auto alone = send_files(*alice, "general", {id_of(uploaded("alice", "x\n", "x.txt"))});
  EXPECT_EQ(alone.at("type"), "ack") << "files need no text";
  restart_server();
  auto carol = connect("carol");
  join(*carol, "general");
  auto page = history(*carol, "general", std::nullopt);
  const auto& first = page.at("messages").as_array()[0].as_object();
  EXPECT_EQ(first.at("attachments").as_array()[0].as_object(), photo) << "history replays them after a restart";
  EXPECT_EQ(download("carol", id_of(photo)).status, 200) << "a member who joined later may download";
}

TEST_F(Uploads, OnlyTheAuthorsUnsentUploadsCanBeAttached) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  auto a = id_of(uploaded("alice", "a\n", "a.txt"));
  EXPECT_EQ(code_of(send_files(*bob, "general", {a})), "not_found") << "not bob's upload";
  ASSERT_EQ(send_files(*alice, "general", {a}).at("type"), "ack");
  EXPECT_EQ(code_of(send_files(*alice, "general", {a})), "not_found") << "sent once already";
  auto b = id_of(uploaded("alice", "b\n", "b.txt"));
  EXPECT_EQ(code_of(send_files(*alice, "general", {b, b})), "bad_request") << "twice in one message";
  EXPECT_EQ(code_of(send_files(*alice, "general", {"not-an-id"})), "bad_request");
  EXPECT_EQ(code_of(send_files(*alice, "general", {"AAAAAAAAAAAAAAAAAAAAAA"})), "not_found") << "no such upload";
  std::vector<std::string> many;
  for (int i = 0; i < 11; ++i) many.push_back(id_of(uploaded("alice", "n" + std::to_string(i) + "\n", "n.txt")));
  EXPECT_EQ(code_of(send_files(*alice, "general", many)), "bad_request") << "max_attachments is 10";
  many.pop_back();
  EXPECT_EQ(send_files(*alice, "general", many).at("type"), "ack");
  // A message refused keeps its uploads unsent: they can still go with another one.
  auto c = id_of(uploaded("alice", "c\n", "c.txt"));
  EXPECT_EQ(code_of(send_files(*alice, "general", {c, a})), "not_found");
  EXPECT_EQ(send_files(*alice, "general", {c}).at("type"), "ack");
  // A resend (same id) is answered with the first ack, files and all.
  json::object fields{{"room", "general"}, {"id", "resend-1"}, {"attachments", json::array{json::string(b)}}};
  auto first = request(*alice, "message", fields);
  auto again = request(*alice, "message", fields);
  ASSERT_EQ(first.at("type"), "ack");
  EXPECT_EQ(again.at("seq"), first.at("seq"));
}

TEST_F(Uploads, DownloadsGoToTheOwnerThenToTheRoomsMembers) {
  auto alice = connect("alice");
  join(*alice, "general");
  auto bob = connect("bob");
  join(*bob, "general");
  auto id = id_of(uploaded("alice", "secret plan\n", "plan.txt"));
  EXPECT_EQ(download("alice", id).status, 200);
  expect_api_error(download("bob", id), 404, "not_found");
  ASSERT_EQ(send_files(*alice, "general", {id}).at("type"), "ack");
  EXPECT_EQ(download("bob", id).status, 200) << "a member of the room";
  expect_api_error(download("carol", id), 404, "not_found");
  expect_api_error(download("carol", id, "/thumb"), 404, "not_found");
  auto carol = connect("carol");
  join(*carol, "general");
  EXPECT_EQ(download("carol", id).status, 200) << "after joining";
  leave(*carol, "general");
  EXPECT_EQ(download("carol", id).status, 404) << "after leaving";
  expect_api_error(http_request(port(), "GET", "/api/uploads/" + id, {}, {}), 401, "unauthorized");
  EXPECT_EQ(http_request(port(), "GET", "/api/uploads/" + id + "?token=" + token("bob"), {}, {}).status, 200)
      << "a token in the query, for <img src>";
  EXPECT_EQ(http_request(port(), "GET", "/api/v1/uploads/" + id, {}, {{"X-Parley-Api-Key", std::string(kKey)}}).status, 200)
      << "the backend sees every file";
  // A direct room's files are its two members' alone.
  auto dm = request(*alice, "dm", {{"to", "bob"}});
  std::string room(dm.at("room").as_string());
  auto pic = id_of(uploaded("alice", make_image(10, 10), "dm.png"));
  ASSERT_EQ(send_files(*alice, room, {pic}).at("type"), "ack");
  EXPECT_EQ(download("bob", pic).status, 200);
  EXPECT_EQ(download("carol", pic).status, 404);
}

TEST_F(Uploads, DeletingTheMessageRevokesItsFiles) {
  stop_server();
  start_with({{"--upload-sweep-ms", "100"}});
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  auto id = id_of(uploaded("alice", make_image(50, 50), "gone.png"));
  auto seq = get_int(send_files(*alice, "general", {id}, "soon gone"), "seq");
  ASSERT_EQ(download("bob", id).status, 200);
  ASSERT_EQ(entry(*alice, "delete", "general", seq).at("type"), "ack");
  expect_api_error(download("bob", id), 404, "not_found");
  expect_api_error(download("alice", id), 404, "not_found");
  EXPECT_EQ(download("alice", id, "/thumb").status, 404);
  auto page = history(*bob, "general", std::nullopt);
  EXPECT_FALSE(page.at("messages").as_array()[0].as_object().contains("attachments")) << "the tombstone has none";
  EXPECT_TRUE(eventually([&] {
    return !std::filesystem::exists(blob_path(id)) && !std::filesystem::exists(blob_path(id + ".t"));
  })) << "the sweep removes the content and its thumbnail";
}

TEST_F(Uploads, RangesETagsAndSafeHeaders) {
  std::string body;
  for (int i = 0; i < 1000; ++i) body += static_cast<char>('a' + i % 26);
  body += '\n';
  auto id = id_of(uploaded("alice", body, "weird \"name\" é.txt"));
  auto whole = download("alice", id);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.header("Content-Type"), "text/plain");
  EXPECT_EQ(whole.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(whole.header("Accept-Ranges"), "bytes");
  EXPECT_EQ(whole.header("Content-Disposition"),
            "attachment; filename=\"weird _name_ __.txt\"; filename*=UTF-8''weird%20%22name%22%20%C3%A9.txt");
  EXPECT_NE(whole.header("Content-Security-Policy").find("sandbox"), std::string::npos);
  const std::string etag = whole.header("ETag");
  ASSERT_FALSE(etag.empty());
  auto part = download("alice", id, "", {{"Range", "bytes=10-19"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, body.substr(10, 10));
  EXPECT_EQ(part.header("Content-Range"), "bytes 10-19/1001");
  auto tail = download("alice", id, "", {{"Range", "bytes=-5"}});
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, body.substr(996));
  auto open_end = download("alice", id, "", {{"Range", "bytes=995-"}});
  EXPECT_EQ(open_end.body, body.substr(995));
  auto past = download("alice", id, "", {{"Range", "bytes=2000-"}});
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.header("Content-Range"), "bytes */1001");
  EXPECT_EQ(download("alice", id, "", {{"Range", "bytes=0-1,5-6"}}).status, 200) << "several ranges: the whole file";
  EXPECT_EQ(download("alice", id, "", {{"If-None-Match", etag}}).status, 304);
  EXPECT_EQ(download("alice", id, "", {{"Range", "bytes=0-9"}, {"If-Range", "\"other\""}}).status, 200)
      << "a changed file is sent whole";
  EXPECT_EQ(download("alice", id, "", {{"Range", "bytes=0-9"}, {"If-Range", etag}}).status, 206);
  auto head = download("alice", id, "", {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "1001");
  EXPECT_TRUE(head.body.empty());
  auto image = id_of(uploaded("alice", make_image(8, 8), "i.png"));
  EXPECT_EQ(download("alice", image).header("Content-Disposition").rfind("inline;", 0), 0u) << "images show inline";
}

TEST_F(Uploads, EachUserHasAQuota) {
  stop_server();
  start_with({{"--upload-quota-bytes", "5000"}, {"--upload-sweep-ms", "100"}});
  auto alice = connect("alice");
  join(*alice, "general");
  auto first = id_of(uploaded("alice", std::string(3000, 'a') + "\n", "a.txt"));
  expect_api_error(upload("alice", std::string(3000, 'b') + "\n", "b.txt"), 409, "limit_exceeded");
  EXPECT_EQ(upload("bob", std::string(3000, 'b') + "\n", "b.txt").status, 201) << "the quota is per user";
  auto seq = get_int(send_files(*alice, "general", {first}), "seq");
  EXPECT_EQ(upload("alice", std::string(3000, 'b') + "\n", "b.txt").status, 409) << "sent files count too";
  ASSERT_EQ(entry(*alice, "delete", "general", seq).at("type"), "ack");
  EXPECT_EQ(upload("alice", std::string(3000, 'b') + "\n", "b.txt").status, 201) << "a deleted file frees its bytes";
}

TEST_F(Uploads, UnsentUploadsExpire) {
  stop_server();
  start_with({{"--upload-ttl-s", "1"}, {"--upload-sweep-ms", "100"}});
  auto alice = connect("alice");
  join(*alice, "general");
  auto kept = id_of(uploaded("alice", "kept\n", "kept.txt"));
  ASSERT_EQ(send_files(*alice, "general", {kept}).at("type"), "ack");
  auto id = id_of(uploaded("alice", "forgotten\n", "f.txt"));
  EXPECT_TRUE(eventually([&] { return download("alice", id).status == 404; })) << "expired after upload_ttl_s";
  EXPECT_FALSE(std::filesystem::exists(blob_path(id)));
  EXPECT_EQ(code_of(send_files(*alice, "general", {id})), "not_found");
  EXPECT_EQ(download("alice", kept).status, 200) << "a sent file does not expire";
}

TEST_F(Uploads, TheBackendUploadsForAUserOrItself) {
  ApiClient api(port(), std::string(kKey));
  api.create_room("news");
  api.add_member("news", "alice");
  auto r = http_request(port(), "POST", "/api/v1/uploads?name=report.pdf&user=alice", "%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
                        {{"X-Parley-Api-Key", std::string(kKey)}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto file = body_of(r);
  EXPECT_EQ(file.at("type"), "application/pdf");
  EXPECT_EQ(download("alice", id_of(file)).status, 200) << "alice's own upload";
  auto published = api.publish("news", {{"user", "alice"}, {"text", "the report"}, {"attachments", json::array{file.at("id")}}});
  EXPECT_GT(get_int(published, "seq"), 0);
  auto own = body_of(http_request(port(), "POST", "/api/v1/uploads?name=banner.png", make_image(30, 10),
                                  {{"X-Parley-Api-Key", std::string(kKey)}}));
  EXPECT_EQ(download("alice", id_of(own)).status, 404) << "the backend's unsent upload is its own";
  api.publish("news", {{"system", true}, {"attachments", json::array{own.at("id")}}});
  EXPECT_EQ(download("alice", id_of(own)).status, 200) << "sent with a system message";
  auto bad = http_request(port(), "POST", "/api/v1/uploads?name=x.txt", "x\n", {{"X-Parley-Api-Key", "wrong"}});
  EXPECT_EQ(bad.status, 401);
}

TEST_F(Uploads, TooManyUploadsAtOnceAreToldToRetry) {
  stop_server();
  start_with({{"--upload-concurrency", "1"}});
  // One upload whose body is still coming holds the only slot.
  RawSocket slow(port());
  slow.send_all("POST /api/uploads?name=slow.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token("alice") +
                "\r\nContent-Length: 100\r\n\r\nhalf");
  HttpResponse second;
  ASSERT_TRUE(eventually([&] {
    second = upload("bob", "b\n", "b.txt");
    return second.status == 503;
  })) << second.status << " " << second.body;
  EXPECT_EQ(second.header("Retry-After").empty(), false);
  std::string body;
  slow.send_all(std::string(96, 'x'));
  // The first upload completes, and the slot is free again.
  EXPECT_TRUE(eventually([&] { return upload("bob", "b\n", "b.txt").status == 201; }));
}

}  // namespace
}  // namespace parley::test
