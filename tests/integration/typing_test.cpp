// Typing indicators: forwarded to the other members only, never persisted, ended by the
// server after --typing-timeout-ms without a refresh, and when the typist sends a message.
#include <thread>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

json::object typing_req(std::string_view room, bool active) {
  return {{"type", "typing"}, {"room", room}, {"active", active}};
}

std::int64_t ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

class Typing : public ParleyTest {};

TEST_F(Typing, ForwardedToOtherMembersOnly) {
  start_server({{"--typing-timeout-ms", "60000"}});
  auto d1 = connect("alice");
  auto d2 = connect("alice");
  auto bob = connect("bob");
  auto carol = connect("carol");
  join(*d1, "general");
  join(*bob, "general");
  d1->send_json(typing_req("general", true));
  bob->expect(typing("general", "alice", true), "typing true");
  d1->send_json(typing_req("general", false));
  bob->expect(typing("general", "alice", false), "typing false");
  // Markers, then nobody else heard about it.
  const std::string id = new_id();
  send_message(*d1, "general", "marker", id);
  d2->expect(message_with_id(id), "marker on d2");
  join(*carol, "general");
  send_message(*carol, "general", "carol marker");
  EXPECT_EQ(d1->count(is_type("typing")), 0u) << "typist got its own typing:\n" << d1->dump();
  EXPECT_EQ(d2->count(is_type("typing")), 0u) << "typist's other device got typing:\n" << d2->dump();
  EXPECT_EQ(carol->count(is_type("typing")), 0u) << "non-member got typing:\n" << carol->dump();
}

TEST_F(Typing, ServerSendsInactiveAfterTimeout) {
  start_server({{"--typing-timeout-ms", "400"}});
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  alice->send_json(typing_req("general", true));
  Received on = bob->expect_timed(typing("general", "alice", true), "typing true");
  Received off = bob->expect_timed(typing("general", "alice", false), "server-sent typing false", 5s);
  EXPECT_GE(ms_between(on.at, off.at), 300) << "active:false came before the 400 ms timeout";
}

TEST_F(Typing, RefreshPostponesTheTimeout) {
  start_server({{"--typing-timeout-ms", "600"}});
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  alice->send_json(typing_req("general", true));
  bob->expect(typing("general", "alice", true), "typing true");
  // The gap between the two refreshes is the subject of the test, not a wait for an event.
  std::this_thread::sleep_for(300ms);
  const auto refreshed = Clock::now();
  alice->send_json(typing_req("general", true));
  Received off = bob->expect_timed(typing("general", "alice", false), "server-sent typing false", 5s);
  EXPECT_GE(ms_between(refreshed, off.at), 450) << "the refresh did not restart the 600 ms timer";
  EXPECT_EQ(bob->count(typing("general", "alice", false)), 1u);
}

TEST_F(Typing, SendingAMessageEndsTyping) {
  start_server({{"--typing-timeout-ms", "60000"}});
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  alice->send_json(typing_req("general", true));
  bob->expect(typing("general", "alice", true), "typing true");
  const std::string id = new_id();
  send_message(*alice, "general", "done typing", id);
  bob->expect(message_with_id(id), "message");
  bob->expect(typing("general", "alice", false), "typing false after the message", 3s);
}

TEST_F(Typing, NeverPersisted) {
  start_server({{"--typing-timeout-ms", "60000"}});
  auto alice = connect("alice");
  join(*alice, "general");
  alice->send_json(typing_req("general", true));
  alice->send_json(typing_req("general", false));
  EXPECT_EQ(get_int(send_message(*alice, "general", "first"), "seq"), 1) << "typing took a seq";
  json::object page = sync(*alice, "general", 0);
  ASSERT_EQ(page.at("messages").as_array().size(), 1u) << to_string(page);
  restart_server();
  auto bob = connect("bob");
  join(*bob, "general");
  alice = connect("alice");
  send_message(*alice, "general", "after restart");
  EXPECT_EQ(bob->count(is_type("typing")), 0u) << "typing state survived a restart:\n" << bob->dump();
}

TEST_F(Typing, InvalidTypingRequestsAreRefused) {
  start_server();
  auto alice = connect("alice");
  join(*alice, "general");
  alice->send_json({{"type", "typing"}, {"room", "elsewhere"}, {"active", true}, {"ref", "t1"}});
  EXPECT_EQ(alice->expect(has({{"type", "error"}, {"ref", "t1"}}), "error").at("code"), "forbidden");
  alice->send_json({{"type", "typing"}, {"room", "general"}, {"ref", "t2"}});
  EXPECT_EQ(alice->expect(has({{"type", "error"}, {"ref", "t2"}}), "error").at("code"), "bad_request");
  alice->send_json({{"type", "typing"}, {"room", "general"}, {"active", "yes"}, {"ref", "t3"}});
  EXPECT_EQ(alice->expect(has({{"type", "error"}, {"ref", "t3"}}), "error").at("code"), "bad_request");
}

}  // namespace
}  // namespace parley::test
