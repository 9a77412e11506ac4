#include "protocol/decode.hpp"

#include <gtest/gtest.h>

using namespace parley;

namespace {
ProtocolError error_of(std::string_view frame) {
  auto r = decode_command(frame);
  EXPECT_TRUE(std::holds_alternative<ProtocolError>(r)) << frame;
  return std::holds_alternative<ProtocolError>(r) ? std::get<ProtocolError>(r) : ProtocolError{};
}
Command command_of(std::string_view frame) {
  auto r = decode_command(frame);
  EXPECT_TRUE(std::holds_alternative<Command>(r)) << frame << ": " << (std::holds_alternative<ProtocolError>(r) ? std::get<ProtocolError>(r).message : "");
  return std::holds_alternative<Command>(r) ? std::get<Command>(r) : Command{};
}
}  // namespace

TEST(Decode, MessageWithRef) {
  auto c = command_of(R"({"type":"message","room":"general","id":"u1","text":"hello","ref":7})");
  auto& m = std::get<MessageCmd>(c.body);
  EXPECT_EQ(m.room, "general");
  EXPECT_EQ(m.id, "u1");
  EXPECT_EQ(m.text, "hello");
  EXPECT_EQ(c.ref.as_int64(), 7);
}

TEST(Decode, EveryCommandType) {
  EXPECT_TRUE(std::holds_alternative<JoinCmd>(command_of(R"({"type":"join","room":"a"})").body));
  EXPECT_TRUE(std::holds_alternative<LeaveCmd>(command_of(R"({"type":"leave","room":"a"})").body));
  EXPECT_TRUE(std::get<TypingCmd>(command_of(R"({"type":"typing","room":"a","active":true})").body).active);
  EXPECT_EQ(std::get<ReadCmd>(command_of(R"({"type":"read","room":"a","seq":43})").body).seq, 43);
  auto s = std::get<SyncCmd>(command_of(R"({"type":"sync","room":"a","after":40,"limit":100})").body);
  EXPECT_EQ(s.after, 40);
  EXPECT_EQ(s.limit, 100);
  auto h = std::get<HistoryCmd>(command_of(R"({"type":"history","room":"a","before":100})").body);
  EXPECT_EQ(h.before.value(), 100);
  EXPECT_EQ(h.limit, 50);
  EXPECT_FALSE(std::get<HistoryCmd>(command_of(R"({"type":"history","room":"a"})").body).before);
  EXPECT_EQ(std::get<AuthCmd>(command_of(R"({"type":"auth","token":"a.b.c"})").body).token, "a.b.c");
  EXPECT_EQ(error_of(R"({"type":"auth"})").code, "bad_request");
}

TEST(Decode, ConversationCommands) {
  EXPECT_EQ(std::get<CreateCmd>(command_of(R"({"type":"create","room":"a","kind":"private"})").body).kind,
            RoomKind::private_room);
  EXPECT_EQ(std::get<CreateCmd>(command_of(R"({"type":"create","room":"a"})").body).kind, RoomKind::public_room);
  EXPECT_EQ(std::get<DmCmd>(command_of(R"({"type":"dm","to":"bob"})").body).to, "bob");
  EXPECT_EQ(std::get<InviteCmd>(command_of(R"({"type":"invite","room":"a","user":"bob"})").body).user, "bob");
  auto e = std::get<EntryCmd>(command_of(R"({"type":"edit","room":"a","id":"e1","seq":4,"text":"t"})").body);
  EXPECT_EQ(e.kind, EntryKind::edited);
  EXPECT_EQ(e.seq, 4);
  EXPECT_EQ(std::get<EntryCmd>(command_of(R"({"type":"delete","room":"a","id":"d","seq":4})").body).kind, EntryKind::deleted);
  EXPECT_EQ(std::get<EntryCmd>(command_of(R"({"type":"react","room":"a","id":"r","seq":4,"emoji":"x","remove":true})").body).kind,
            EntryKind::reaction_remove);
  auto m = std::get<ModerateCmd>(command_of(R"({"type":"mute","room":"a","user":"bob","seconds":60})").body);
  EXPECT_EQ(m.action, ModerationAction::mute);
  EXPECT_EQ(m.seconds, 60);
  EXPECT_EQ(std::get<ModerateCmd>(command_of(R"({"type":"role","room":"a","user":"b","role":"moderator"})").body).role,
            Role::moderator);
  EXPECT_FALSE(std::get<BlockCmd>(command_of(R"({"type":"unblock","user":"bob"})").body).on);
  EXPECT_EQ(std::get<SearchCmd>(command_of(R"({"type":"search","query":"q","limit":1000})").body).limit, 100);
  for (auto frame : {R"({"type":"create","room":"a","kind":"direct"})", R"({"type":"edit","room":"a","id":"e","seq":4})",
                     R"({"type":"edit","room":"a","id":"e","seq":0,"text":"t"})", R"({"type":"react","room":"a","id":"r","seq":1})",
                     R"({"type":"delete","room":"a","id":"","seq":1})", R"({"type":"mute","room":"a","user":"b"})",
                     R"({"type":"mute","room":"a","user":"b","seconds":-1})", R"({"type":"role","room":"a","user":"b","role":"owner"})",
                     R"({"type":"search","query":""})", R"({"type":"dm"})"}) {
    EXPECT_EQ(error_of(frame).code, "bad_request") << frame;
  }
}

TEST(Decode, LimitIsClampedTo200) {
  auto s = std::get<SyncCmd>(command_of(R"({"type":"sync","room":"a","after":0,"limit":5000})").body);
  EXPECT_EQ(s.limit, 200);
  EXPECT_EQ(error_of(R"({"type":"sync","room":"a","after":0,"limit":0})").code, "bad_request");
}

TEST(Decode, BadRequests) {
  for (auto frame : {"not json", "[1,2]", R"({"room":"a"})", R"({"type":"dance"})", R"({"type":5})",
                     R"({"type":"join"})", R"({"type":"join","room":3})", R"({"type":"typing","room":"a","active":"yes"})",
                     R"({"type":"read","room":"a","seq":"4"})", R"({"type":"read","room":"a","seq":1.5})",
                     R"({"type":"read","room":"a","seq":-1})", R"({"type":"read","room":"a","seq":1e400})",
                     R"({"type":"read","room":"a","seq":99999999999999999999})",
                     R"({"type":"sync","room":"a"})", R"({"type":"message","room":"a","id":"x","text":""})",
                     R"({"type":"message","room":"a","text":"hi"})", R"({"type":"join","room":"a","ref":{}})"}) {
    EXPECT_EQ(error_of(frame).code, "bad_request") << frame;
  }
}

TEST(Decode, DeepNestingIsRejected) {
  std::string deep = R"({"type":"join","room":"a","x":)" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(error_of(deep).code, "bad_request");
}

TEST(Decode, ErrorsCarryRefAndMessageId) {
  auto e = error_of(R"({"type":"message","room":"a","id":"m1","text":5,"ref":"r1"})");
  EXPECT_EQ(e.ref.as_string(), "r1");
  EXPECT_EQ(e.id, "m1");
  EXPECT_EQ(error_of(R"({"type":"nope","ref":3})").ref.as_int64(), 3);
}
