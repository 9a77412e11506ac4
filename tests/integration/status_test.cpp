// Presence status (docs/protocol.md → Status): a user says away or online and sets a custom
// text; the members of every room of the user hear it (the user's other devices too),
// joined lists the members' statuses, welcome the user's own, and it is stored.
#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class StatusTest : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    alice = connect("alice");
    bob = connect("bob");
    join(*alice, "general");
    join(*bob, "general");
    join(*alice, "random");
    join(*bob, "random");
  }
  std::unique_ptr<WsClient> alice, bob;
};

TEST_F(StatusTest, EveryRoomOfTheUserHearsItAndItIsStored) {
  auto phone = connect("alice");
  auto answer = request(*alice, "status", {{"state", "away"}, {"text", "at lunch 🍜"}});
  ASSERT_EQ(answer.at("type"), "ok") << to_string(answer);
  for (std::string room : {"general", "random"}) {
    auto seen = bob->expect(has({{"type", "status"}, {"room", room}, {"user", "alice"}}), "status in " + room);
    EXPECT_EQ(seen.at("state"), "away");
    EXPECT_EQ(seen.at("text"), "at lunch 🍜");
  }
  phone->expect(has({{"type", "status"}, {"user", "alice"}, {"state", "away"}}), "the user's other device");
  auto carol = connect("carol");
  auto joined = join(*carol, "general");
  EXPECT_EQ(joined.at("statuses"),
            (json::array{json::object{{"state", "away"}, {"text", "at lunch 🍜"}, {"user", "alice"}}}))
      << to_string(joined);
  restart_server();
  auto again = connect("alice");
  EXPECT_EQ(welcome_of(*again).at("status"), (json::object{{"state", "away"}, {"text", "at lunch 🍜"}})) << "stored";
}

TEST_F(StatusTest, BackToOnlineWithoutTextIsTheDefault) {
  ASSERT_EQ(request(*alice, "status", {{"state", "away"}}).at("type"), "ok");
  ASSERT_EQ(request(*alice, "status", {{"state", "online"}}).at("type"), "ok");
  auto seen = bob->expect(has({{"type", "status"}, {"room", "general"}, {"state", "online"}}), "back online");
  EXPECT_FALSE(seen.contains("text"));
  auto carol = connect("carol");
  EXPECT_TRUE(join(*carol, "general").at("statuses").as_array().empty());
  EXPECT_EQ(welcome_of(*connect("alice")).at("status"), (json::object{{"state", "online"}}));
}

TEST_F(StatusTest, BadStatusesAreRefusedAndChangeNothing) {
  EXPECT_EQ(code_of(request(*alice, "status", {{"state", "busy"}})), "bad_request");
  EXPECT_EQ(code_of(request(*alice, "status", {{"state", "away"}, {"text", std::string(101, 'x')}})), "too_large");
  EXPECT_EQ(code_of(request(*alice, "status", {{"state", "away"}, {"text", "two\nlines"}})), "bad_request");
  EXPECT_EQ(request(*alice, "status", {{"state", "away"}, {"text", std::string(100, 'x')}}).at("type"), "ok");
  bob->expect(has({{"type", "status"}, {"room", "general"}}), "the accepted status");
  EXPECT_EQ(bob->count(has({{"type", "status"}, {"room", "general"}})), 1u) << "only the accepted one came: " << bob->dump();
}

}  // namespace
}  // namespace parley::test
