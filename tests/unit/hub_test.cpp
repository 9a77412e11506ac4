// Hub rules on typed operations and events: the in-memory store answering from its own
// thread, one lane thread for the I/O threads, a manual clock. No JSON anywhere: results are
// the operations' own types, deliveries the domain events the encoder was given.
#include "hub/hub.hpp"

#include <gtest/gtest.h>

#include "hub_harness.hpp"

using namespace parley;
using namespace parley::testing;

namespace {

class HubTest : public ::testing::Test {
 protected:
  HubTest() { make_hub(HubOptions{}); }
  ~HubTest() override {
    store_.close();   // its last answers are on the lane now
    lanes_.drain();   // and have run: nothing touches the hub any more
    hub_.reset();
  }

  void make_hub(HubOptions o) {
    if (hub_) lanes_.drain();  // the default hub's work is done before it goes
    o.node_id = "n1";
    hub_ = std::make_unique<Hub>(o, store_, bus_, presence_, metrics_, encoder_, lanes_.lanes(),
                                 Clock{[this] { return wall_.load(); }, [this] { return mono_.load(); }});
  }

  std::shared_ptr<RecordingClient> connect(const std::string& user) {
    auto c = std::make_shared<RecordingClient>(next_id_++, user, encoder_);
    EXPECT_TRUE(hub_->reserve(user));
    auto ready = std::make_shared<std::promise<void>>();
    hub_->connect(c, [ready] { ready->set_value(); });
    EXPECT_EQ(ready->get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
    return c;
  }
  static Actor as(const std::shared_ptr<RecordingClient>& c) { return Actor::of_user(c->user(), c->id()); }

  // `leaving`, its user's last connection, goes; at the next tick `watcher`, which had heard
  // `before` presence events, hears one more: that user offline.
  void expect_offline_after_disconnect(const std::shared_ptr<RecordingClient>& leaving,
                                       const std::shared_ptr<RecordingClient>& watcher, std::size_t before) {
    hub_->disconnect(leaving);
    hub_->tick();
    auto p = watcher->wait_for<PresenceChanged>(before + 1);
    ASSERT_EQ(p.size(), before + 1);
    EXPECT_EQ(p.back().user, leaving->user());
    EXPECT_FALSE(p.back().online);
  }

  Result<Joined> join(const std::shared_ptr<RecordingClient>& c, const std::string& room) {
    return await<Joined>([&](Done<Joined> d) { hub_->join(as(c), room, d); });
  }
  Result<Appended> post(const Actor& a, const std::string& room, const std::string& id, const std::string& text = "hi",
                        const std::string& author = {}) {
    PostRequest req{room, id, text};
    req.author = author;
    return await<Appended>([&](Done<Appended> d) { hub_->post(a, req, d); });
  }

  Metrics metrics_;
  MemoryStore store_;
  RecordingBus bus_;
  LocalPresence presence_;
  TestEncoder encoder_;
  LaneThread lanes_;
  std::unique_ptr<Hub> hub_;
  std::atomic<int64_t> wall_{1'700'000'000'000};
  std::atomic<int64_t> mono_{0};
  uint64_t next_id_ = 1;
};

TEST_F(HubTest, WelcomeComesFirstAndListsTheRooms) {
  auto a = connect("alice");
  auto first = a->all().at(0);
  ASSERT_TRUE(std::holds_alternative<Welcome>(first.event));
  EXPECT_EQ(std::get<Welcome>(first.event).user, "alice");
  EXPECT_TRUE(std::get<Welcome>(first.event).rooms.empty());
  ASSERT_TRUE(join(a, "general").ok());
  ASSERT_TRUE(post(as(a), "general", "m1").ok());
  auto a2 = connect("alice");
  auto w = std::get<Welcome>(a2->all().at(0).event);
  ASSERT_EQ(w.rooms.size(), 1u);
  EXPECT_EQ(w.rooms[0].room, "general");
  EXPECT_EQ(w.rooms[0].last_seq, 1);
}

TEST_F(HubTest, JoinAnswersTheOthersOnlineAndAnnouncesPresence) {
  auto a = connect("alice");
  auto b = connect("bob");
  ASSERT_TRUE(join(a, "general").ok());
  auto j = join(b, "general");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j.value.state.room, "general");
  EXPECT_EQ(j.value.online, std::vector<std::string>{"alice"});
  EXPECT_EQ(j.value.online_count, 2);
  EXPECT_FALSE(j.value.by_count);
  EXPECT_TRUE(a->of<PresenceChanged>().empty()) << "presence waits for the tick";
  hub_->tick();
  auto seen = a->wait_for<PresenceChanged>(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].user, "bob");
  EXPECT_TRUE(seen[0].online);
  for (auto& p : b->of<PresenceChanged>()) EXPECT_NE(p.user, "bob") << "nobody hears their own presence";
}

