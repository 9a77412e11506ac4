// Threads as the client keeps them: for each thread the application opened, its replies (from
// the thread's own pages and from the replies that join the room's seq stream since), the first
// message when the room's window does not hold it, and the paging of older replies. A reply or
// an event joins a thread once, as it joins the room's window in seq order.
import { applyEvent } from './events.js';
import type { WireEntry, WireEvent, WireMessage } from './protocol.js';
import { RoomStore, withReply } from './room.js';

export interface ThreadView {
  room: string;
  /** The thread's first message. */
  seq: number;
  /** Replies by seq. */
  replies: Map<number, WireMessage>;
  /** The first message as fetched, for when the room's window does not hold it. */
  root: WireMessage | undefined;
  /** The seq through which `root`'s reply_count is the server's. */
  rootCounted: number;
  /** Older replies exist before the oldest one held. */
  hasMore: boolean;
  /** Its newest page has been fetched (again after the room's window restarted). */
  loaded: boolean;
  loading: Promise<boolean> | null;
}

/** A new view of thread `seq`, with the replies the room's window holds already. */
export function newThread(st: RoomStore, seq: number): ThreadView {
  const t: ThreadView = {
    room: st.name,
    seq,
    replies: new Map(),
    root: undefined,
    rootCounted: 0,
    hasMore: true,
    loaded: false,
    loading: null,
  };
  for (const m of st.messages()) if (m.reply_to === seq) t.replies.set(m.seq, m);
  return t;
}

/** A page of the thread (replies in their current state, ascending). */
export function mergeReplies(t: ThreadView, page: readonly WireMessage[]): void {
  for (const m of page) if (m.reply_to === undefined || m.reply_to === t.seq) t.replies.set(m.seq, m);
}

/** The first message as fetched by seq; its reply count is current through `counted`. */
export function setRoot(t: ThreadView, root: WireMessage, counted: number): void {
  t.root = root;
  t.rootCounted = Math.max(counted, root.seq);
}

/** An entry joined the room's window in seq order: a reply of this thread, or an event on one of its messages. */
export function threadAppended(t: ThreadView, e: WireEntry): void {
  if (e.kind !== undefined) {
    applyToThread(t, e);
    return;
  }
  if (e.reply_to !== t.seq || t.replies.has(e.seq)) return;
  t.replies.set(e.seq, e);
  if (t.root && e.seq > t.rootCounted) {
    t.root = withReply(t.root, e);
    t.rootCounted = e.seq;
  }
}

function applyToThread(t: ThreadView, e: WireEvent): void {
  const r = t.replies.get(e.target);
  if (r) t.replies.set(e.target, applyEvent(r, e));
  if (t.root?.seq === e.target) t.root = applyEvent(t.root, e);
}

/** The oldest reply held, the point the next older page starts before. */
export function oldestReply(t: ThreadView): number | undefined {
  let min: number | undefined;
  for (const s of t.replies.keys()) if (min === undefined || s < min) min = s;
  return min;
}

/** Its replies in seq order: the room window's copy where it holds one (its events applied in order). */
export function heldReplies(t: ThreadView, st: RoomStore): WireMessage[] {
  return [...t.replies.keys()].sort((a, b) => a - b).map((s) => st.messageAt(s) ?? t.replies.get(s)!);
}
