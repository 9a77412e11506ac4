// Hub rules, driven through the in-memory store and the local bus with a manual clock.
#include "hub/hub.hpp"

#include <gtest/gtest.h>

#include "bus/local_bus.hpp"
#include "bus/local_presence.hpp"
#include "fake_client.hpp"
#include "metrics/metrics.hpp"
#include "protocol/decode.hpp"
#include "protocol/encode.hpp"
#include "store/memory_store.hpp"

using namespace parley;
using parley::testing::FakeClient;

namespace {

class HubTest : public ::testing::Test {
 protected:
  HubTest() { make_hub(HubOptions{}); }

  void make_hub(HubOptions o) {
    hub_ = std::make_unique<Hub>(o, store_, bus_, presence_, metrics_, HubClock{[this] { return wall_; }, [this] { return mono_; }});
    bus_.set_handler(hub_.get());
  }

  std::shared_ptr<FakeClient> connect(const std::string& user) {
    auto c = std::make_shared<FakeClient>(next_id_++, user);
    EXPECT_TRUE(hub_->reserve(user));
    bool ready = false;
    hub_->connect(c, [&] { ready = true; });
    EXPECT_TRUE(ready);
    return c;
  }

  void send(const std::shared_ptr<FakeClient>& c, std::string_view frame) {
    auto d = decode_command(frame);
    ASSERT_TRUE(std::holds_alternative<Command>(d)) << frame;
    hub_->handle(c, std::get<Command>(std::move(d)));
  }

  void message(const std::shared_ptr<FakeClient>& c, const std::string& room, const std::string& id,
               const std::string& text = "hi") {
    send(c, R"({"type":"message","room":")" + room + R"(","id":")" + id + R"(","text":")" + text + R"("})");
  }

  static std::string last_error(const std::shared_ptr<FakeClient>& c) {
    auto errors = c->of_type("error");
    return errors.empty() ? "" : std::string(errors.back().at("code").as_string());
  }

  Metrics metrics_;
  MemoryStore store_;
  LocalBus bus_;
  LocalPresence presence_;
  std::unique_ptr<Hub> hub_;
  int64_t wall_ = 1'700'000'000'000;
  int64_t mono_ = 0;
  uint64_t next_id_ = 1;
};

TEST_F(HubTest, WelcomeIsFirstAndListsRooms) {
  auto a = connect("alice");
  auto w = a->all().at(0);
  EXPECT_EQ(w.at("type"), "welcome");
  EXPECT_EQ(w.at("user"), "alice");
  EXPECT_TRUE(w.at("rooms").as_array().empty());
  send(a, R"({"type":"join","room":"general"})");
  message(a, "general", "m1");
  auto a2 = connect("alice");
  auto rooms = a2->all().at(0).at("rooms").as_array();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].at("room"), "general");
  EXPECT_EQ(rooms[0].at("last_seq"), 1);
  EXPECT_EQ(rooms[0].at("read_seq"), 0);
}

// Messages committed by another node whose bus events have not arrived here yet: a member
// connecting here reads a last_seq ahead of them, and the members already here must still get
// them live when they come.
TEST_F(HubTest, AConnectionReadingAheadOfTheBusDoesNotSkipLiveMessagesForOthers) {
  auto a = connect("alice");
  send(a, R"({"type":"join","room":"general"})");
  auto b = connect("bob");
  send(b, R"({"type":"join","room":"general"})");
  hub_->disconnect(b);
  std::vector<ChatMessage> pending;
  for (int i = 1; i <= 3; ++i) {
    store_.append({"general", "carol", "c" + std::to_string(i), "t", wall_}, [&](Result<Appended> r) {
      ASSERT_TRUE(r.ok());
      pending.push_back(r.value.message);
    });
  }
  auto b2 = connect("bob");  // its welcome says last_seq 3
  for (auto& m : pending) {
    hub_->on_room_event(RoomEvent{"general", EventKind::message, {}, encode::message(m), m.seq, 0});
  }
  EXPECT_EQ(a->of_type("message").size(), 3u) << "alice was streaming the room before bob came back";
}

