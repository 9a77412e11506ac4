// A room's messages as the application shows them: the store's messages in seq order (with
// their edits, deletions and reactions applied), the user's acked messages whose echo is still
// on its way, then the user's pending and failed ones. Edits, deletions and reactions waiting
// in the outbox show at once on the messages they act on.
import { applyEvent } from './events.js';
import { isAction, type OutboxEntry, type PendingAction } from './outbox.js';
import type { WireEvent, WireMessage } from './protocol.js';
import type { ChatMessage, RoomStore } from './room.js';
import type { RoomState } from './rooms.js';
import type { Sender, SentMessage } from './sender.js';
import { typingText } from './typing.js';
import type { Pin, RoomSnapshot } from './types.js';

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
  if (m.reply_to !== undefined) c.replyTo = m.reply_to;
  if (m.data !== undefined) c.data = m.data;
  if (m.mentions?.length) c.mentions = [...m.mentions];
  if (m.mention_room) c.mentionRoom = true;
  if (mentionsUser(m, user)) c.mentionsMe = true;
  if (m.attachments?.length && !m.deleted) c.attachments = m.attachments.map((a) => ({ ...a }));
  if (m.reply_count) {
    c.replyCount = m.reply_count;
    if (m.last_reply_ts !== undefined) c.lastReplyTs = m.last_reply_ts;
  }
  return c;
}

/** Someone else's live message naming `user` or the room. */
export function mentionsUser(m: WireMessage, user: string): boolean {
  return m.user !== user && !m.deleted && (!!m.mention_room || !!m.mentions?.includes(user));
}

function unsent(e: OutboxEntry, user: string, state: 'pending' | 'failed'): ChatMessage {
  const c: ChatMessage = { id: e.id, room: e.room, seq: null, ts: e.createdAt, user, text: e.text, mine: true, state };
  if (e.replyTo !== undefined) c.replyTo = e.replyTo;
  if (e.data !== undefined) c.data = e.data;
  if (e.files?.length) c.attachments = e.files.map((a) => ({ ...a }));
  return c;
}

/** An acked message of the user's whose echo is still on its way, as the store will hold it. */
function sentMessage(id: string, s: SentMessage, user: string): WireMessage {
  const m: WireMessage = { id, seq: s.seq, ts: s.ts, user, text: s.text };
  if (s.replyTo !== undefined) m.reply_to = s.replyTo;
  if (s.data !== undefined) m.data = s.data;
  if (s.files?.length) m.attachments = s.files;
  return m;
}

export function roomMessages(user: string, st: RoomStore, sender: Sender): ChatMessage[] {
  const room = st.name;
  return present(user, st, sender, st.messages(), (e) => e.room === room);
}

/**
 * A thread's replies as the application shows them, like a room's messages: by seq, the
 * user's acked ones whose echo is on its way, then the user's pending and failed replies.
 */
export function threadMessages(user: string, st: RoomStore, sender: Sender, replies: WireMessage[], seq: number): ChatMessage[] {
  const room = st.name;
  return present(user, st, sender, replies, (e) => e.room === room && e.replyTo === seq);
}

/** One held message of the room (the store's, or a copy fetched apart), its pending actions shown. */
export function showMessage(user: string, st: RoomStore, sender: Sender, m: WireMessage): ChatMessage {
  return present(user, st, sender, [m], () => false)[0]!;
}

function present(
  user: string,
  st: RoomStore,
  sender: Sender,
  messages: WireMessage[],
  mine: (e: { room: string; replyTo?: number }) => boolean,
): ChatMessage[] {
  const room = st.name;
  let held = messages;
  const extra: WireMessage[] = [];
  for (const [id, s] of sender.sent) {
    if (mine(s) && !st.hasMessage(user, id)) extra.push(sentMessage(id, s, user));
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
  for (const e of sender.outbox.entries()) if (mine(e) && !isAction(e)) out.push(unsent(e, user, 'pending'));
  for (const { entry, code } of sender.failed.values()) if (mine(entry)) out.push(failedMessage(entry, user, code));
  return out;
}

/** The ChatMessage of a message that was refused for good. */
export function failedMessage(e: OutboxEntry, user: string, code: string): ChatMessage {
  return { ...unsent(e, user, 'failed'), error: code };
}

/** What a UI shows for one room (RoomSnapshot). */
export function roomSnapshot(user: string, r: RoomState, sender: Sender): RoomSnapshot {
  const st = r.store;
  const name = st.name;
  const typing = r.typingIn.users();
  const snap: RoomSnapshot = {
    name,
    kind: st.kind,
    role: st.role,
    lastSeq: st.lastSeq,
    readSeq: st.readSeq,
    unread: st.unread,
    online: [...st.online].sort(),
    onlineCount: st.onlineCount,
    presence: st.presence,
    typing,
    typingText: typingText(typing),
    hasMore: st.hasMore,
    loadingEarlier: r.loading !== null,
    messages: roomMessages(user, st, sender),
    mentions: st.mentions,
    notify: st.notify,
    pins: st.pins.map((p) => pinOf(user, st, sender, p)),
    reads: Object.fromEntries([...st.receipts].sort(byName)),
    roles: Object.fromEntries([...st.roles].sort(byName)),
    slowModeS: st.slowModeS,
  };
  const retry = sender.retryOf(name);
  if (retry) snap.retry = { ...retry };
  if (st.peer !== undefined) snap.with = st.peer;
  if (st.mutedUntil !== undefined) snap.mutedUntil = st.mutedUntil;
  if (st.readsNext !== undefined) snap.readsNext = st.readsNext;
  return snap;
}

function pinOf(user: string, st: RoomStore, sender: Sender, p: { seq: number; by: string; ts: number }): Pin {
  const pin: Pin = { seq: p.seq, by: p.by, ts: p.ts };
  const m = st.messageAt(p.seq);
  if (m) pin.message = showMessage(user, st, sender, m);
  return pin;
}

function byName([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
