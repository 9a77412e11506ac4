// Users on different nodes share rooms: messages, typing, read receipts and membership
// changes cross nodes, whether clients connect to a node directly or through nginx.
#include "child_process.hpp"
#include "cluster_test.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class CrossNode : public ClusterTest {};

TEST_F(CrossNode, UsersOnDifferentNodesChatInOneRoom) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  auto carol = connect("carol", 2);
  auto dave = connect("dave", kLb);  // wherever nginx sends him
  std::vector<WsClient*> all{alice.get(), bob.get(), carol.get(), dave.get()};
  for (WsClient* c : all) join(*c, "lobby");

  // One message from each, each seen by all four with the seq of its ack.
  std::vector<std::pair<std::string, std::int64_t>> sent;
  for (WsClient* c : all) {
    json::object ack = send_message(*c, "lobby", "hello from " + c->name());
    sent.emplace_back(get_str(ack, "id"), get_int(ack, "seq"));
  }
  for (std::size_t k = 0; k < sent.size(); ++k) EXPECT_EQ(sent[k].second, static_cast<std::int64_t>(k + 1));
  for (WsClient* c : all) {
    for (const auto& [id, seq] : sent) {
      json::object m = c->expect(message_with_id(id), "message " + id + " on " + c->name(), 10s);
      EXPECT_EQ(get_int(m, "seq"), seq) << c->name();
      EXPECT_EQ(get_str(m, "room"), "lobby");
    }
    expect_live_order(*c, "lobby", /*gap_free=*/true);
  }
  // The sender's name and text survive the trip through Redis.
  auto m = find_received(*carol, message_with_id(sent[0].first));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(get_str(*m, "user"), "alice");
  EXPECT_EQ(get_str(*m, "text"), "hello from " + alice->name());

  // The history is the same from every node.
  for (int target : {0, 1, 2, kLb}) {
    auto reader = connect("erin", target);
    join(*reader, "lobby");
    std::vector<json::object> stored = all_messages(*reader, "lobby");
    ASSERT_EQ(stored.size(), sent.size()) << target_name(target);
    for (std::size_t k = 0; k < sent.size(); ++k) EXPECT_EQ(get_str(stored[k], "id"), sent[k].first) << target_name(target);
    EXPECT_EQ(get_int(welcome_of(*connect("alice", target)).at("rooms").as_array().at(0).as_object(), "last_seq"),
              static_cast<std::int64_t>(sent.size()))
        << "welcome on " << target_name(target);
  }
}

TEST_F(CrossNode, NginxSpreadsClientsAndProxiesTheUpgrade) {
  start_cluster();
  // Several clients through nginx land on more than one node (least_conn) and chat.
  std::vector<std::unique_ptr<WsClient>> users;
  for (int i = 0; i < 6; ++i) {
    users.push_back(connect("viaproxy" + std::to_string(i), kLb));
    join(*users.back(), "via-lb");
  }
  json::object ack = send_message(*users[0], "via-lb", "through nginx");
  for (auto& u : users) u->expect(message_with_id(get_str(ack, "id")), "message via nginx", 10s);
  int nodes_used = 0;
  for (int i = 0; i < kNodes; ++i)
    nodes_used += read_file(node(i).log_path()).find("user viaproxy") != std::string::npos ? 1 : 0;
  EXPECT_GE(nodes_used, 2) << "nginx sent every client to one node";
  // HTTP endpoints work through nginx too.
  HttpResponse h = http_get(lb().port(), "/healthz");
  EXPECT_EQ(h.status, 200) << h.body << h.error;
}

TEST_F(CrossNode, TypingAndReadReceiptsCrossNodes) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  auto bob2 = connect("bob", 2);  // bob's second device, on a third node
  join(*alice, "talk");
  join(*bob, "talk");
  bob2->expect(has({{"type", "joined"}, {"room", "talk"}}), "joined on bob's other device", 10s);
  // Wait until node3 follows the room: a message from alice reaches bob2. (Whether the very
  // first events after `joined` arrive is ClusterEdges' business, not this test's.)
  ASSERT_TRUE(await_delivery(*alice, {bob.get(), bob2.get()}, "talk")) << "node3 never followed the room";

  alice->send_json({{"type", "typing"}, {"room", "talk"}, {"active", true}});
  bob->expect(typing("talk", "alice", true), "alice typing, on bob's node", 10s);
  bob2->expect(typing("talk", "alice", true), "alice typing, on bob's other device", 10s);

  json::object ack = send_message(*alice, "talk", "are you there?");
  const std::int64_t seq = get_int(ack, "seq");
  bob2->expect(message_with_id(get_str(ack, "id")), "message on bob's other device", 10s);
  // Sending clears typing for everyone.
  bob->expect(typing("talk", "alice", false), "typing cleared by the message", 10s);
  bob->expect(message_with_id(get_str(ack, "id")), "message", 10s);

  bob->send_json({{"type", "read"}, {"room", "talk"}, {"seq", seq}});
  const Pred read = has({{"type", "read"}, {"room", "talk"}, {"user", "bob"}, {"seq", seq}});
  alice->expect(read, "bob's read receipt on alice's node", 10s);
  bob2->expect(read, "bob's read receipt on his other device", 10s);
  // The read position is shared: a new connection on yet another node sees it.
  auto bob3 = connect("bob", kLb);
  EXPECT_EQ(get_int(welcome_of(*bob3).at("rooms").as_array().at(0).as_object(), "read_seq"), seq);
}