TEST_F(HubTest, JoinedListsOtherOnlineMembersAndAnnouncesPresence) {
  auto a = connect("alice");
  auto b = connect("bob");
  send(b, R"({"type":"join","room":"general"})");
  send(a, R"({"type":"join","room":"general","ref":"j1"})");
  auto joined = a->of_type("joined").at(0);
  EXPECT_EQ(joined.at("ref"), "j1");
  EXPECT_EQ(joined.at("online").as_array(), boost::json::array({"bob"}));
  auto p = b->of_type("presence");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].at("user"), "alice");
  EXPECT_EQ(p[0].at("status"), "online");
  EXPECT_TRUE(a->of_type("presence").empty()) << "a user is not told about itself";
}

TEST_F(HubTest, MessageIsAckedAndDeliveredToEveryMemberConnection) {
  auto a = connect("alice");
  auto a2 = connect("alice");
  auto b = connect("bob");
  auto outsider = connect("carol");
  send(a, R"({"type":"join","room":"general"})");
  send(b, R"({"type":"join","room":"general"})");
  message(a, "general", "m1");
  message(b, "general", "m2");
  auto ack = a->of_type("ack");
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].at("seq"), 1);
  EXPECT_EQ(ack[0].at("ts"), wall_);
  EXPECT_TRUE(a2->of_type("ack").empty()) << "the ack goes to the sending connection only";
  for (auto& c : {a, a2, b}) {
    auto msgs = c->of_type("message");
    ASSERT_EQ(msgs.size(), 2u) << c->id();
    EXPECT_EQ(msgs[0].at("seq"), 1);
    EXPECT_EQ(msgs[0].at("user"), "alice");
    EXPECT_EQ(msgs[1].at("seq"), 2);
  }
  EXPECT_TRUE(outsider->of_type("message").empty());
}

TEST_F(HubTest, ResentIdReturnsOriginalAckWithoutRebroadcast) {
  auto a = connect("alice");
  auto b = connect("bob");
  send(a, R"({"type":"join","room":"general"})");
  send(b, R"({"type":"join","room":"general"})");
  message(a, "general", "same", "first");
  message(a, "general", "same", "second");
  auto acks = a->of_type("ack");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].at("seq"), acks[1].at("seq"));
  EXPECT_EQ(b->of_type("message").size(), 1u);
}

TEST_F(HubTest, NonMembersAndBadNamesAreForbidden) {
  auto a = connect("alice");
  send(a, R"({"type":"message","room":"general","id":"m1","text":"x","ref":9})");
  auto e = a->of_type("error").at(0);
  EXPECT_EQ(e.at("code"), "forbidden");
  EXPECT_EQ(e.at("id"), "m1");
  EXPECT_EQ(e.at("ref"), 9);
  for (auto frame : {R"({"type":"typing","room":"general","active":true})", R"({"type":"read","room":"general","seq":1})",
                     R"({"type":"sync","room":"general","after":0})", R"({"type":"history","room":"general"})",
                     R"({"type":"leave","room":"general"})", R"({"type":"join","room":"Bad Name"})"}) {
    a->clear();
    send(a, frame);
    EXPECT_EQ(last_error(a), "forbidden") << frame;
  }
}

TEST_F(HubTest, TextOverTheLimitIsTooLarge) {
  HubOptions o;
  o.max_text_chars = 5;
  make_hub(o);
  auto a = connect("alice");
  send(a, R"({"type":"join","room":"general"})");
  message(a, "general", "m1", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");  // five characters, ten bytes
  EXPECT_EQ(a->of_type("ack").size(), 1u);
  message(a, "general", "m2", "123456");
  EXPECT_EQ(last_error(a), "too_large");
  EXPECT_EQ(a->of_type("message").size(), 1u);
}

TEST_F(HubTest, RateLimitRefusesWithoutStoringAndRefills) {
  HubOptions o;
  o.rate_per_sec = 1;
  o.rate_burst = 2;
  make_hub(o);
  auto a = connect("alice");
  send(a, R"({"type":"join","room":"general"})");
  message(a, "general", "m1");
  message(a, "general", "m2");
  message(a, "general", "m3");
  EXPECT_EQ(last_error(a), "rate_limited");
  EXPECT_EQ(a->of_type("message").size(), 2u);
  mono_ += 1000;
  message(a, "general", "m4");
  auto acks = a->of_type("ack");
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[2].at("seq"), 3) << "the refused message took no seq";
}