TEST_F(HubTest, EveryLocalCopyIsQueuedBeforeTheAck) {
  auto a = connect("alice");
  auto a2 = connect("alice");
  auto b = connect("bob");
  ASSERT_TRUE(join(a, "general").ok());
  ASSERT_TRUE(join(b, "general").ok());
  std::size_t copies_at_ack = 0;
  auto r = await<Appended>([&](Done<Appended> d) {
    hub_->post(as(a), PostRequest{"general", "m1", "hello"}, [&, d](Result<Appended> res) {
      copies_at_ack = a->of<MessageStored>().size() + a2->of<MessageStored>().size() + b->of<MessageStored>().size();
      d(std::move(res));
    });
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.message.seq, 1);
  EXPECT_FALSE(r.value.duplicate);
  EXPECT_EQ(copies_at_ack, 3u) << "the sender's own connections and every member's, before the ack";
  EXPECT_EQ(b->of<MessageStored>().at(0).message.text, "hello");
  // The other nodes get the same typed event through the bus, once.
  auto published = bus_.rooms();
  ASSERT_EQ(std::count_if(published.begin(), published.end(), [](auto& e) { return e.message() != nullptr; }), 1);
}

TEST_F(HubTest, FanOutRunsOnTheLanesNeverOnTheStoreThread) {
  auto a = connect("alice");
  auto b = connect("bob");
  ASSERT_TRUE(join(a, "general").ok());
  ASSERT_TRUE(join(b, "general").ok());
  ASSERT_TRUE(post(as(a), "general", "m1").ok());
  for (auto& got : b->all()) {
    EXPECT_NE(got.thread, store_.thread_id()) << "a delivery ran on the store's thread";
  }
  auto msgs = b->all();
  auto it = std::find_if(msgs.begin(), msgs.end(), [](auto& r) {
    auto* e = std::get_if<RoomEvent>(&r.event);
    return e && e->message();
  });
  ASSERT_NE(it, msgs.end());
  EXPECT_EQ(it->thread, lanes_.id());
}

TEST_F(HubTest, EachEventIsEncodedOnceForAllItsRecipients) {
  std::vector<std::shared_ptr<RecordingClient>> members;
  for (int i = 0; i < 5; ++i) {
    members.push_back(connect("u" + std::to_string(i)));
    ASSERT_TRUE(join(members.back(), "general").ok());
  }
  // A read through the lane: everything the joins left on it has run.
  await<MessagePage>([&](Done<MessagePage> d) { hub_->history(as(members[0]), "general", HistoryQuery{}, d); });
  const std::size_t before = encoder_.encoded();
  ASSERT_TRUE(post(as(members[0]), "general", "m1").ok());
  EXPECT_EQ(encoder_.encoded() - before, 1u) << "one frame for five recipients";
}

TEST_F(HubTest, ARepeatedIdAnswersTheOriginalAndDeliversNothing) {
  auto a = connect("alice");
  ASSERT_TRUE(join(a, "general").ok());
  auto first = post(as(a), "general", "m1", "one");
  auto again = post(as(a), "general", "m1", "one");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value.duplicate);
  EXPECT_EQ(again.value.message.seq, first.value.message.seq);
  EXPECT_EQ(a->of<MessageStored>().size(), 1u);
}

TEST_F(HubTest, NonMembersAreForbiddenAndBadNamesInvalid) {
  auto a = connect("alice");
  EXPECT_EQ(post(as(a), "general", "m1").status.code(), Status::Code::forbidden);
  EXPECT_EQ(post(as(a), "Not Valid", "m1").status.code(), Status::Code::invalid);
  EXPECT_EQ(join(a, "Not Valid").status.code(), Status::Code::invalid);
  auto backend = await<RoomState>([&](Done<RoomState> d) { hub_->room_info(Actor::backend(), "Not Valid", d); });
  EXPECT_EQ(backend.status.code(), Status::Code::invalid) << "one vocabulary for both faces";
  EXPECT_EQ(backend.status.message(), join(a, "Not Valid").status.message());
}

