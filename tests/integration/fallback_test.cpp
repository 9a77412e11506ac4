// The HTTP fallback transport through a client written from the SSE specification (not the
// SDK): `GET /api/stream` carries the server's frames, `POST /api/stream/{session}` the
// client's commands. Same protocol as the WebSocket: welcome first, joins, acks, exactly-once
// sends, resume by seq, reauth, close codes; bad requests get their status and nothing else
// on the server changes.
#include "parley_test.hpp"
#include "sse_client.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Fallback : public ParleyTest {
 protected:
  // A stream for `user`, its welcome taken.
  std::unique_ptr<SseClient> open_stream(std::string_view user, Headers headers = {}) {
    auto c = std::make_unique<SseClient>(std::string(user) + "/sse");
    if (headers.empty()) headers = {{"Authorization", "Bearer " + token(user)}};
    const int status = c->open(port(), headers);
    if (status != 200) throw std::runtime_error("stream refused: " + std::to_string(status) + " " + c->body());
    c->expect(is_type("welcome"), "welcome");
    return c;
  }
  static json::object message(std::string_view room, std::string_view id, std::string_view text, int ref) {
    return {{"type", "message"}, {"room", room}, {"id", id}, {"text", text}, {"ref", ref}};
  }
};

TEST_F(Fallback, StreamAndPostsCarryTheProtocolBothWays) {
  start_server();
  auto alice = std::make_unique<SseClient>("alice/sse");
  ASSERT_EQ(alice->open(port(), {{"Authorization", "Bearer " + token("alice")}}), 200) << alice->body();
  EXPECT_EQ(alice->header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(alice->header("X-Accel-Buffering"), "no");
  EXPECT_FALSE(alice->session().empty());
  // The welcome is the first frame, as on a WebSocket.
  auto first = alice->expect([](const json::object&) { return true; }, "first frame");
  EXPECT_EQ(first.at("type"), "welcome") << to_string(first);
  EXPECT_EQ(first.at("user"), "alice");

  auto bob = connect("bob");
  join(*bob, "general");
  auto r = alice->post({{{"type", "join"}, {"room", "general"}, {"ref", 1}}, message("general", "a-1", "over http", 2)},
                       token("alice"));
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.json().at("accepted"), 2);
  alice->expect(has({{"type", "joined"}, {"room", "general"}, {"ref", 1}}), "joined");
  auto ack = alice->expect(has({{"type", "ack"}, {"id", "a-1"}, {"ref", 2}}), "ack");
  auto got = bob->expect(has({{"type", "message"}, {"id", "a-1"}}));
  EXPECT_EQ(got.at("seq"), ack.at("seq"));
  EXPECT_EQ(got.at("text"), "over http");
  // The other way: a WebSocket user's message comes down the stream.
  auto sent = send_message(*bob, "general", "over ws", "b-1");
  auto down = alice->expect(has({{"type", "message"}, {"id", "b-1"}}), "bob's message");
  EXPECT_EQ(down.at("seq"), sent.at("seq"));
  EXPECT_EQ(down.at("user"), "bob");
  // Presence treats the stream as a connection: bob sees alice go offline when it drops.
  alice->abort();
  bob->expect(has({{"type", "presence"}, {"user", "alice"}, {"status", "offline"}}), "alice offline", 10s);
}

TEST_F(Fallback, ASecondPostOfTheSameMessageIsAckedAndStoredOnce) {
  start_server();
  auto bob = connect("bob");
  join(*bob, "general");
  auto alice = open_stream("alice");
  ASSERT_EQ(alice->post({{{"type", "join"}, {"room", "general"}, {"ref", 1}}}, token("alice")).status, 202);
  alice->expect(has({{"type", "joined"}, {"ref", 1}}), "joined");
  ASSERT_EQ(alice->post({message("general", "dup-1", "once", 2)}, token("alice")).status, 202);
  auto first = alice->expect(has({{"type", "ack"}, {"id", "dup-1"}}), "first ack");
  // The client did not see the 202 (say) and sends again: the same seq, no second message.
  ASSERT_EQ(alice->post({message("general", "dup-1", "once", 3)}, token("alice")).status, 202);
  auto second = alice->expect(has({{"type", "ack"}, {"id", "dup-1"}, {"ref", 3}}), "second ack");
  EXPECT_EQ(second.at("seq"), first.at("seq"));
  send_message(*bob, "general", "after", "b-after");
  bob->expect(has({{"type", "message"}, {"id", "b-after"}}));
  EXPECT_EQ(bob->count(has({{"type", "message"}, {"id", "dup-1"}})), 1u) << bob->dump();
}

TEST_F(Fallback, ANewStreamResumesBySeqWithATokenInTheQuery) {
  start_server();
  auto bob = connect("bob");
  join(*bob, "general");
  auto alice = open_stream("alice");
  ASSERT_EQ(alice->post({{{"type", "join"}, {"room", "general"}, {"ref", 1}}}, token("alice")).status, 202);
  const int64_t seen = get_int(alice->expect(has({{"type", "joined"}, {"ref", 1}}), "joined"), "last_seq");
  alice->abort();
  alice->wait_closed();
  std::vector<int64_t> missed;
  for (int i = 0; i < 3; ++i) missed.push_back(get_int(send_message(*bob, "general", "while away " + std::to_string(i)), "seq"));
  // EventSource cannot set headers: the token may come as ?token=, as on /ws.
  auto again = std::make_unique<SseClient>("alice/sse2");
  ASSERT_EQ(again->open(port(), {}, "/api/stream?token=" + token("alice")), 200) << again->body();
  auto welcome = again->expect(is_type("welcome"), "welcome");
  bool listed = false;
  for (const auto& room : welcome.at("rooms").as_array()) {
    if (room.at("room") == "general") {
      listed = true;
      EXPECT_EQ(room.at("last_seq"), missed.back());
    }
  }
  EXPECT_TRUE(listed) << to_string(welcome);
  ASSERT_EQ(again->post({{{"type", "sync"}, {"room", "general"}, {"after", seen}, {"ref", 9}}}, token("alice")).status, 202);
  auto page = again->expect(has({{"type", "history"}, {"ref", 9}}), "history");
  std::vector<int64_t> got;
  for (const auto& m : page.at("messages").as_array()) got.push_back(get_int(m.as_object(), "seq"));
  EXPECT_EQ(got, missed);
}