TEST_F(HubTest, TypingIsForwardedExpiresAndClearsOnSend) {
  auto a = connect("alice");
  auto b = connect("bob");
  send(a, R"({"type":"join","room":"general"})");
  send(b, R"({"type":"join","room":"general"})");
  send(a, R"({"type":"typing","room":"general","active":true})");
  EXPECT_TRUE(a->of_type("typing").empty());
  ASSERT_EQ(b->of_type("typing").size(), 1u);
  EXPECT_EQ(b->of_type("typing")[0].at("active"), true);
  mono_ += 4999;
  hub_->tick();
  EXPECT_EQ(b->of_type("typing").size(), 1u);
  mono_ += 1;
  hub_->tick();
  ASSERT_EQ(b->of_type("typing").size(), 2u);
  EXPECT_EQ(b->of_type("typing")[1].at("active"), false);

  send(a, R"({"type":"typing","room":"general","active":true})");
  message(a, "general", "m1");
  auto all = b->all();
  ASSERT_GE(all.size(), 2u);
  auto& stop = all[all.size() - 2];
  EXPECT_EQ(stop.at("type"), "typing");
  EXPECT_EQ(stop.at("active"), false) << "typing is cleared before the message arrives";
  EXPECT_EQ(all.back().at("type"), "message");
}

TEST_F(HubTest, ReadReceiptsMoveForwardOnly) {
  auto a = connect("alice");
  auto b = connect("bob");
  send(a, R"({"type":"join","room":"general"})");
  send(b, R"({"type":"join","room":"general"})");
  message(a, "general", "m1");
  message(a, "general", "m2");
  send(b, R"({"type":"read","room":"general","seq":2})");
  send(b, R"({"type":"read","room":"general","seq":1})");
  auto reads = a->of_type("read");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].at("user"), "bob");
  EXPECT_EQ(reads[0].at("seq"), 2);
  send(b, R"({"type":"read","room":"general","seq":3})");
  EXPECT_EQ(last_error(b), "bad_request");
  auto b2 = connect("bob");
  EXPECT_EQ(b2->all().at(0).at("rooms").as_array()[0].at("read_seq"), 2);
}

TEST_F(HubTest, PresenceOfflineOnlyWhenTheLastDeviceLeaves) {
  auto a = connect("alice");
  send(a, R"({"type":"join","room":"general"})");
  auto b1 = connect("bob");
  send(b1, R"({"type":"join","room":"general"})");
  auto b2 = connect("bob");
  EXPECT_EQ(a->of_type("presence").size(), 1u) << "the second device is not a new presence";
  hub_->disconnect(b1);
  EXPECT_EQ(a->of_type("presence").size(), 1u);
  hub_->disconnect(b2);
  auto p = a->of_type("presence");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].at("status"), "offline");
}

TEST_F(HubTest, LeaveReachesEveryDeviceAndStopsDelivery) {
  auto a = connect("alice");
  auto a2 = connect("alice");
  auto b = connect("bob");
  send(a, R"({"type":"join","room":"general"})");
  send(b, R"({"type":"join","room":"general"})");
  send(a, R"({"type":"leave","room":"general","ref":1})");
  EXPECT_EQ(a->of_type("left").at(0).at("ref"), 1);
  EXPECT_FALSE(a2->of_type("left").at(0).contains("ref"));
  EXPECT_EQ(b->of_type("presence").back().at("status"), "offline");
  message(b, "general", "m1");
  EXPECT_TRUE(a->of_type("message").empty());
  EXPECT_TRUE(a2->of_type("message").empty());
}

