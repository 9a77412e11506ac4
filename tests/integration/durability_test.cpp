// Durability: a message is acked only once durably stored, so every acked message
// survives kill -9 of the server with its seq, and seqs continue without a gap.
#include <csignal>
#include <map>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Durability : public ParleyTest {
protected:
  const Flags flags{{"--rate-per-sec", "100000"}, {"--rate-burst", "100000"}};
};

TEST_F(Durability, AckedMessagesSurviveKill9) {
  start_server(flags);
  std::map<std::string, std::int64_t> acked;
  std::map<std::string, std::string> text_of;
  {
    auto alice = connect("alice");
    auto bob = connect("bob");
    join(*alice, "general");
    join(*bob, "general");
    // Two senders with messages in flight when the server dies.
    for (int i = 0; i < 300; ++i) {
      WsClient& c = i % 2 ? *alice : *bob;
      const std::string text = "durable " + std::to_string(i);
      text_of[post_message(c, "general", text)] = text;
    }
    alice->expect(is_type("ack"), "first ack");
    bob->expect(is_type("ack"), "first ack");
    kill_server();
    for (WsClient* c : {alice.get(), bob.get()}) {
      c->wait_closed(5s);
      for (const Received& r : c->received())
        if (r.obj.at("type") == "ack") acked[get_str(r.obj, "id")] = get_int(r.obj, "seq");
    }
  }
  ASSERT_GE(acked.size(), 2u);

  start_server(flags);
  auto alice = connect("alice");
  std::vector<json::object> stored = all_messages(*alice, "general");
  std::map<std::string, json::object> by_id;
  for (std::size_t n = 0; n < stored.size(); ++n) {
    EXPECT_EQ(get_int(stored[n], "seq"), static_cast<std::int64_t>(n + 1)) << "gap in the stored seqs";
    by_id[get_str(stored[n], "id")] = stored[n];
  }
  for (const auto& [id, seq] : acked) {
    auto it = by_id.find(id);
    ASSERT_NE(it, by_id.end()) << "acked message " << id << " (seq " << seq << ") lost to kill -9";
    EXPECT_EQ(get_int(it->second, "seq"), seq);
    EXPECT_EQ(get_str(it->second, "text"), text_of[id]);
  }
  // Sequencing resumes right after the last stored message.
  const std::int64_t next = get_int(send_message(*alice, "general", "after crash"), "seq");
  EXPECT_EQ(next, static_cast<std::int64_t>(stored.size()) + 1);
}

TEST_F(Durability, MembershipAndReadReceiptsSurviveKill9) {
  start_server();
  {
    auto alice = connect("alice");
    join(*alice, "general");
    join(*alice, "random");
    send_message(*alice, "general", "one");
    send_message(*alice, "general", "two");
    alice->send_json({{"type", "read"}, {"room", "general"}, {"seq", 2}});
    alice->expect(has({{"type", "read"}, {"user", "alice"}, {"seq", 2}}));
    // Something acked after the read makes sure the read was handled before the crash.
    send_message(*alice, "random", "sync point");
    kill_server();
  }
  start_server();
  auto alice = connect("alice");
  json::object w = welcome_of(*alice);
  ASSERT_EQ(w.at("rooms").as_array().size(), 2u) << to_string(w);
  for (const auto& r : w.at("rooms").as_array()) {
    if (r.as_object().at("room") == "general") {
      EXPECT_EQ(r.as_object().at("last_seq"), 2);
      EXPECT_EQ(r.as_object().at("read_seq"), 2) << "read receipt lost to kill -9 (it was broadcast)";
    }
  }
}

}  // namespace
}  // namespace parley::test