TEST_F(HubTest, TextOverTheLimitIsTooLarge) {
  HubOptions o;
  o.max_text_chars = 5;
  make_hub(o);
  auto a = connect("alice");
  ASSERT_TRUE(join(a, "general").ok());
  EXPECT_EQ(post(as(a), "general", "m1", "éééééé").status.code(), Status::Code::too_large);
  EXPECT_TRUE(post(as(a), "general", "m2", "ééééé").ok()) << "characters, not bytes";
}

TEST_F(HubTest, TheRateLimitHoldsForUsersOnlyAndRefills) {
  HubOptions o;
  o.rate_per_sec = 1;
  o.rate_burst = 2;
  make_hub(o);
  auto a = connect("alice");
  ASSERT_TRUE(join(a, "general").ok());
  EXPECT_TRUE(post(as(a), "general", "m1").ok());
  EXPECT_TRUE(post(as(a), "general", "m2").ok());
  EXPECT_EQ(post(as(a), "general", "m3").status.code(), Status::Code::rate_limited);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(post(Actor::backend(), "general", "b" + std::to_string(i), "x", "alice").ok());
  mono_ += 1000;
  EXPECT_TRUE(post(as(a), "general", "m4").ok());
}

TEST_F(HubTest, TheBackendPostingForAUserMeetsTheirMuteAndTheWordFilter) {
  HubOptions o;
  o.word_filter = WordFilter({"darn"}, /*reject=*/true);
  make_hub(o);
  auto owner = connect("olga");
  ASSERT_TRUE(await<Created>([&](Done<Created> d) { hub_->create_room(as(owner), "board", RoomKind::public_room, d); }).ok());
  auto bob = connect("bob");
  ASSERT_TRUE(join(bob, "board").ok());
  EXPECT_EQ(post(Actor::backend(), "board", "f1", "darn", "bob").status.code(), Status::Code::filtered);
  EXPECT_TRUE(post(Actor::backend(), "board", "s1", "darn", "").ok()) << "a system message is the backend's own text";
  ModerateRequest mute{"board", "bob", ModerationAction::mute, 60};
  ASSERT_TRUE(await<ModerationResult>([&](Done<ModerationResult> d) { hub_->moderate(as(owner), mute, d); }).ok());
  auto refused = post(Actor::backend(), "board", "p1", "hello", "bob");
  EXPECT_EQ(refused.status.code(), Status::Code::muted);
  EXPECT_EQ(refused.status.until_ms(), wall_.load() + 60'000);
  EXPECT_EQ(post(as(bob), "board", "p2", "hello").status.code(), Status::Code::muted) << "and so is bob himself";
}

TEST_F(HubTest, TypingIsForwardedExpiresAndEndsWithAMessage) {
  auto a = connect("alice");
  auto b = connect("bob");
  ASSERT_TRUE(join(a, "general").ok());
  ASSERT_TRUE(join(b, "general").ok());
  ASSERT_TRUE(await<Ok>([&](Done<Ok> d) { hub_->typing(as(a), "general", true, d); }).ok());
  auto t = b->of<TypingChanged>();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].active);
  EXPECT_TRUE(a->of<TypingChanged>().empty());
  mono_ += 5000;
  hub_->tick();
  t = b->of<TypingChanged>();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_FALSE(t[1].active);
  ASSERT_TRUE(await<Ok>([&](Done<Ok> d) { hub_->typing(as(a), "general", true, d); }).ok());
  ASSERT_TRUE(post(as(a), "general", "m1").ok());
  t = b->of<TypingChanged>();
  ASSERT_EQ(t.size(), 4u);
  EXPECT_FALSE(t[3].active) << "the message ended the indicator";
}

TEST_F(HubTest, ReadPositionsMoveForwardOnly) {
  auto a = connect("alice");
  auto b = connect("bob");
  ASSERT_TRUE(join(a, "general").ok());
  ASSERT_TRUE(join(b, "general").ok());
  ASSERT_TRUE(post(as(a), "general", "m1").ok());
  ASSERT_TRUE(post(as(a), "general", "m2").ok());
  auto read = [&](int64_t seq) { return await<Ok>([&](Done<Ok> d) { hub_->read(as(b), "general", seq, d); }); };
  EXPECT_TRUE(read(2).ok());
  EXPECT_TRUE(read(1).ok());
  EXPECT_EQ(read(9).status.code(), Status::Code::invalid);
  auto reads = a->of<ReadMoved>();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].seq, 2);
}

