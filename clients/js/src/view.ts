// A room's messages as the application shows them: the store's messages in seq order (with
// their edits, deletions and reactions applied), the user's acked messages whose echo is still
// on its way, then the user's pending and failed ones. Edits, deletions and reactions waiting
// in the outbox show at once on the messages they act on.
import { applyEvent } from './events.js';
import { isAction, type OutboxEntry, type PendingAction } from './outbox.js';
import type { WireEvent, WireMessage } from './protocol.js';
import type { ChatMessage, RoomStore } from './room.js';
import type { Sender } from './sender.js';

const EVENT_OF = { edit: 'edited', delete: 'deleted', react: 'reaction' } as const;

/** A pending action as the event it will become. */
function asEvent(a: PendingAction, user: string): WireEvent {
  return {
    kind: EVENT_OF[a.kind],
    id: a.id,
    seq: 0,
    ts: a.createdAt,
    user,
    target: a.target,
    text: a.text,
    emoji: a.emoji,
    op: a.remove ? 'remove' : 'add',
  };
}

/** One message as the application shows it; `othersRead` decides sent vs read for the user's. */
export function toChat(m: WireMessage, room: string, user: string, othersRead: number): ChatMessage {
  const mine = m.user === user;
  const c: ChatMessage = { id: m.id, room, seq: m.seq, ts: m.ts, user: m.user, text: m.text, mine };
  if (m.system) c.system = true;
  if (mine) c.state = othersRead >= m.seq ? 'read' : 'sent';
  if (m.edited_ts !== undefined) c.editedTs = m.edited_ts;
  if (m.deleted) c.deleted = true;
  if (m.reactions?.length)
    c.reactions = m.reactions.map((r) => ({ emoji: r.emoji, count: r.count, users: [...r.users], mine: r.users.includes(user) }));
  return c;
}

function unsent(e: OutboxEntry, user: string, state: 'pending' | 'failed'): ChatMessage {
  return { id: e.id, room: e.room, seq: null, ts: e.createdAt, user, text: e.text, mine: true, state };
}

export function roomMessages(user: string, st: RoomStore, sender: Sender): ChatMessage[] {
  const room = st.name;
  let held: WireMessage[] = st.messages();
  const extra: WireMessage[] = [];
  for (const [id, s] of sender.sent) {
    if (s.room === room && !st.hasMessage(user, id)) extra.push({ id, seq: s.seq, ts: s.ts, user, text: s.text });
  }
  if (extra.length) held = [...held, ...extra].sort((a, b) => a.seq - b.seq);

  const actions = sender.outbox.entries().filter((e): e is PendingAction => e.room === room && isAction(e));
  if (actions.length) {
    const at = new Map(held.map((m, i) => [m.seq, i]));
    held = [...held];
    for (const a of actions) {
      const i = at.get(a.target);
      if (i !== undefined) held[i] = applyEvent(held[i]!, asEvent(a, user));
    }
  }

  const othersRead = st.othersRead();
  const out = held.map((m) => toChat(m, room, user, othersRead));
  for (const e of sender.outbox.entries()) if (e.room === room && !isAction(e)) out.push(unsent(e, user, 'pending'));
  for (const { entry, code } of sender.failed.values()) if (entry.room === room) out.push(failedMessage(entry, user, code));
  return out;
}

/** The ChatMessage of a message that was refused for good. */
export function failedMessage(e: OutboxEntry, user: string, code: string): ChatMessage {
  return { ...unsent(e, user, 'failed'), error: code };
}
