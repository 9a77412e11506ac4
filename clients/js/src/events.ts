// How edits, deletions and reactions change a message. Each event is applied in seq order on
// top of the message as it was last seen; the result does not depend on whether that copy
// already included the event (a `history` page shows messages in their current state, and its
// events follow): the last edit wins, a tombstone stays one, and reactions are set operations
// on (emoji, user), so applying one twice changes nothing.
import type { WireEvent, WireMessage, WireReaction } from './protocol.js';

export function applyEvent(m: WireMessage, e: WireEvent): WireMessage {
  if (m.deleted) return m;
  switch (e.kind) {
    case 'edited':
      // An edit stored before a deletion has lost its text; the deletion follows it.
      return e.text ? { ...m, text: e.text, edited_ts: e.ts } : m;
    case 'deleted': {
      // A tombstone keeps neither its reactions nor its files (the server no longer serves them).
      const { reactions: _gone, attachments: _files, ...rest } = m;
      return { ...rest, text: '', deleted: true };
    }
    case 'reaction':
      if (!e.emoji) return m;
      return withReaction(m, e.emoji, e.user, e.op !== 'remove');
    default:
      return m;
  }
}

/** `m` with `user` holding (add) or not holding (remove) `emoji`; `m` itself if nothing changes. */
export function withReaction(m: WireMessage, emoji: string, user: string, add: boolean): WireMessage {
  const list = m.reactions ?? [];
  const i = list.findIndex((r) => r.emoji === emoji);
  const r = list[i];
  const has = !!r && r.users.includes(user);
  if (has === add) return m;
  let next: WireReaction[];
  if (add) {
    next = r
      ? list.map((x, j) => (j === i ? { emoji, count: x.count + 1, users: [...x.users, user] } : x))
      : [...list, { emoji, count: 1, users: [user] }];
  } else {
    const users = r!.users.filter((u) => u !== user);
    const count = Math.max(users.length, r!.count - 1);
    next = count > 0 ? list.map((x, j) => (j === i ? { emoji, count, users } : x)) : list.filter((_, j) => j !== i);
  }
  const out: WireMessage = { ...m, reactions: next };
  if (next.length === 0) delete out.reactions;
  return out;
}