TEST_F(HubTest, MessagesFromOtherNodesAreDeliveredInSeqOrder) {
  auto a = connect("alice");
  ASSERT_TRUE(join(a, "general").ok());
  auto remote = [](int64_t seq) {
    ChatMessage m;
    m.room = "general";
    m.seq = seq;
    m.user = "zed";
    m.id = "z" + std::to_string(seq);
    return RoomEvent{"general", MessageStored{m, 0}, "n2"};
  };
  hub_->on_room_event(remote(2));
  hub_->on_room_event(remote(3));
  EXPECT_TRUE(a->of<MessageStored>().empty()) << "held until seq 1 arrives";
  hub_->on_room_event(remote(1));
  auto got = a->of<MessageStored>();
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(got[i].message.seq, i + 1);
  hub_->on_room_event(remote(2));
  EXPECT_EQ(a->of<MessageStored>().size(), 3u) << "a repeat is dropped";
}

TEST_F(HubTest, MessagesStoredBeforeTheSubscriptionTookEffectAreFetchedFromTheStore) {
  auto a = connect("alice");
  ASSERT_TRUE(join(a, "general").ok());  // live delivery here continues after last_seq 0
  // Another node stored seqs 1 and 2 and published them before this node's subscription.
  for (const char* id : {"z1", "z2"}) {
    ASSERT_TRUE(await<Appended>([&](Done<Appended> d) {
                  store_.append(AppendRequest{"general", "zed", id, "elsewhere", wall_.load()}, d);
                }).ok());
  }
  EXPECT_TRUE(a->of<MessageStored>().empty());
  hub_->on_room_subscribed("general");
  auto got = a->wait_for<MessageStored>(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].message.seq, 1);
  EXPECT_EQ(got[1].message.seq, 2);
  // One that came over the bus after all is not delivered twice, nor a second fetch's.
  ChatMessage m = got[1].message;
  hub_->on_room_event(RoomEvent{"general", MessageStored{m, 0}, "n2"});
  hub_->on_room_subscribed("general");
  await<MessagePage>([&](Done<MessagePage> d) { hub_->history(as(a), "general", HistoryQuery{}, d); });
  EXPECT_EQ(a->of<MessageStored>().size(), 2u);
}

TEST_F(HubTest, AnAckWaitsForItsMessageHeldBehindAGap) {
  auto a = connect("alice");
  ASSERT_TRUE(join(a, "general").ok());
  // Another node stored seq 1, whose event is still on its way.
  auto other = await<Appended>([&](Done<Appended> d) {
    store_.append(AppendRequest{"general", "zed", "z1", "elsewhere", wall_.load()}, d);
  });
  ASSERT_EQ(other.value.message.seq, 1);
  std::atomic<bool> acked{false};
  hub_->post(as(a), PostRequest{"general", "m2", "mine"}, [&](Result<Appended> r) {
    EXPECT_EQ(r.value.message.seq, 2);
    acked = true;
  });
  // Published for the other nodes (before it is delivered here): it is in the reorder buffer.
  ASSERT_TRUE(bus_.wait_for_message());
  // Whatever the lane still runs for this post has run once a later read comes back.
  await<MessagePage>([&](Done<MessagePage> d) { hub_->history(as(a), "general", HistoryQuery{}, d); });
  EXPECT_FALSE(acked.load()) << "not before the sender has its own copy";
  EXPECT_TRUE(a->of<MessageStored>().empty());
  mono_ += 1000;
  hub_->tick();  // the gap did not fill in the reorder window: released
  auto got = a->wait_for<MessageStored>(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message.seq, 2);
  EXPECT_TRUE(acked.load());
}

TEST_F(HubTest, PresenceGoesOfflineOnlyWithTheLastDevice) {
  auto a1 = connect("alice");
  auto a2 = connect("alice");
  auto b = connect("bob");
  ASSERT_TRUE(join(a1, "general").ok());
  ASSERT_TRUE(join(b, "general").ok());
  hub_->tick();
  const std::size_t before = b->of<PresenceChanged>().size();  // alice's online, told late
  hub_->disconnect(a1);
  hub_->tick();
  lanes_.drain();
  EXPECT_EQ(b->of<PresenceChanged>().size(), before);
  expect_offline_after_disconnect(a2, b, before);
}