TEST_F(Fallback, RefusalsNameTheirStatusAndChangeNothing) {
  start_server();
  SseClient none("none");
  EXPECT_EQ(none.open(port(), {}), 401) << none.body();
  SseClient forged("forged");
  EXPECT_EQ(forged.open(port(), {{"Authorization", "Bearer " + mint_token("wrong", "alice", unix_now() + 60)}}), 401);
  SseClient foreign("foreign");
  EXPECT_EQ(foreign.open(port(), {{"Authorization", "Bearer " + token("alice")}, {"Origin", "http://evil.example"}}), 403);

  auto alice = open_stream("alice");
  const std::string target = "/api/stream/" + alice->session();
  const std::string join_line = R"({"type":"join","room":"general","ref":1})";
  auto post = [&](const std::string& body, const Headers& h) { return http_request(port(), "POST", target, body, h); };
  const Headers as_alice{{"Authorization", "Bearer " + token("alice")}};
  EXPECT_EQ(post(join_line, {}).status, 401);
  EXPECT_EQ(http_request(port(), "POST", target + "?token=" + token("alice"), join_line).status, 401)
      << "a POST takes its token from the header only";
  // Another user's token finds no session of theirs there; a made-up session is not found.
  EXPECT_EQ(post(join_line, {{"Authorization", "Bearer " + token("mallory")}}).status, 404);
  EXPECT_EQ(http_request(port(), "POST", "/api/stream/" + alice->session() + "0", join_line, as_alice).status, 404);
  EXPECT_EQ(http_request(port(), "POST", "/api/stream/nonsense", join_line, as_alice).status, 404);
  EXPECT_EQ(post("\n \n", as_alice).status, 400);
  std::string many;
  for (int i = 0; i < 101; ++i) many += R"({"type":"typing","room":"general","active":true})" "\n";
  EXPECT_EQ(post(many, as_alice).status, 413);
  EXPECT_EQ(http_request(port(), "GET", target, "", as_alice).status, 405);
  // A line that is not a command is answered on the stream; the lines after it still run.
  auto r = post("{not json\n" + join_line + "\n", as_alice);
  ASSERT_EQ(r.status, 202) << r.body;
  alice->expect(has({{"type", "error"}, {"code", "bad_request"}}), "error for the bad line");
  alice->expect(has({{"type", "joined"}, {"ref", 1}}), "the next line's reply");
  EXPECT_EQ(alice->count(is_type("joined")), 1u) << "the refused POSTs ran nothing: " << alice->dump();
  EXPECT_EQ(alice->count(is_type("error")), 1u) << alice->dump();
  // Nothing of it touched the server's other connections.
  auto bob = connect("bob");
  test::join(*bob, "general");
}

TEST_F(Fallback, HeartbeatCommentsKeepAQuietStreamAlive) {
  start_server({{"--heartbeat-ms", "200"}});
  auto alice = open_stream("alice");
  EXPECT_GE(alice->wait_comments(3, 5s), 3);
  EXPECT_FALSE(alice->wait_closed(10ms).ended);
}

TEST_F(Fallback, ReauthIsAnsweredByPostAndNoAnswerEndsTheStreamWith4001) {
  start_server({{"--reauth-before-ms", "2000"}, {"--reauth-grace-ms", "700"}});
  const std::string short_lived = mint_token(kSecret, "alice", unix_now() + 2);
  auto alice = open_stream("alice", {{"Authorization", "Bearer " + short_lived}});
  alice->expect(is_type("reauth"), "reauth");
  const std::string fresh = mint_token(kSecret, "alice", unix_now() + 3);
  ASSERT_EQ(alice->post({{{"type", "auth"}, {"token", fresh}, {"ref", 5}}}, fresh).status, 202);
  EXPECT_EQ(alice->expect(is_type("authed"), "authed").at("ref"), 5);
  // The fresh token's own reauth comes; unanswered, the stream ends with the close event.
  alice->expect(is_type("reauth"), "second reauth", 5s);
  auto ended = alice->wait_closed(5s);
  ASSERT_TRUE(ended.ended);
  EXPECT_TRUE(ended.close_event);
  EXPECT_EQ(ended.code, 4001);
  EXPECT_EQ(ended.reason, "token expired");
  // The session is gone: its POSTs are not found.
  EXPECT_EQ(alice->post({{{"type", "join"}, {"room", "general"}}}, token("alice")).status, 404);
}

TEST_F(Fallback, ShutdownEndsStreamsWith1012) {
  start_server();
  auto alice = open_stream("alice");
  signal_server(SIGTERM);
  auto ended = alice->wait_closed(10s);
  EXPECT_TRUE(ended.close_event);
  EXPECT_EQ(ended.code, 1012);
}

}  // namespace
}  // namespace parley::test
