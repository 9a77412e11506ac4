#pragma once
// A store kept in memory, with the same rules as SqliteStore. Callbacks run on the calling
// thread before the call returns (a permitted specialisation of the Store contract: "done
// runs exactly once" still holds). Nothing survives the process. For tests and benchmarks.
#include <map>
#include <mutex>
#include <unordered_map>

#include "store/store.hpp"

namespace parley {

class MemoryStore final : public Store {
 public:
  void append(AppendRequest req, Callback<Appended> done) override;
  void create_room(std::string room, Callback<bool> done) override;
  void room(std::string room, Callback<RoomState> done) override;
  void join(std::string room, std::string user, int max_rooms, Callback<RoomState> done) override;
  void leave(std::string room, std::string user, Callback<bool> done) override;
  void set_read(std::string room, std::string user, int64_t seq, Callback<bool> done) override;
  void rooms_of(std::string user, Callback<std::vector<RoomState>> done) override;
  void after(std::string room, int64_t after, int limit, Callback<MessagePage> done) override;
  void before(std::string room, std::optional<int64_t> before, int limit,
              Callback<MessagePage> done) override;
  void create_user(std::string name, std::string password_hash, Callback<bool> done) override;
  void password_hash(std::string name, Callback<std::string> done) override;
  void ping(Callback<bool> done) override;
  void close() override;

 private:
  struct Room {
    std::vector<ChatMessage> messages;        // index i holds seq i+1
    std::map<std::string, int64_t> readers;   // member → read_seq
  };
  std::mutex mu_;  // guards everything below
  bool closed_ = false;
  std::map<std::string, Room> rooms_;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, int64_t>> dedup_;  // (user,id) → (room,seq)
  std::unordered_map<std::string, std::string> users_;
};

}  // namespace parley