TEST_F(HubTest, PresenceTellsTheLastChangeOfEachTick) {
  auto b = connect("bob");
  ASSERT_TRUE(join(b, "general").ok());
  auto a = connect("alice");
  ASSERT_TRUE(join(a, "general").ok());
  hub_->tick();
  ASSERT_EQ(b->wait_for<PresenceChanged>(1).size(), 1u);
  // A reconnect between two ticks: the room hears where it ended, once.
  hub_->disconnect(a);
  auto again = connect("alice");
  hub_->tick();
  lanes_.drain();
  auto p = b->of<PresenceChanged>();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].user, "alice");
  EXPECT_TRUE(p[1].online);
  // Online and gone within one tick, seen by a member who joined in between (her list has
  // him): the offline reaches her.
  auto d = connect("dave");
  ASSERT_TRUE(join(d, "general").ok());
  auto e = connect("erin");
  auto j = join(e, "general");
  ASSERT_TRUE(j.ok());
  EXPECT_NE(std::find(j.value.online.begin(), j.value.online.end(), "dave"), j.value.online.end());
  hub_->disconnect(d);
  hub_->tick();
  auto told = e->wait_for<PresenceChanged>(1);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].user, "dave");
  EXPECT_FALSE(told[0].online);
}

TEST_F(HubTest, LargeRoomsTellOccupancyInsteadOfPerUserPresence) {
  HubOptions o;
  o.presence_limit = 2;
  make_hub(o);
  auto a = connect("alice");
  auto b = connect("bob");
  ASSERT_TRUE(join(a, "general").ok());
  ASSERT_TRUE(join(b, "general").ok());
  hub_->tick();
  ASSERT_EQ(a->wait_for<PresenceChanged>(1).size(), 1u);  // two online: per user
  auto c = connect("carol");
  auto d = connect("dave");
  ASSERT_TRUE(join(c, "general").ok());
  auto j = join(d, "general");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j.value.online.size(), 2u) << "joined lists presence_limit members at most";
  EXPECT_EQ(j.value.online_count, 4);
  EXPECT_TRUE(j.value.by_count);
  hub_->tick();
  auto occ = a->wait_for<Occupancy>(1);
  ASSERT_EQ(occ.size(), 1u);
  EXPECT_EQ(occ[0].room, "general");
  EXPECT_EQ(occ[0].count, 4);
  EXPECT_TRUE(occ[0].counting);
  const std::size_t per_user = a->of<PresenceChanged>().size();
  // Counting now: a join changes the count at the next tick, no per-user event.
  auto e = connect("erin");
  ASSERT_TRUE(join(e, "general").ok());
  hub_->tick();
  occ = a->wait_for<Occupancy>(2);
  ASSERT_EQ(occ.size(), 2u);
  EXPECT_EQ(occ[1].count, 5);
  EXPECT_EQ(a->of<PresenceChanged>().size(), per_user);
  hub_->tick();
  lanes_.drain();
  EXPECT_EQ(a->of<Occupancy>().size(), 2u) << "an unchanged count is not told again";
  // Back to the limit: one last occupancy, then per-user presence again.
  hub_->disconnect(c);
  hub_->disconnect(d);
  hub_->disconnect(e);
  hub_->tick();
  occ = a->wait_for<Occupancy>(3);
  ASSERT_EQ(occ.size(), 3u);
  EXPECT_EQ(occ[2].count, 2);
  EXPECT_FALSE(occ[2].counting);
  expect_offline_after_disconnect(b, a, per_user);
}

TEST_F(HubTest, OnlineMembersComeInPages) {
  std::vector<std::shared_ptr<RecordingClient>> conns;
  for (const char* u : {"alice", "bob", "carol", "dave", "erin"}) {
    conns.push_back(connect(u));
    ASSERT_TRUE(join(conns.back(), "general").ok());
  }
  auto page = [&](const Actor& a, std::string after) {
    return await<OnlineMembers>([&](Done<OnlineMembers> d) { hub_->online(a, OnlineQuery{"general", after, 2}, d); });
  };
  auto p1 = page(as(conns[0]), "");
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1.value.users, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(p1.value.count, 5);
  EXPECT_EQ(p1.value.next, "bob");
  auto p3 = page(Actor::backend(), "dave");
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3.value.users, std::vector<std::string>{"erin"});
  EXPECT_TRUE(p3.value.next.empty());
  auto outsider = connect("zed");
  auto refused = page(as(outsider), "");
  EXPECT_EQ(refused.status.code(), Status::Code::forbidden);
}

