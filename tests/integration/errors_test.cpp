// Errors that keep the connection open: bad_request for every malformed request and for
// binary frames, the error shape, and "ref" echoed on replies and errors.
#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Errors : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    alice = connect("alice");
    join(*alice, "general");
  }
  // Sends raw text; returns the error that comes back (waiting for an error with `ref`
  // when given, else for the next error).
  json::object error_for_text(const std::string& text, const std::optional<std::string>& ref = std::nullopt) {
    alice->send_text(text);
    const Pred p = ref ? has({{"type", "error"}, {"ref", *ref}}) : is_type("error");
    return alice->expect(p, "error for " + text);
  }
  std::unique_ptr<WsClient> alice;
};

TEST_F(Errors, InvalidJsonIsBadRequest) {
  for (const char* text : {"{", "not json at all", "{\"type\":\"join\",}", ""}) {
    json::object e = error_for_text(text);
    EXPECT_EQ(e.at("code"), "bad_request") << "for '" << text << "': " << to_string(e);
  }
  join(*alice, "still-open");
}

TEST_F(Errors, NonObjectJsonIsBadRequest) {
  for (const char* text : {"[]", "42", "\"join\"", "null", "[{\"type\":\"join\",\"room\":\"x\"}]"}) {
    json::object e = error_for_text(text);
    EXPECT_EQ(e.at("code"), "bad_request") << "for '" << text << "': " << to_string(e);
  }
  join(*alice, "still-open");
}

TEST_F(Errors, ErrorShapeIsTypeCodeMessage) {
  json::object e = error_for_text("{");
  EXPECT_EQ(e.begin()->key(), "type");
  EXPECT_EQ(e.at("type"), "error");
  EXPECT_TRUE(e.at("code").is_string());
  ASSERT_TRUE(e.contains("message"));
  EXPECT_TRUE(e.at("message").is_string());
  EXPECT_FALSE(e.at("message").as_string().empty());
}

TEST_F(Errors, MissingOrUnknownTypeIsBadRequest) {
  EXPECT_EQ(error_for_text(R"({"room":"general","ref":"a"})", "a").at("code"), "bad_request");
  EXPECT_EQ(error_for_text(R"({"type":5,"ref":"b"})", "b").at("code"), "bad_request");
  EXPECT_EQ(error_for_text(R"({"type":"dance","ref":"c"})", "c").at("code"), "bad_request");
  EXPECT_EQ(error_for_text(R"({"type":"welcome","ref":"d"})", "d").at("code"), "bad_request")
      << "a server-to-client type is not a request";
}

TEST_F(Errors, MissingOrWrongTypedMessageFieldsAreBadRequest) {
  const std::vector<std::pair<std::string, json::object>> cases = {
      {"no-id", {{"type", "message"}, {"room", "general"}, {"text", "x"}}},
      {"no-text", {{"type", "message"}, {"room", "general"}, {"id", new_id()}}},
      {"no-room", {{"type", "message"}, {"id", new_id()}, {"text", "x"}}},
      {"num-text", {{"type", "message"}, {"room", "general"}, {"id", new_id()}, {"text", 12}}},
      {"num-id", {{"type", "message"}, {"room", "general"}, {"id", 12}, {"text", "x"}}},
      {"obj-room", {{"type", "message"}, {"room", {{"name", "general"}}}, {"id", new_id()}, {"text", "x"}}},
      {"null-text", {{"type", "message"}, {"room", "general"}, {"id", new_id()}, {"text", nullptr}}},
  };
  for (auto [ref, req] : cases) {
    req["ref"] = ref;
    alice->send_json(req);
    json::object e = alice->expect(has({{"type", "error"}, {"ref", ref}}), "error for " + ref);
    EXPECT_EQ(e.at("code"), "bad_request") << ref << ": " << to_string(e);
    // An error caused by a message command carries its id (when it has a usable one).
    if (const json::value* id = req.if_contains("id"); id != nullptr && id->is_string()) {
      EXPECT_TRUE(e.contains("id") && e.at("id") == *id) << ref << ": " << to_string(e);
    }
  }
  // Nothing was stored.
  EXPECT_TRUE(sync(*alice, "general", 0).at("messages").as_array().empty());
}

TEST_F(Errors, BinaryFrameIsBadRequestAndConnectionStaysOpen) {
  alice->send_binary(R"({"type":"join","room":"binary"})");
  json::object e = alice->expect(is_type("error"), "error for a binary frame");
  EXPECT_EQ(e.at("code"), "bad_request");
  EXPECT_TRUE(alice->is_open());
  send_message(*alice, "general", "still open");
  // The binary frame was not executed as a join.
  EXPECT_EQ(alice->count(has({{"type", "joined"}, {"room", "binary"}})), 0u);
}

TEST_F(Errors, RefIsEchoedOnRepliesAndErrors) {
  alice->send_json({{"type", "join"}, {"room", "second"}, {"ref", "r-join"}});
  EXPECT_EQ(alice->expect(is_type("joined"), "joined").at("ref"), "r-join");
  const std::string id = new_id();
  alice->send_json({{"type", "message"}, {"room", "second"}, {"id", id}, {"text", "hi"}, {"ref", 99}});
  EXPECT_EQ(alice->expect(has({{"type", "ack"}, {"id", id}}), "ack").at("ref"), 99);
  // The broadcast is not a reply: no ref there.
  EXPECT_FALSE(alice->expect(message_with_id(id), "broadcast").contains("ref"));
  alice->send_json({{"type", "leave"}, {"room", "second"}, {"ref", "r-leave"}});
  EXPECT_EQ(alice->expect(is_type("left"), "left").at("ref"), "r-leave");
  alice->send_json({{"type", "dance"}, {"ref", "r-err"}});
  EXPECT_EQ(alice->expect(is_type("error"), "error").at("ref"), "r-err");
  // Without a ref, replies carry none.
  json::object plain = join(*alice, "third");
  EXPECT_FALSE(plain.contains("ref")) << to_string(plain);
}

TEST_F(Errors, ManyErrorsInARowDoNotCloseTheConnection) {
  for (int i = 0; i < 50; ++i) alice->send_text("{");
  for (int i = 0; i < 50; ++i) alice->expect(error_with("bad_request"), "bad_request #" + std::to_string(i));
  EXPECT_TRUE(alice->is_open());
  send_message(*alice, "general", "fine");
}

}  // namespace
}  // namespace parley::test
