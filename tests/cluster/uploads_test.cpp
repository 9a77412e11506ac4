// Uploads in a cluster: the content is in PostgreSQL (the blob store of a cluster), so a file
// uploaded through one node is sent with a message through a second and downloaded through a
// third, or through nginx; authorization and revocation hold on every node.
#include "cluster_test.hpp"
#include "conversations.hpp"
#include "images.hpp"

#include <thread>

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Uploads : public ClusterTest {
protected:
  HttpResponse upload(int node, std::string_view user, std::string body, std::string_view name) {
    return http_request(port_of(node), "POST", "/api/uploads?name=" + std::string(name), std::move(body),
                        {{"Authorization", "Bearer " + token(user)}}, 20s);
  }
  HttpResponse download(int node, std::string_view user, const std::string& id, std::string_view suffix = "",
                        Headers extra = {}) {
    Headers h{{"Authorization", "Bearer " + token(user)}};
    h.insert(h.end(), extra.begin(), extra.end());
    return http_request(port_of(node), "GET", "/api/uploads/" + id + std::string(suffix), {}, h, 20s);
  }
};

TEST_F(Uploads, AFileUploadedThroughOneNodeIsServedByEveryOther) {
  start_cluster();
  auto alice = connect("alice", 1);
  auto bob = connect("bob", 2);
  join(*alice, "general");
  join(*bob, "general");
  // Larger than one chunk of any buffer on the way, through nginx.
  const std::string png = make_image(1600, 1200);
  auto r = upload(kLb, "alice", png, "big.png");
  ASSERT_EQ(r.status, 201) << r.body;
  auto file = body_of(r);
  const std::string id(file.at("id").as_string());
  EXPECT_EQ(get_int(file, "width"), 1600);
  for (int node : {0, 1, 2}) EXPECT_EQ(download(node, "alice", id).body, png) << "node " << node + 1;
  EXPECT_EQ(download(2, "bob", id).status, 404) << "not sent yet: alice's alone, on every node";
  auto ack = request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "view"},
                                          {"attachments", json::array{json::string(id)}}});
  ASSERT_EQ(ack.at("type"), "ack") << json::serialize(ack);
  auto seen = bob->expect(has({{"type", "message"}, {"seq", get_int(ack, "seq")}}), "the message on node 3", 10s);
  EXPECT_EQ(seen.at("attachments").as_array()[0].at("id"), json::value(id));
  auto got = download(0, "bob", id);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, png);
  auto part = download(2, "bob", id, "", {{"Range", "bytes=100-199"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, png.substr(100, 100)) << "a range read from PostgreSQL";
  auto thumb = download(1, "bob", id, "/thumb");
  EXPECT_EQ(image_size(thumb.body).width, 320);
  EXPECT_EQ(download(0, "carol", id).status, 404) << "carol is no member";
  ASSERT_EQ(entry(*alice, "delete", "general", get_int(ack, "seq")).at("type"), "ack");
  for (int node : {0, 1, 2}) EXPECT_EQ(download(node, "bob", id).status, 404) << "revoked on node " << node + 1;
}

TEST_F(Uploads, TheSweepRemovesExpiredAndDeletedFilesFromPostgreSQL) {
  start_cluster({{"--upload-ttl-s", "2"}, {"--upload-sweep-ms", "200"}});
  auto alice = connect("alice", 0);
  join(*alice, "general");
  auto blobs = [&] { return std::stoi(pg().query_value("SELECT count(*) FROM blobs", db_name())); };
  const std::string unsent(body_of(upload(1, "alice", "never sent\n", "a.txt")).at("id").as_string());
  const std::string sent(body_of(upload(2, "alice", make_image(40, 40), "b.png")).at("id").as_string());
  auto ack = request(*alice, "message", {{"room", "general"}, {"id", new_id()},
                                          {"attachments", json::array{json::string(sent)}}});
  ASSERT_EQ(ack.at("type"), "ack") << json::serialize(ack);
  EXPECT_EQ(blobs(), 3) << "two files and one thumbnail";
  ASSERT_EQ(entry(*alice, "delete", "general", get_int(ack, "seq")).at("type"), "ack");
  const auto until = std::chrono::steady_clock::now() + 15s;
  while (blobs() > 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(blobs(), 0) << "the deleted message's file and thumbnail, and the expired upload, are gone";
  EXPECT_EQ(std::stoi(pg().query_value("SELECT count(*) FROM uploads", db_name())), 0);
  for (int node : {0, 1, 2}) EXPECT_EQ(download(node, "alice", unsent).status, 404);
}

TEST_F(Uploads, NginxPassesFilesUpToTheLimitAndParleydRefusesLargerOnes) {
  start_cluster();
  std::string text;
  for (int i = 0; text.size() < (3u << 20); ++i) text += "line " + std::to_string(i * 7919 % 100003) + " of the log\n";
  auto r = upload(kLb, "alice", text, "server.log");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(download(2, "alice", std::string(body_of(r).at("id").as_string())).body, text);
  auto big = upload(kLb, "alice", std::string(10u << 20, 'x') + "\n", "huge.txt");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.json().at("code"), "too_large") << "parleyd's own answer, not nginx's page";
}

}  // namespace
}  // namespace parley::test::cluster
