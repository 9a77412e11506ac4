// The bus's wire form of domain events (bus/codec.hpp): every event survives the trip,
// fields a later version adds are ignored, unknown kinds and versions are told apart from
// garbage, and the version-1 payloads (header line + client frame) still read.
#include "bus/codec.hpp"
#include "bus/legacy_codec.hpp"

#include <gtest/gtest.h>

using namespace parley;
using bus_codec::Decoded;

namespace {

RoomEvent room_trip(const RoomEvent& e) {
  RoomEvent out;
  EXPECT_EQ(bus_codec::decode(e.room, bus_codec::encode(e), out), Decoded::ok);
  return out;
}

UserEvent user_trip(const UserEvent& e) {
  UserEvent out;
  EXPECT_EQ(bus_codec::decode(e.user, bus_codec::encode(e), out), Decoded::ok);
  return out;
}

TEST(BusCodec, EveryRoomEventSurvivesTheTrip) {
  ChatMessage m;
  m.room = "general";
  m.seq = 42;
  m.ts = 1700000000123;
  m.user = "alice";
  m.id = "id-1";
  m.text = "👍";
  m.kind = EntryKind::reaction_add;
  m.target = 7;
  auto msg = room_trip(RoomEvent{"general", MessageStored{m, 99}, "n1"});
  ASSERT_NE(msg.message(), nullptr);
  EXPECT_EQ(msg.origin, "n1");
  EXPECT_EQ(msg.message()->received_us, 99);
  const ChatMessage& back = msg.message()->message;
  EXPECT_EQ(back.room, "general");
  EXPECT_EQ(back.seq, 42);
  EXPECT_EQ(back.ts, m.ts);
  EXPECT_EQ(back.user, "alice");
  EXPECT_EQ(back.id, "id-1");
  EXPECT_EQ(back.text, "👍");
  EXPECT_EQ(back.kind, EntryKind::reaction_add);
  EXPECT_EQ(back.target, 7);

  auto typing = std::get<TypingChanged>(room_trip(RoomEvent{"r", TypingChanged{"bob", true}, "n2"}).payload);
  EXPECT_EQ(typing.user, "bob");
  EXPECT_TRUE(typing.active);
  auto presence = std::get<PresenceChanged>(room_trip(RoomEvent{"r", PresenceChanged{"bob", false}, "n2"}).payload);
  EXPECT_FALSE(presence.online);
  EXPECT_EQ(std::get<ReadMoved>(room_trip(RoomEvent{"r", ReadMoved{"bob", 5}, "n2"}).payload).seq, 5);
  auto notice = std::get<MemberNotice>(
      room_trip(RoomEvent{"r", MemberNotice{"eve", MemberAction::muted, "olga", Role::member, 123}, "n2"}).payload);
  EXPECT_EQ(notice.user, "eve");
  EXPECT_EQ(notice.action, MemberAction::muted);
  EXPECT_EQ(notice.by, "olga");
  EXPECT_EQ(notice.until, 123);
  auto role = std::get<MemberNotice>(
      room_trip(RoomEvent{"r", MemberNotice{"eve", MemberAction::role, "", Role::moderator, 0}, "n2"}).payload);
  EXPECT_EQ(role.role, Role::moderator);
  EXPECT_TRUE(role.by.empty());
}

TEST(BusCodec, EveryUserEventSurvivesTheTrip) {
  RoomState s{"dm-0123", 9, 4, RoomKind::direct, Role::member, "bob", 77};
  auto joined = user_trip(UserEvent{"alice", MembershipJoined{s, {"bob", "carol"}}, "n1", 12, true});
  EXPECT_EQ(joined.user, "alice");
  EXPECT_EQ(joined.origin, "n1");
  EXPECT_EQ(joined.skip_conn, 12u);
  EXPECT_TRUE(joined.presence_pending);
  auto& j = std::get<MembershipJoined>(joined.payload);
  EXPECT_EQ(j.state.room, "dm-0123");
  EXPECT_EQ(j.state.last_seq, 9);
  EXPECT_EQ(j.state.read_seq, 4);
  EXPECT_EQ(j.state.kind, RoomKind::direct);
  EXPECT_EQ(j.state.peer, "bob");
  EXPECT_EQ(j.state.muted_until, 77);
  EXPECT_EQ(j.online, (std::vector<std::string>{"bob", "carol"}));
  auto left = user_trip(UserEvent{"alice", MembershipLeft{"general", LeftReason::banned}, "n1", 0, true});
  EXPECT_EQ(std::get<MembershipLeft>(left.payload).reason, LeftReason::banned);
  auto blocks = user_trip(UserEvent{"alice", BlocksChanged{{"eve", "mallory"}}, "n1", 3, false});
  EXPECT_EQ(std::get<BlocksChanged>(blocks.payload).blocked, (std::vector<std::string>{"eve", "mallory"}));
  EXPECT_FALSE(blocks.presence_pending);
}

TEST(BusCodec, ThreadsDataMentionsPinsAndRoomExtrasSurviveTheTrip) {
  ChatMessage m;
  m.room = "general";
  m.seq = 50;
  m.user = "alice";
  m.id = "r-1";
  m.text = "@bob @room see";
  m.reply_to = 43;
  m.data = R"({"card":{"n":1}})";
  m.mentions = {"bob"};
  m.mention_room = true;
  auto msg = room_trip(RoomEvent{"general", MessageStored{m, 1}, "n1"});
  const ChatMessage& back = msg.message()->message;
  EXPECT_EQ(back.reply_to, 43);
  EXPECT_EQ(back.data, m.data);
  EXPECT_EQ(back.mentions, m.mentions);
  EXPECT_TRUE(back.mention_room);
  auto pin = room_trip(RoomEvent{"general", PinChanged{43, true, "alice", 1700}, "n1"});
  auto& p = std::get<PinChanged>(pin.payload);
  EXPECT_EQ(p.seq, 43);
  EXPECT_TRUE(p.pinned);
  EXPECT_EQ(p.by, "alice");
  EXPECT_EQ(p.ts, 1700);

  RoomState s{"general", 9, 4};
  s.notify = NotifyLevel::mentions;
  s.mentions = 3;
  s.slow_mode_s = 45;
  s.settings_version = 2;
  s.extras = RoomExtras{{Pin{43, "alice", 1700}}, {ReadPosition{"bob", 8}}, "bob", {MemberStatus{"bob", {true, "lunch"}}}};
  auto joined = user_trip(UserEvent{"carol", MembershipJoined{s, {}, 0, false}, "n1", 0, false});
  auto& j = std::get<MembershipJoined>(joined.payload);
  EXPECT_EQ(j.state.notify, NotifyLevel::mentions);
  EXPECT_EQ(j.state.mentions, 3);
  EXPECT_EQ(j.state.slow_mode_s, 45);
  EXPECT_EQ(j.state.settings_version, 2);
  ASSERT_EQ(j.state.extras.pins.size(), 1u);
  EXPECT_EQ(j.state.extras.pins[0].by, "alice");
  ASSERT_EQ(j.state.extras.reads.size(), 1u);
  EXPECT_EQ(j.state.extras.reads[0].seq, 8);
  EXPECT_EQ(j.state.extras.reads_next, "bob");
  ASSERT_EQ(j.state.extras.statuses.size(), 1u);
  EXPECT_TRUE(j.state.extras.statuses[0].status.away);
  EXPECT_EQ(j.state.extras.statuses[0].status.text, "lunch");
  auto status = room_trip(RoomEvent{"general", StatusChanged{"bob", {false, "on call"}}, "n1"});
  EXPECT_EQ(std::get<StatusChanged>(status.payload).status.text, "on call");
  auto mentions = user_trip(UserEvent{"carol", MentionsChanged{"general", 2}, "n1", 0, false});
  EXPECT_EQ(std::get<MentionsChanged>(mentions.payload).count, 2);
  auto notify = user_trip(UserEvent{"carol", NotifyChanged{"general", NotifyLevel::none, 0}, "n1", 5, false});
  EXPECT_EQ(std::get<NotifyChanged>(notify.payload).level, NotifyLevel::none);
  EXPECT_EQ(std::get<NotifyChanged>(notify.payload).room, "general");
  auto access = user_trip(UserEvent{"carol", AccessChanged{3, true}, "n1", 0, false});
  EXPECT_EQ(std::get<AccessChanged>(access.payload).token_version, 3);
  EXPECT_TRUE(std::get<AccessChanged>(access.payload).shut);
  EXPECT_FALSE(std::get<AccessChanged>(user_trip(UserEvent{"carol", AccessChanged{1, false}, "n1", 0, false}).payload).shut);
  auto logout = user_trip(UserEvent{"carol", AccessChanged{0, false, "tok-7"}, "n1", 0, false});
  EXPECT_EQ(std::get<AccessChanged>(logout.payload).token_id, "tok-7") << "a logout names its token";
  EXPECT_TRUE(std::get<AccessChanged>(access.payload).token_id.empty());
  auto slow = room_trip(RoomEvent{"general", SlowModeChanged{30, 4, "olga"}, "n1"});
  const auto& sm = std::get<SlowModeChanged>(slow.payload);
  EXPECT_EQ(sm.seconds, 30);
  EXPECT_EQ(sm.version, 4);
  EXPECT_EQ(sm.by, "olga");
  const std::string lines = "{\"type\":\"join\",\"room\":\"r\"}\n{\"type\":\"typing\"}\n";
  auto input = user_trip(UserEvent{"carol", SessionInput{"node.2", 41, "k3y", lines}, "n1", 0, false});
  const auto& in = std::get<SessionInput>(input.payload);
  EXPECT_EQ(in.node, "node.2");
  EXPECT_EQ(in.conn, 41u);
  EXPECT_EQ(in.key, "k3y");
  EXPECT_EQ(in.text, lines);
  UserEvent e;
  EXPECT_EQ(bus_codec::decode("carol", R"({"v":2,"k":"input","o":"n1","node":"","conn":1})", e), Decoded::malformed)
      << "relayed input names its node and connection";
}

TEST(BusCodec, FieldsOfALaterVersionAreIgnored) {
  RoomEvent e;
  ASSERT_EQ(bus_codec::decode("r", R"({"v":2,"k":"typing","o":"n9","user":"bob","on":true,"mood":"happy"})", e),
            Decoded::ok);
  EXPECT_EQ(std::get<TypingChanged>(e.payload).user, "bob");
}

TEST(BusCodec, UnknownKindsAndVersionsAreToldApartFromGarbage) {
  RoomEvent e;
  UserEvent u;
  EXPECT_EQ(bus_codec::decode("r", R"({"v":2,"k":"poll","o":"n9"})", e), Decoded::unknown_kind);
  EXPECT_EQ(bus_codec::decode("u", R"({"v":2,"k":"poll","o":"n9"})", u), Decoded::unknown_kind);
  EXPECT_EQ(bus_codec::decode("r", R"({"v":3,"k":"typing"})", e), Decoded::unknown_version);
  EXPECT_EQ(bus_codec::decode("r", "not json", e), Decoded::malformed);
  EXPECT_EQ(bus_codec::decode("r", R"({"v":2,"k":"message","seq":0})", e), Decoded::malformed) << "a message needs a seq";
  EXPECT_EQ(bus_codec::decode("r", "R0|x||1\n{}", e), Decoded::malformed);
}

TEST(BusCodec, VersionOneRoomPayloadsStillRead) {
  RoomEvent e;
  ASSERT_EQ(bus_codec::decode("general",
                              "R0|3||1700|later-field\n"
                              R"({"type":"edited","room":"general","id":"e1","seq":3,"ts":5,"user":"bob","target":1,"text":"fixed"})",
                              e),
            Decoded::ok);
  ASSERT_NE(e.message(), nullptr);
  EXPECT_EQ(e.message()->message.seq, 3);
  EXPECT_EQ(e.message()->message.kind, EntryKind::edited);
  EXPECT_EQ(e.message()->message.target, 1);
  EXPECT_EQ(e.message()->message.text, "fixed");
  EXPECT_EQ(e.message()->received_us, 1700);
  ASSERT_EQ(bus_codec::decode("general", "R3|0|bob|0\n" R"({"type":"presence","room":"general","user":"bob","status":"online"})", e),
            Decoded::ok);
  EXPECT_TRUE(std::get<PresenceChanged>(e.payload).online);
  ASSERT_EQ(bus_codec::decode("general",
                              "R4|0||0\n" R"({"type":"member","room":"general","user":"eve","action":"muted","by":"olga","until":9})",
                              e),
            Decoded::ok);
  EXPECT_EQ(std::get<MemberNotice>(e.payload).action, MemberAction::muted);
  EXPECT_EQ(std::get<MemberNotice>(e.payload).until, 9);
}

TEST(BusCodec, VersionOneUserPayloadsStillRead) {
  UserEvent u;
  ASSERT_EQ(bus_codec::decode("bob", "U0|general||0\n"
                                     R"({"type":"joined","room":"general","last_seq":4,"read_seq":0,"kind":"private","role":"moderator","online":["alice"]})",
                              u),
            Decoded::ok);
  EXPECT_TRUE(u.presence_pending) << "version 1 marked others' changes with an empty origin";
  auto& j = std::get<MembershipJoined>(u.payload);
  EXPECT_EQ(j.state.kind, RoomKind::private_room);
  EXPECT_EQ(j.state.role, Role::moderator);
  EXPECT_EQ(j.online, std::vector<std::string>{"alice"});
  ASSERT_EQ(bus_codec::decode("bob", "U1|general|node-a|7\n" R"({"type":"left","room":"general","reason":"kicked"})", u),
            Decoded::ok);
  EXPECT_FALSE(u.presence_pending);
  EXPECT_EQ(u.skip_conn, 7u);
  EXPECT_EQ(std::get<MembershipLeft>(u.payload).reason, LeftReason::kicked);
}

}  // namespace

