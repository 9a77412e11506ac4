#pragma once
// The newest entries of each busy room, in memory, so that the `sync` and `history` pages
// clients ask for most (the last 50, or everything after a recent seq) are answered without a
// trip to the database. Kept by the single writer that stores every entry of a room (SQLite;
// a cluster's nodes each see only their own appends, so the PostgreSQL store has none).
//
// The writer stages what each append does and applies it only after its transaction
// committed (a rolled-back batch changes nothing here). A room's window is a run of
// consecutive seqs ending at the newest one stored; an entry that does not follow on starts
// the run again. Edits, deletions and reactions update their target, if it is in the window,
// the way the store's own statements update its row. A page is answered only when the
// window holds all of it; otherwise the database is asked, as before.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/mutex.hpp"
#include "common/types.hpp"

namespace parley {

class RecentWindow {
 public:
  // `per_room`: entries kept per room (at least a page); `budget_bytes`: all rooms' text and
  // overhead together, beyond which the rooms appended to least recently are dropped.
  explicit RecentWindow(std::size_t per_room = 128, std::size_t budget_bytes = 32u << 20);

  // Writer thread, inside a transaction: what an append stored (`entry`, as its ack has it).
  void stage(const ChatMessage& entry);
  // The transaction committed: the staged entries take effect. Rolled back: they are dropped.
  void commit();
  void rollback();
  // Writer thread, inside a transaction that rewrites entries in bulk (a deleted user's
  // messages erased): once it commits, every room's window is forgotten, the staged entries too.
  void forget_at_commit() { forget_ = true; }

  // seq > after, ascending, up to `limit` (and the page text cap), like Store::after.
  std::optional<MessagePage> after(const std::string& room, int64_t after, int limit) const;
  // seq < before (the newest when absent), the newest `limit` of them, ascending.
  std::optional<MessagePage> before(const std::string& room, std::optional<int64_t> before, int limit) const;

  std::size_t bytes() const;

 private:
  struct Room {
    std::deque<ChatMessage> entries;  // consecutive seqs, oldest first
    uint64_t touched = 0;             // when last appended to (a counter)
  };
  void apply(const ChatMessage& entry) REQUIRES(mu_);
  void apply_to_target(Room& r, const ChatMessage& entry) REQUIRES(mu_);
  void evict() REQUIRES(mu_);
  // Changes an entry in place, keeping bytes_ right.
  template <class F>
  void change_entry(ChatMessage& m, F fn) REQUIRES(mu_) {
    bytes_ -= cost(m);
    fn(m);
    bytes_ += cost(m);
  }
  static std::size_t cost(const ChatMessage& m);
  static bool page_full(const MessagePage& page, std::size_t bytes, int limit);

  const std::size_t per_room_;
  const std::size_t budget_;
  std::vector<ChatMessage> staged_;  // writer thread only
  bool forget_ = false;              // writer thread only
  mutable Mutex mu_;
  std::unordered_map<std::string, Room> rooms_ GUARDED_BY(mu_);
  std::size_t bytes_ GUARDED_BY(mu_) = 0;
  uint64_t clock_ GUARDED_BY(mu_) = 0;
};

}  // namespace parley
