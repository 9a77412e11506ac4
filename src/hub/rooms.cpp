#include "hub/rooms.hpp"

namespace parley {

const std::vector<ClientPtr>& LocalRoom::recipients() {
  if (!recipients_) {
    auto list = std::make_shared<std::vector<ClientPtr>>();
    for (auto& [user, conns] : online) list->insert(list->end(), conns.begin(), conns.end());
    recipients_ = std::move(list);
  }
  return *recipients_;
}

void LocalRoom::position(int64_t last_seq) {
  // Messages up to last_seq are in the store already, and the client gets them with `sync`.
  // A room already positioned keeps its place: jumping to a last_seq read ahead of the bus
  // would skip, for the members already here, the messages still on their way.
  if (positioned) return;
  delivered_seq = last_seq;
  positioned = true;
}

void LocalRoom::take_in_order(const RoomEvent& event, int64_t now_ms, std::function<void()> then, std::vector<RoomEvent>& ready,
                              std::vector<std::function<void()>>& ready_then) {
  const int64_t seq = event.message()->message.seq;
  if (seq <= delivered_seq) {  // seen already (or older than this node's start)
    if (then) ready_then.push_back(std::move(then));
    return;
  }
  if (positioned && seq != delivered_seq + 1) {
    auto [it, added] = held.try_emplace(seq, Held{event, now_ms, {}});
    if (then) it->second.then.push_back(std::move(then));
    return;
  }
  ready.push_back(event);
  if (then) ready_then.push_back(std::move(then));
  delivered_seq = seq;
  positioned = true;
  for (auto it = held.begin(); it != held.end() && it->first <= delivered_seq + 1;) {
    if (it->first == delivered_seq + 1) {
      ready.push_back(std::move(it->second.event));
      delivered_seq = it->first;
    }
    for (auto& fn : it->second.then) ready_then.push_back(std::move(fn));
    it = held.erase(it);
  }
}

void LocalRoom::release_held(int64_t older_than_ms, std::vector<RoomEvent>& ready,
                             std::vector<std::function<void()>>& ready_then) {
  if (held.empty() || held.begin()->second.since_ms > older_than_ms) return;
  for (auto& [seq, h] : held) {
    ready.push_back(std::move(h.event));
    for (auto& fn : h.then) ready_then.push_back(std::move(fn));
  }
  delivered_seq = held.rbegin()->first;
  positioned = true;
  held.clear();
}

}  // namespace parley
