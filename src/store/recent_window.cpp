#include "store/recent_window.hpp"

#include <algorithm>

#include "store/store.hpp"

namespace parley {

RecentWindow::RecentWindow(std::size_t per_room, std::size_t budget_bytes)
    : per_room_(std::max<std::size_t>(per_room, 1)), budget_(budget_bytes) {}

std::size_t RecentWindow::cost(const ChatMessage& m) {
  std::size_t n = sizeof(ChatMessage) + m.text.size() + m.user.size() + m.id.size() + m.data.size();
  for (auto& u : m.mentions) n += sizeof(std::string) + u.size();
  for (auto& f : m.attachments) n += sizeof(Attachment) + f.id.size() + f.name.size() + f.type.size();
  for (auto& r : m.reactions) {
    n += sizeof(Reaction) + r.emoji.size();
    for (auto& u : r.users) n += sizeof(std::string) + u.size();
  }
  return n;
}

void RecentWindow::stage(const ChatMessage& entry) { staged_.push_back(entry); }

void RecentWindow::rollback() {
  staged_.clear();
  forget_ = false;
}

void RecentWindow::commit() {
  if (forget_) {
    forget_ = false;
    staged_.clear();
    MutexLock lock(mu_);
    rooms_.clear();
    bytes_ = 0;
    return;
  }
  if (staged_.empty()) return;
  MutexLock lock(mu_);
  for (auto& e : staged_) apply(e);
  staged_.clear();
  evict();
}

void RecentWindow::apply(const ChatMessage& entry) {
  auto& r = rooms_[entry.room];
  r.touched = ++clock_;
  if (entry.kind != EntryKind::message || entry.reply_to > 0) apply_to_target(r, entry);
  if (!r.entries.empty() && r.entries.back().seq + 1 != entry.seq) {
    for (auto& m : r.entries) bytes_ -= cost(m);
    r.entries.clear();
  }
  ChatMessage& m = r.entries.emplace_back(entry);
  m.edited_ts = 0;
  m.deleted = false;
  m.reactions.clear();
  m.reply_count = 0;
  m.last_reply_ts = 0;
  bytes_ += cost(m);
  while (r.entries.size() > per_room_) {
    bytes_ -= cost(r.entries.front());
    r.entries.pop_front();
  }
}

// What SqliteStore's apply_to_target does to the rows, done to the copies held here.
void RecentWindow::apply_to_target(Room& r, const ChatMessage& entry) {
  auto find = [&](int64_t seq) -> ChatMessage* {
    if (r.entries.empty() || seq < r.entries.front().seq || seq > r.entries.back().seq) return nullptr;
    return &r.entries[static_cast<std::size_t>(seq - r.entries.front().seq)];
  };
  ChatMessage* target = find(entry.target);
  switch (entry.kind) {
    case EntryKind::edited:
      if (target) change_entry(*target, [&](ChatMessage& m) {
        m.text = entry.text;
        m.edited_ts = entry.ts;
      });
      return;
    case EntryKind::deleted:
      // The tombstone, and the texts of the edits made to it (they held its words).
      if (target) change_entry(*target, [](ChatMessage& m) {
        m.text.clear();
        m.deleted = true;
        m.reactions.clear();
        m.attachments.clear();
      });
      for (auto& m : r.entries) {
        if (m.kind == EntryKind::edited && m.target == entry.target) change_entry(m, [](ChatMessage& e) { e.text.clear(); });
      }
      return;
    case EntryKind::reaction_add:
      if (target) change_entry(*target, [&](ChatMessage& m) {
        auto g = std::lower_bound(m.reactions.begin(), m.reactions.end(), entry.text,
                                  [](const Reaction& x, const std::string& emoji) { return x.emoji < emoji; });
        if (g == m.reactions.end() || g->emoji != entry.text) g = m.reactions.insert(g, Reaction{entry.text, {}});
        auto u = std::lower_bound(g->users.begin(), g->users.end(), entry.user);
        if (u == g->users.end() || *u != entry.user) g->users.insert(u, entry.user);
      });
      return;
    case EntryKind::reaction_remove:
      if (target) change_entry(*target, [&](ChatMessage& m) {
        auto g = std::find_if(m.reactions.begin(), m.reactions.end(), [&](const Reaction& x) { return x.emoji == entry.text; });
        if (g == m.reactions.end()) return;
        std::erase(g->users, entry.user);
        if (g->users.empty()) m.reactions.erase(g);
      });
      return;
    case EntryKind::message:
      // A reply: its thread's first message counts it.
      if (ChatMessage* root = find(entry.reply_to)) change_entry(*root, [&](ChatMessage& m) {
        ++m.reply_count;
        m.last_reply_ts = entry.ts;
      });
      return;
  }
}

// Over the budget: the least recently appended quarter of the rooms goes (at least one).
void RecentWindow::evict() {
  if (bytes_ <= budget_ || rooms_.empty()) return;
  std::vector<std::pair<uint64_t, std::string>> order;
  order.reserve(rooms_.size());
  for (auto& [name, r] : rooms_) order.emplace_back(r.touched, name);
  std::sort(order.begin(), order.end());
  const std::size_t drop = std::max<std::size_t>(1, order.size() / 4);
  for (std::size_t i = 0; i < order.size() && (i < drop || bytes_ > budget_); ++i) {
    auto it = rooms_.find(order[i].second);
    for (auto& m : it->second.entries) bytes_ -= cost(m);
    rooms_.erase(it);
  }
}

// Whether a page may take no more entries: the store's rule (Store::after/before, read_page).
bool RecentWindow::page_full(const MessagePage& page, std::size_t bytes, int limit) {
  return page.messages.size() >= static_cast<std::size_t>(std::max(limit, 0)) ||
         (bytes >= kMaxPageTextBytes && !page.messages.empty());
}

std::optional<MessagePage> RecentWindow::after(const std::string& room, int64_t after, int limit) const {
  MutexLock lock(mu_);
  auto it = rooms_.find(room);
  if (it == rooms_.end() || it->second.entries.empty()) return std::nullopt;
  const auto& entries = it->second.entries;
  if (after + 1 < entries.front().seq) return std::nullopt;  // starts before the window
  MessagePage page;
  std::size_t bytes = 0;
  const int64_t skip = std::max<int64_t>(0, after + 1 - entries.front().seq);
  for (auto m = entries.begin() + std::min<int64_t>(skip, static_cast<int64_t>(entries.size())); m != entries.end(); ++m) {
    if (page_full(page, bytes, limit)) {
      page.has_more = true;
      break;
    }
    bytes += m->text.size();
    page.messages.push_back(*m);
  }
  return page;
}

std::optional<MessagePage> RecentWindow::before(const std::string& room, std::optional<int64_t> before, int limit) const {
  MutexLock lock(mu_);
  auto it = rooms_.find(room);
  if (it == rooms_.end() || it->second.entries.empty()) return std::nullopt;
  const auto& entries = it->second.entries;
  const int64_t first = entries.front().seq;
  const int64_t below = before.value_or(INT64_MAX);
  MessagePage page;
  std::size_t bytes = 0;
  for (auto m = entries.rbegin(); m != entries.rend(); ++m) {
    if (m->seq >= below) continue;
    if (page_full(page, bytes, limit)) {
      page.has_more = true;  // m is older than the page
      break;
    }
    bytes += m->text.size();
    page.messages.push_back(*m);
  }
  if (!page.has_more) {
    // The window ran out. A complete page has older entries when its oldest seq (or, empty,
    // the bound) is above 1, seqs having no gaps; an incomplete one is the whole room, or
    // the store's job.
    if (page_full(page, bytes, limit)) {
      page.has_more = (page.messages.empty() ? below : page.messages.back().seq) > 1;
    } else if (first != 1) {
      return std::nullopt;
    }
  }
  std::reverse(page.messages.begin(), page.messages.end());
  return page;
}

std::size_t RecentWindow::bytes() const {
  MutexLock lock(mu_);
  return bytes_;
}

}  // namespace parley