TEST_F(HubTest, ConnectionAndRoomLimits) {
  HubOptions o;
  o.max_conns_per_user = 2;
  o.max_rooms_per_user = 1;
  make_hub(o);
  auto a = connect("alice");
  connect("alice");
  EXPECT_FALSE(hub_->reserve("alice"));
  EXPECT_TRUE(hub_->reserve("bob"));
  hub_->release("bob");
  hub_->disconnect(a);
  EXPECT_TRUE(hub_->reserve("alice"));
  hub_->release("alice");

  auto c = connect("carol");
  send(c, R"({"type":"join","room":"one"})");
  send(c, R"({"type":"join","room":"two","ref":"x"})");
  EXPECT_EQ(last_error(c), "limit_exceeded");
  send(c, R"({"type":"join","room":"one"})");
  EXPECT_EQ(c->of_type("joined").size(), 2u) << "joining a room twice is not a new membership";
}

TEST_F(HubTest, SyncAndHistoryPages) {
  auto a = connect("alice");
  send(a, R"({"type":"join","room":"general"})");
  for (int i = 1; i <= 7; ++i) message(a, "general", "m" + std::to_string(i));
  send(a, R"({"type":"sync","room":"general","after":2,"limit":3,"ref":"s"})");
  auto h = a->of_type("history").at(0);
  EXPECT_EQ(h.at("ref"), "s");
  EXPECT_EQ(h.at("has_more"), true);
  auto& list = h.at("messages").as_array();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].at("seq"), 3);
  EXPECT_EQ(list[2].at("seq"), 5);
  send(a, R"({"type":"history","room":"general","before":3,"limit":5})");
  auto older = a->of_type("history").at(1);
  EXPECT_EQ(older.at("has_more"), false);
  ASSERT_EQ(older.at("messages").as_array().size(), 2u);
  EXPECT_EQ(older.at("messages").as_array()[0].at("seq"), 1);
}

TEST_F(HubTest, MessagesFromTheBusAreDeliveredInSeqOrder) {
  auto a = connect("alice");
  send(a, R"({"type":"join","room":"general"})");
  message(a, "general", "m1");  // seq 1 through the normal path: the room's baseline
  auto event = [](int64_t seq) {
    return RoomEvent{"general", EventKind::message, {},
                     encode::message(ChatMessage{"general", seq, 1, "bob", "b" + std::to_string(seq), "x"}), seq};
  };
  hub_->on_room_event(event(3));  // arrives before 2, as from another node
  EXPECT_EQ(a->of_type("message").size(), 1u) << "3 is held while 2 is missing";
  hub_->on_room_event(event(2));
  hub_->on_room_event(event(2));  // a repeat is dropped
  auto msgs = a->of_type("message");
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[1].at("seq"), 2);
  EXPECT_EQ(msgs[2].at("seq"), 3);

  hub_->on_room_event(event(5));  // 4 never comes
  mono_ += 999;
  hub_->tick();
  EXPECT_EQ(a->of_type("message").size(), 3u);
  mono_ += 1;
  hub_->tick();
  ASSERT_EQ(a->of_type("message").size(), 4u) << "released after the reorder window; the client syncs 4";
  EXPECT_EQ(a->of_type("message").back().at("seq"), 5);
  hub_->on_room_event(event(4));
  EXPECT_EQ(a->of_type("message").size(), 4u) << "too late: already skipped";
}

TEST_F(HubTest, JoinReachesTheUsersOtherDevices) {
  auto a = connect("alice");
  auto a2 = connect("alice");
  send(a, R"({"type":"join","room":"general","ref":"r"})");
  ASSERT_EQ(a->of_type("joined").size(), 1u);
  EXPECT_EQ(a->of_type("joined")[0].at("ref"), "r");
  ASSERT_EQ(a2->of_type("joined").size(), 1u);
  EXPECT_FALSE(a2->of_type("joined")[0].contains("ref"));
  message(a2, "general", "from-a2");
  EXPECT_EQ(a2->of_type("ack").size(), 1u) << "the other device is a member at once";
}

