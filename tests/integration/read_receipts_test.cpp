// Read receipts: forwarded to every member connection (the reader's included),
// persisted per (room, user), only moving forward; seq past the room's end is refused.
#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

json::object read_req(std::string_view room, std::int64_t seq) { return {{"type", "read"}, {"room", room}, {"seq", seq}}; }

class ReadReceipts : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    d1 = connect("alice");
    d2 = connect("alice");
    bob = connect("bob");
    join(*d1, "general");
    join(*bob, "general");
    for (int i = 0; i < 5; ++i) send_message(*bob, "general", "m" + std::to_string(i));
  }
  std::int64_t welcome_read_seq() {
    auto c = connect("alice");
    const json::object w = welcome_of(*c);
    for (const auto& r : w.at("rooms").as_array())
      if (r.as_object().at("room") == "general") return get_int(r.as_object(), "read_seq");
    ADD_FAILURE() << "general not in welcome";
    return -1;
  }
  // Everything d1's earlier requests caused has reached bob.
  void marker() {
    const std::string id = new_id();
    send_message(*d1, "general", "marker", id);
    bob->expect(message_with_id(id), "marker");
  }
  std::unique_ptr<WsClient> d1, d2, bob;
};

TEST_F(ReadReceipts, ForwardedToEveryMemberConnectionIncludingTheReader) {
  d1->send_json(read_req("general", 2));
  const json::object expected{{"type", "read"}, {"room", "general"}, {"user", "alice"}, {"seq", 2}};
  for (WsClient* c : {d1.get(), d2.get(), bob.get()}) c->expect(expected);
}

TEST_F(ReadReceipts, PersistedAcrossReconnectAndRestart) {
  d1->send_json(read_req("general", 3));
  bob->expect(has({{"type", "read"}, {"user", "alice"}, {"seq", 3}}));
  EXPECT_EQ(welcome_read_seq(), 3);
  d1.reset();
  d2.reset();
  bob.reset();
  restart_server();
  EXPECT_EQ(welcome_read_seq(), 3);
}

TEST_F(ReadReceipts, OnlyMovesForward) {
  d1->send_json(read_req("general", 4));
  bob->expect(has({{"type", "read"}, {"user", "alice"}, {"seq", 4}}));
  d1->send_json(read_req("general", 2));  // backwards: ignored silently
  d1->send_json(read_req("general", 4));  // same: nothing new
  marker();
  EXPECT_EQ(bob->count(is_type("read")), 1u) << bob->dump();
  EXPECT_EQ(d1->count(is_type("error")), 0u) << "a backwards read is not an error:\n" << d1->dump();
  EXPECT_EQ(welcome_read_seq(), 4);
  d1->send_json(read_req("general", 5));
  bob->expect(has({{"type", "read"}, {"user", "alice"}, {"seq", 5}}));
  EXPECT_EQ(welcome_read_seq(), 5);
}

TEST_F(ReadReceipts, PerUser) {
  d1->send_json(read_req("general", 5));
  bob->expect(has({{"type", "read"}, {"user", "alice"}, {"seq", 5}}));
  bob->send_json(read_req("general", 1));
  d1->expect(has({{"type", "read"}, {"user", "bob"}, {"seq", 1}}));
  EXPECT_EQ(welcome_read_seq(), 5);
}

TEST_F(ReadReceipts, InvalidReadsAreRefused) {
  auto code_for = [&](json::object req, const std::string& ref) {
    req["ref"] = ref;
    d1->send_json(req);
    return get_str(d1->expect(has({{"type", "error"}, {"ref", ref}}), "error for " + ref), "code");
  };
  EXPECT_EQ(code_for(read_req("general", 6), "past-end"), "bad_request");
  EXPECT_EQ(code_for({{"type", "read"}, {"room", "general"}}, "no-seq"), "bad_request");
  EXPECT_EQ(code_for({{"type", "read"}, {"room", "general"}, {"seq", "3"}}, "str-seq"), "bad_request");
  EXPECT_EQ(code_for(read_req("elsewhere", 1), "non-member"), "forbidden");
  marker();
  EXPECT_EQ(bob->count(is_type("read")), 0u) << bob->dump();
  EXPECT_EQ(welcome_read_seq(), 0);
}

}  // namespace
}  // namespace parley::test