TEST_F(CrossNode, EventsRightAfterWelcomeOrJoinedReachANodeNewToTheRoom) {
  // `welcome` and `joined` carry the room's last_seq: live delivery continues right after it.
  // That holds also when the connection's node had no member of the room before (it only now
  // subscribes to the room's channel): a message sent the moment the client holds its
  // welcome/joined must still reach it live.
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob2 = connect("bob", 2);  // bob's tablet on node3, where no one is in any room yet
  auto bob = connect("bob", 1);
  for (int round = 0; round < 5; ++round) {
    const std::string room = "fresh" + std::to_string(round);
    join(*alice, room);
    // joined, on a node new to the room.
    join(*bob, room);
    json::object joined = bob2->expect(has({{"type", "joined"}, {"room", room}}), "joined on the tablet", 10s);
    json::object ack = send_message(*alice, room, "right after joined");
    EXPECT_EQ(get_int(ack, "seq"), get_int(joined, "last_seq") + 1);
    EXPECT_TRUE(bob2->wait_for(message_with_id(get_str(ack, "id")), 3s).has_value())
        << "round " << round << ": the message sent right after `joined` (seq " << get_int(ack, "seq")
        << ") never reached bob's device on node3";
  }
  for (int round = 0; round < 5; ++round) {
    // welcome, on a node new to the room.
    const std::string room = "welcome" + std::to_string(round);
    const std::string user = "carol" + std::to_string(round);
    join(*alice, room);
    {
      auto first = connect(user, 0);
      join(*first, room);
    }
    auto carol = connect(user, 2 - round % 2);  // node3 or node2, neither follows the room
    json::object ack = send_message(*alice, room, "right after welcome");
    EXPECT_TRUE(carol->wait_for(message_with_id(get_str(ack, "id")), 3s).has_value())
        << "round " << round << ": the message sent right after " << user << "'s welcome never reached it";
  }
}

TEST_F(CrossNode, JoinedAndLeftReachTheUsersDevicesOnOtherNodes) {
  start_cluster();
  auto phone = connect("frank", 0);
  auto laptop = connect("frank", 1);
  join(*phone, "news");
  json::object other = laptop->expect(has({{"type", "joined"}, {"room", "news"}}), "joined on the other device", 10s);
  EXPECT_FALSE(other.contains("ref")) << "ref only on the connection that asked";
  // The laptop is a member now: it can send, and the phone gets it.
  json::object ack = send_message(*laptop, "news", "from the laptop");
  phone->expect(message_with_id(get_str(ack, "id")), "laptop's message on the phone", 10s);

  leave(*laptop, "news");
  phone->expect(has({{"type", "left"}, {"room", "news"}}), "left on the other device", 10s);
  phone->send_json({{"type", "message"}, {"room", "news"}, {"id", new_id()}, {"text", "x"}});
  phone->expect(error_with("forbidden"), "no longer a member, on any node", 10s);
}

TEST_F(CrossNode, ConcurrentStartsOnAFreshDatabaseMigrateOnce) {
  // Three nodes started at the same instant on an empty database all come up (the schema
  // migration is applied once, under a lock) and form one cluster.
  std::vector<std::unique_ptr<ChildProcess>> procs;
  std::vector<std::filesystem::path> logs;
  for (int i = 0; i < kNodes; ++i) {
    const std::string id = "node" + std::to_string(i + 1);
    std::filesystem::create_directories(work_dir() / id);
    ChildProcess::Options o;
    o.argv = {parleyd_path(), "--host", "127.0.0.1", "--port", "0", "--data-dir", (work_dir() / id).string(),
              "--jwt-secret", std::string(kClusterSecret), "--threads", "1",
              "--store", pg().uri(db_name()), "--redis", SharedServices::get().redis_urls(), "--node-id", id};
    o.cwd = work_dir() / id;
    o.log_path = work_dir() / (id + "-concurrent.log");
    o.env = {{"PARLEY_LOG_LEVEL", "info"}};
    logs.push_back(o.log_path);
    procs.push_back(std::make_unique<ChildProcess>(std::move(o)));
  }
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(wait_log_line(*procs[i], logs[i], 0, "parleyd listening on http://", 30s))
        << "node" << i + 1 << " did not start:\n" << tail_file(logs[i]);
    const std::string text = read_file(logs[i]);
    const auto at = text.find("parleyd listening on http://127.0.0.1:");
    ports.push_back(static_cast<std::uint16_t>(std::stoi(text.substr(at + std::string("parleyd listening on http://127.0.0.1:").size()))));
  }
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kNodes; ++i) {
    auto c = std::make_unique<WsClient>("u" + std::to_string(i));
    ConnectOptions opts;
    opts.token = token("u" + std::to_string(i));
    ASSERT_TRUE(c->connect(ports[i], opts).upgraded);
    c->expect(is_type("welcome"), "welcome", 10s);
    join(*c, "boot");
    clients.push_back(std::move(c));
  }
  std::vector<std::string> ids;
  for (auto& c : clients) ids.push_back(get_str(send_message(*c, "boot", "up"), "id"));
  for (auto& c : clients) expect_messages(*c, ids, 10s);
  for (int i = 0; i < kNodes; ++i) EXPECT_TRUE(procs[i]->running()) << tail_file(logs[i]);
}

}  // namespace
}  // namespace parley::test::cluster
