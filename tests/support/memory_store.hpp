#pragma once
// A store kept in memory, with the same rules as SqliteStore (store/rules.hpp), for tests and
// benchmarks only. Like the real stores it keeps the Store contract: effects in call order,
// every callback once, on the store's own thread (never the caller's). Nothing survives the
// process.
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <set>
#include <unordered_map>

#include "store/store.hpp"

namespace parley {

class MemoryStore final : public Store {
 public:
  MemoryStore();
  ~MemoryStore() override;
  // The thread every callback runs on.
  std::thread::id thread_id() const { return worker_.get_id(); }

  void append(AppendRequest req, Callback<Appended> done) override;
  void create_room(std::string room, RoomKind kind, std::string owner, Callback<bool> done) override;
  void room(std::string room, Callback<RoomState> done) override;
  void join(JoinRequest req, Callback<RoomState> done) override;
  void open_direct(std::string room, std::string a, std::string b, int max_rooms, int extras_limit,
                   Callback<RoomState> done) override;
  void moderate(ModerationRequest req, Callback<ModerationResult> done) override;
  void set_slow_mode(std::string room, std::string actor, int64_t seconds, Callback<RoomState> done) override;
  void set_block(std::string user, std::string other, bool on, Callback<std::vector<std::string>> done) override;
  void settings_of(std::string user, Callback<UserSettings> done) override;
  void set_status(std::string user, UserStatus status, Callback<bool> done) override;
  void search(SearchQuery q, Callback<std::vector<ChatMessage>> done) override;
  void leave(std::string room, std::string user, Callback<bool> done) override;
  void set_read(std::string room, std::string user, int64_t seq, Callback<ReadResult> done) override;
  void set_notify(std::string room, std::string user, NotifyLevel level, Callback<RoomState> done) override;
  void pin(PinRequest req, Callback<bool> done) override;
  void reads(std::string room, std::string after, int limit, Callback<std::vector<ReadPosition>> done) override;
  void list_rooms(std::string after, int limit, int64_t since_ms, Callback<std::vector<RoomSummary>> done) override;
  void thread(std::string room, int64_t root, std::optional<int64_t> after, std::optional<int64_t> before, int limit,
              Callback<MessagePage> done) override;
  void rooms_of(std::string user, Callback<std::vector<RoomState>> done) override;
  void after(std::string room, int64_t after, int limit, Callback<MessagePage> done) override;
  void before(std::string room, std::optional<int64_t> before, int limit,
              Callback<MessagePage> done) override;
  void create_user(std::string name, std::string password_hash, Callback<bool> done) override;
  void password_hash(std::string name, Callback<std::string> done) override;
  void access_of(std::string user, std::string token_id, Callback<UserAccess> done) override;
  void revoke_token(std::string user, std::string token_id, int64_t expires_s, Callback<bool> done) override;
  void change_access(std::string user, AccessChange change, Callback<UserAccess> done) override;
  void change_password(std::string user, std::string password_hash, Callback<UserAccess> done) override;
  void delete_user(std::string user, DeletedUserMessages messages, Callback<UserAccess> done) override;
  void user_messages(std::string user, std::string after_id, int limit, Callback<std::vector<ChatMessage>> done) override;
  void save_push_subscription(std::string user, PushSubscription sub, Callback<bool> done) override;
  void drop_push_subscription(std::string user, std::string endpoint, Callback<bool> done) override;
  void push_targets(std::string user, std::string room, std::string author, bool mentioned,
                            Callback<PushTargets> done) override;
  void create_upload(Upload upload, int64_t quota_bytes, Callback<bool> done) override;
  void upload(std::string id, Callback<Upload> done) override;
  void expire_uploads(int64_t unsent_before_ms, Callback<std::vector<std::string>> done) override;
  void ping(Callback<bool> done) override;
  void close() override;

 private:
  struct Member {
    int64_t read_seq = 0;
    Role role = Role::member;
    int64_t muted_until = 0;
    NotifyLevel notify = NotifyLevel::all;
  };
  struct Room {
    RoomKind kind = RoomKind::public_room;
    std::vector<ChatMessage> messages;        // index i holds seq i+1
    std::map<std::string, Member> members;
    std::set<std::string> bans;
    std::map<int64_t, std::map<std::string, std::set<std::string>>> reactions;  // seq → emoji → users
    std::map<int64_t, Pin> pins;
    int64_t slow_mode_s = 0;
    int64_t settings_version = 0;
  };

  // Runs `fn` under the lock (unavailable once closed), then `done` outside it.
  template <class T>
  void run(const Callback<T>& done, const std::function<Result<T>()>& fn);
  RoomState state(const std::string& name, const Room& r, const std::string& user) const;
  ChatMessage view(const Room& r, std::size_t index) const;
  int rooms_count(const std::string& user) const;
  int64_t unread_mentions(const Room& r, const std::string& user) const;
  RoomExtras extras_of(const std::string& room, const std::string& user, int reads_limit) const;

  std::mutex mu_;  // guards everything below
  bool closed_ = false;
  std::map<std::string, Room> rooms_;
  std::map<std::string, Upload> uploads_;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, int64_t>> dedup_;  // (user,id) → (room,seq)
  std::unordered_map<std::string, std::string> users_;
  std::unordered_map<std::string, UserAccess> access_;  // users whose standing changed
  std::set<std::pair<std::string, std::string>> revoked_tokens_;  // (user, token id) logged out
  std::unordered_map<std::string, std::vector<PushSubscription>> push_;
  std::map<std::string, std::set<std::string>> blocks_;
  std::map<std::string, UserStatus> statuses_;

  void work();
  std::mutex queue_mu_;  // guards queue_, stopping_
  std::condition_variable queue_cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread worker_;  // last: starts once everything above exists
};

template <class T>
inline void MemoryStore::run(const Callback<T>& done, const std::function<Result<T>()>& fn) {
  Result<T> r;
  {
    std::lock_guard lock(mu_);
    r = closed_ ? Result<T>(Status::unavailable("store is closed")) : fn();
  }
  // The effect is applied in call order; the answer comes from the store's own thread, as
  // from the real stores' writer threads.
  std::lock_guard lock(queue_mu_);
  queue_.push_back([done, r = std::move(r)]() mutable { done(std::move(r)); });
  queue_cv_.notify_one();
}

}  // namespace parley