TEST_F(HubTest, LeaveReachesTheOtherDevicesAndStopsDelivery) {
  auto a1 = connect("alice");
  auto a2 = connect("alice");
  auto b = connect("bob");
  ASSERT_TRUE(join(a1, "general").ok());
  ASSERT_TRUE(join(b, "general").ok());
  ASSERT_TRUE(await<Ok>([&](Done<Ok> d) { hub_->leave(as(a1), "general", d); }).ok());
  auto left = a2->wait_for<MembershipLeft>(1);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].reason, LeftReason::left);
  EXPECT_TRUE(a1->of<MembershipLeft>().empty()) << "the asking connection has its answer";
  ASSERT_TRUE(post(as(b), "general", "m1").ok());
  EXPECT_TRUE(a1->of<MessageStored>().empty());
  EXPECT_TRUE(a2->of<MessageStored>().empty());
}

TEST_F(HubTest, ConnectionAndRoomLimits) {
  HubOptions o;
  o.max_conns_per_user = 2;
  o.max_rooms_per_user = 1;
  make_hub(o);
  auto a = connect("alice");
  connect("alice");
  EXPECT_FALSE(hub_->reserve("alice"));
  ASSERT_TRUE(join(a, "one").ok());
  EXPECT_EQ(join(a, "two").status.code(), Status::Code::limit_exceeded);
}

TEST_F(HubTest, OperationsWaitForAJoinStillInTheStore) {
  auto a = connect("alice");
  // Sent back to back: the post must not be judged before the join is stored.
  auto joined = std::make_shared<std::promise<Result<Joined>>>();
  hub_->join(as(a), "general", [joined](Result<Joined> r) { joined->set_value(std::move(r)); });
  auto posted = post(as(a), "general", "m1");
  EXPECT_TRUE(posted.ok()) << posted.status.message();
  EXPECT_TRUE(joined->get_future().get().ok());
}

TEST_F(HubTest, JoinReachesTheUsersOtherDevicesAsATypedEvent) {
  auto a1 = connect("alice");
  auto a2 = connect("alice");
  ASSERT_TRUE(join(a1, "general").ok());
  auto j = a2->wait_for<MembershipJoined>(1);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].state.room, "general");
  EXPECT_TRUE(a1->of<MembershipJoined>().empty());
  ASSERT_FALSE(bus_.user_events.empty());
  EXPECT_TRUE(std::holds_alternative<MembershipJoined>(bus_.user_events.back().payload));
  EXPECT_EQ(bus_.user_events.back().origin, "n1");
}

TEST_F(HubTest, ABlockedUsersTypingAndPresenceDoNotReachTheBlocker) {
  auto a = connect("alice");
  auto b = connect("bob");
  ASSERT_TRUE(join(a, "general").ok());
  ASSERT_TRUE(join(b, "general").ok());
  hub_->tick();
  ASSERT_EQ(a->wait_for<PresenceChanged>(1).size(), 1u);
  auto list = await<std::vector<std::string>>([&](Done<std::vector<std::string>> d) { hub_->block(as(a), "bob", true, d); });
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list.value, std::vector<std::string>{"bob"});
  a->clear();
  ASSERT_TRUE(await<Ok>([&](Done<Ok> d) { hub_->typing(as(b), "general", true, d); }).ok());
  ASSERT_TRUE(post(as(b), "general", "m1").ok());
  EXPECT_TRUE(a->of<TypingChanged>().empty());
  EXPECT_EQ(a->of<MessageStored>().size(), 1u) << "messages still arrive";
  auto carol = connect("carol");
  ASSERT_TRUE(join(carol, "general").ok());
  hub_->disconnect(b);
  hub_->tick();
  auto heard = carol->wait_for<PresenceChanged>(1);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].user, "bob") << "carol hears bob go";
  lanes_.drain();
  for (auto& p : a->of<PresenceChanged>()) EXPECT_NE(p.user, "bob") << "alice, who blocks bob, does not";
  EXPECT_EQ(a->of<PresenceChanged>().size(), 1u) << "carol's online";
}

}  // namespace