namespace {

// What a version-2 node writes for version-1 nodes (bus_write_version = 1): the header they
// parse (its first fields exactly as version 1 wrote them), the client frame as it was, and the
// origin appended, by which a version-2 node knows its own event coming back.
TEST(BusCodec, TheVersionOneFormWrittenForOldNodes) {
  ChatMessage m;
  m.room = "general";
  m.seq = 8;
  m.user = "alice";
  m.id = "a1";
  const std::string frame = R"({"type":"message","room":"general","id":"a1","seq":8,"ts":0,"user":"alice","text":""})";
  const std::string wire = parley::bus_codec::legacy::encode(RoomEvent{"general", MessageStored{m, 55}, "node1"}, frame);
  EXPECT_EQ(wire, "R0|8||55|node1\n" + frame);
  RoomEvent back;
  ASSERT_EQ(bus_codec::decode("general", wire, back), Decoded::ok);
  EXPECT_EQ(back.origin, "node1");
  EXPECT_EQ(back.message()->message.seq, 8);

  const std::string typing = R"({"type":"typing","room":"general","user":"bob","active":true})";
  EXPECT_EQ(parley::bus_codec::legacy::encode(RoomEvent{"general", TypingChanged{"bob", true}, "node2"}, typing),
            "R2|0|bob|0|node2\n" + typing)
      << "version 1 skips the subject's own connections by the third field";

  const std::string left = R"({"type":"left","room":"general","reason":"kicked"})";
  UserEvent kicked{"eve", MembershipLeft{"general", LeftReason::kicked}, "node3", 0, true};
  EXPECT_EQ(parley::bus_codec::legacy::encode(kicked, left), "U1|general||0|node3\n" + left)
      << "an empty version-1 origin: every node applies it";
  UserEvent u;
  ASSERT_EQ(bus_codec::decode("eve", parley::bus_codec::legacy::encode(kicked, left), u), Decoded::ok);
  EXPECT_EQ(u.origin, "node3");
  EXPECT_TRUE(u.presence_pending);
}

}  // namespace