// Holds every store call until run_all(), like a store whose commits are still in flight.
class DeferredStore final : public Store {
 public:
  void run_all() {
    while (!queue_.empty()) {
      auto job = std::move(queue_.front());
      queue_.erase(queue_.begin());
      job();
    }
  }
  void append(AppendRequest r, Callback<Appended> d) override { defer([=, this] { inner_.append(r, d); }); }
  void join(JoinRequest r, Callback<parley::RoomState> d) override { defer([=, this] { inner_.join(r, d); }); }
  void open_direct(std::string room, std::string a, std::string b, int max, Callback<parley::RoomState> d) override {
    defer([=, this] { inner_.open_direct(room, a, b, max, d); });
  }
  void moderate(ModerationRequest r, Callback<ModerationResult> d) override { defer([=, this] { inner_.moderate(r, d); }); }
  void set_block(std::string u, std::string o, bool on, Callback<std::vector<std::string>> d) override {
    defer([=, this] { inner_.set_block(u, o, on, d); });
  }
  void blocks_of(std::string u, Callback<std::vector<std::string>> d) override { inner_.blocks_of(u, d); }
  void search(SearchQuery q, Callback<std::vector<ChatMessage>> d) override { defer([=, this] { inner_.search(q, d); }); }
  void leave(std::string room, std::string user, Callback<bool> d) override { defer([=, this] { inner_.leave(room, user, d); }); }
  void set_read(std::string room, std::string user, int64_t seq, Callback<bool> d) override {
    defer([=, this] { inner_.set_read(room, user, seq, d); });
  }
  void rooms_of(std::string user, Callback<std::vector<parley::RoomState>> d) override { inner_.rooms_of(user, d); }
  void after(std::string room, int64_t after, int limit, Callback<MessagePage> d) override {
    defer([=, this] { inner_.after(room, after, limit, d); });
  }
  void before(std::string room, std::optional<int64_t> before, int limit, Callback<MessagePage> d) override {
    defer([=, this] { inner_.before(room, before, limit, d); });
  }
  void create_room(std::string room, RoomKind k, std::string o, Callback<bool> d) override {
    defer([=, this] { inner_.create_room(room, k, o, d); });
  }
  void room(std::string room, Callback<parley::RoomState> d) override { defer([=, this] { inner_.room(room, d); }); }
  void create_user(std::string n, std::string h, Callback<bool> d) override { inner_.create_user(n, h, d); }
  void password_hash(std::string n, Callback<std::string> d) override { inner_.password_hash(n, d); }
  void ping(Callback<bool> d) override { inner_.ping(d); }
  void close() override {}

 private:
  void defer(std::function<void()> f) { queue_.push_back(std::move(f)); }
  MemoryStore inner_;
  std::vector<std::function<void()>> queue_;
};

TEST(HubPipelining, CommandsAfterAnUncommittedJoinWaitForItThenSeeTheMembership) {
  DeferredStore store;
  LocalBus bus;
  LocalPresence presence;
  Metrics metrics;
  Hub hub(HubOptions{}, store, bus, presence, metrics);
  bus.set_handler(&hub);
  auto a = std::make_shared<FakeClient>(1, "alice");
  hub.reserve("alice");
  hub.connect(a, [] {});
  for (auto frame : {R"({"type":"join","room":"general"})", R"({"type":"message","room":"general","id":"m1","text":"x"})",
                     R"({"type":"history","room":"general"})", R"({"type":"leave","room":"general"})",
                     R"({"type":"message","room":"general","id":"m2","text":"y"})"}) {
    hub.handle(a, std::get<Command>(decode_command(frame)));
  }
  store.run_all();
  auto types = std::vector<std::string>();
  for (auto& f : a->all()) types.emplace_back(f.at("type").as_string());
  // The commands after the join waited for it to commit, then ran in order. The leave took
  // effect before m1 committed, so alice is no longer a recipient of m1's broadcast; she
  // still gets its ack. Only m2, sent after the leave, is refused (at once).
  EXPECT_EQ(types, (std::vector<std::string>{"welcome", "joined", "error", "ack", "history", "left"}));
  EXPECT_EQ(a->of_type("error").at(0).at("id"), "m2");
}

}  // namespace
