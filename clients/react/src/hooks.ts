import type {
  ChatMessage,
  ConnectionState,
  MembersPage,
  Role,
  UserStatus,
  ParleyClient,
  ParleyClientEvents,
  Pin,
  PresenceMode,
  RoomSnapshot,
  Transport,
} from '@parley/client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useParley } from './provider.js';
import { roomAt, useClientValue } from './store.js';
import { threadOf, type Thread } from './thread.js';

/**
 * A room as `useRoom` and `useRooms` give it: the SDK's RoomSnapshot without its messages and
 * the others' read positions (useMessages, useReads), which change far more often.
 */
export type RoomState = Omit<RoomSnapshot, 'messages' | 'reads' | 'readsNext'>;

export interface ConnectionInfo {
  /** connecting | open | reconnecting | offline */
  state: ConnectionState;
  /** Messages (and edits, deletions, reactions) waiting in the outbox for their ack. */
  queued: number;
  /** websocket, or sse while on the HTTP fallback transport. */
  transport: Transport;
}

export interface MessagesState {
  /** By seq, then the user's pending and failed ones (the SDK's order). */
  messages: readonly ChatMessage[];
  /** Older messages exist before the first one held: `loadMore` fetches them. */
  hasMore: boolean;
  /** A page of older messages is being fetched. */
  loading: boolean;
  /**
   * Fetches the page before the oldest held message (client.loadEarlier). Resolves whether
   * older ones remain; rejects (ParleyError `offline`) when not connected. Stable per room.
   */
  loadMore: () => Promise<boolean>;
}

export interface TypingState {
  /** Other members typing now, in the order they started. */
  users: readonly string[];
  /** "alice is typing…", "alice and bob are typing…", "3 people are typing…", or "". */
  text: string;
}

export interface PresenceState {
  /** Online members other than the user, sorted (in `count` mode only a first page). */
  online: readonly string[];
  /** Members online, the user included; 0 until the server has told. */
  onlineCount: number;
  /** `members`: `online` is complete; `count`: a large room, only the count is current. */
  presence: PresenceMode;
}

export interface UnreadCounts {
  /** Unread messages over all the user's rooms. */
  total: number;
  /** Unread messages per room the user is in (last_seq − read_seq). */
  rooms: Readonly<Record<string, number>>;
  /** Unread messages that mention the user: in all, and per room (0 where notify is none). */
  mentions: { total: number; rooms: Readonly<Record<string, number>> };
}

export interface ThreadState extends Thread {
  /** Older replies exist before the first one held: `loadMore` fetches them. */
  hasMore: boolean;
  /** Its newest replies have been fetched (until then `replies` are those the room holds). */
  loaded: boolean;
  /** A page of replies is being fetched. */
  loading: boolean;
  /** Fetches the replies before the oldest one held; resolves whether older ones remain. Stable per thread. */
  loadMore: () => Promise<boolean>;
}

export interface ReadsState {
  /** Other members' read positions, user → seq, in user-name order. */
  reads: Readonly<Record<string, number>>;
  /** `joined` told only the first positions: `loadMore` fetches the next page. */
  hasMore: boolean;
  /** Fetches the next page of positions (client.listReads); they join `reads`. Resolves whether more remain. */
  loadMore: () => Promise<boolean>;
}

const NO_MESSAGES: readonly ChatMessage[] = [];
const NO_USERS: readonly string[] = [];
const NO_PINS: readonly Pin[] = [];
const NO_READS: Readonly<Record<string, number>> = {};

function withoutMessages(snap: RoomSnapshot | undefined): RoomState | undefined {
  if (!snap) return undefined;
  const { messages: _messages, reads: _reads, readsNext: _next, ...room } = snap;
  return room;
}

/** The connection's state and the outbox's size. */
export function useConnection(): ConnectionInfo {
  return useClientValue((c) => ({ state: c.state, queued: c.queued, transport: c.transport }), []);
}

/** One room (kind, role, lastSeq, readSeq, unread, online, typing, …), or undefined when the user is not in it. */
export function useRoom(name: string): RoomState | undefined {
  return useClientValue((c) => withoutMessages(roomAt(c, name)), [name]);
}

/** Every room the user is in, sorted by name. */
export function useRooms(): readonly RoomState[] {
  return useClientValue((c) => c.rooms().map((name) => withoutMessages(roomAt(c, name))!), []);
}

/** A room's messages, in order, and the paging of older ones. */
export function useMessages(room: string): MessagesState {
  const client = useParley();
  const page = useClientValue((c) => {
    const snap = roomAt(c, room);
    return { messages: snap?.messages ?? NO_MESSAGES, hasMore: snap?.hasMore ?? false, loading: snap?.loadingEarlier ?? false };
  }, [room]);
  const loadMore = useCallback(() => client.loadEarlier(room), [client, room]);
  return useMemo(() => ({ ...page, loadMore }), [page, loadMore]);
}

/**
 * Thread `seq` of a room: its first message and its replies, kept live by the SDK's thread view.
 * Mounting opens the thread (client.openThread: its newest replies, and its first message when
 * the room does not hold it), again once connected if it could not then; until it is loaded,
 * `replies` are those the room's window holds.
 */
export function useThread(room: string, seq: number): ThreadState {
  const client = useParley();
  const { state } = useConnection();
  const thread = useClientValue((c) => {
    const view = c.threadView(room, seq);
    if (!view) return { ...threadOf(roomAt(c, room)?.messages ?? NO_MESSAGES, seq), hasMore: true, loaded: false, loading: false };
    return { message: view.message, replies: view.replies, hasMore: view.hasMore, loaded: view.loaded, loading: view.loading };
  }, [room, seq]);
  // One try per connection: a thread the server refuses (not_found) is not asked for again and
  // again, and one that failed offline, or whose room's window restarted, is on the next one.
  const tried = useRef<string | null>(null);
  if (state !== 'open') tried.current = null;
  const open = state === 'open' && !thread.loaded && !thread.loading;
  useEffect(() => {
    const key = `${room}\u0000${seq}`;
    if (!open || tried.current === key || !client.room(room)) return;
    tried.current = key;
    client.openThread(room, seq).catch(() => {});
  }, [client, room, seq, open]);
  const loadMore = useCallback(() => client.loadEarlierReplies(room, seq), [client, room, seq]);
  return useMemo(() => ({ ...thread, loadMore }), [thread, loadMore]);
}

/** A room's pinned messages, newest first (`message` while the room holds it). */
export function usePins(room: string): readonly Pin[] {
  return useClientValue((c) => roomAt(c, room)?.pins ?? NO_PINS, [room]);
}

/** Other members' read positions in a room (for read ticks), and the paging of the rest. */
export function useReads(room: string): ReadsState {
  const client = useParley();
  const value = useClientValue((c) => {
    const snap = roomAt(c, room);
    return { reads: snap?.reads ?? NO_READS, next: snap?.readsNext };
  }, [room]);
  // null: not paged yet, so the next page starts where `joined` stopped.
  const [paged, setPaged] = useState<{ next: string | undefined } | null>(null);
  const after = paged ? paged.next : value.next;
  const loadMore = useCallback(async () => {
    if (after === undefined) return false;
    const page = await client.listReads(room, { after });
    setPaged({ next: page.next });
    return page.next !== undefined;
  }, [client, room, after]);
  const hasMore = after !== undefined;
  return useMemo(() => ({ reads: value.reads, hasMore, loadMore }), [value.reads, hasMore, loadMore]);
}

/** Who else is typing in a room. */
export function useTyping(room: string): TypingState {
  return useClientValue((c) => {
    const snap = roomAt(c, room);
    return { users: snap?.typing ?? NO_USERS, text: snap?.typingText ?? '' };
  }, [room]);
}

/** Who else is online in a room, and how many are. */
export function usePresence(room: string): PresenceState {
  return useClientValue((c) => {
    const snap = roomAt(c, room);
    return { online: snap?.online ?? NO_USERS, onlineCount: snap?.onlineCount ?? 0, presence: snap?.presence ?? 'members' };
  }, [room]);
}

/** Unread counts per room and in all. */
export function useUnread(): UnreadCounts {
  return useClientValue((c) => unreadCounts(c), []);
}

function unreadCounts(c: ParleyClient): UnreadCounts {
  const rooms: Record<string, number> = {};
  const mentions: Record<string, number> = {};
  let total = 0;
  let mentionsTotal = 0;
  for (const name of c.rooms()) {
    const snap = roomAt(c, name);
    const n = snap?.unread ?? 0;
    const m = snap?.mentions ?? 0;
    rooms[name] = n;
    mentions[name] = m;
    total += n;
    mentionsTotal += m;
  }
  return { total, rooms, mentions: { total: mentionsTotal, rooms: mentions } };
}

/**
 * Calls `handler` on each of the client's `event`s (auth, welcome, left, message, failed, …)
 * while the component is mounted; the latest `handler` is called, so it need not be memoized.
 */
export function useParleyEvent<K extends keyof ParleyClientEvents>(event: K, handler: ParleyClientEvents[K]): void {
  const client = useParley();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    const relay = (...args: Parameters<ParleyClientEvents[K]>) => (latest.current as (...a: typeof args) => void)(...args);
    return client.on(event, relay as ParleyClientEvents[K]);
  }, [client, event]);
}

/** A user's presence status (online or away, and a custom text); online without text by default. */
export function useStatus(user: string): UserStatus {
  return useClientValue((c) => c.statusOf(user), [user]);
}

export interface MemberInfo {
  user: string;
  /** Kept current by `member` events after the page was fetched. */
  role: Role;
}

export interface MembersState {
  /** The members fetched so far (client.listMembers), in name order. */
  members: readonly MemberInfo[];
  /** A page is being fetched. */
  loading: boolean;
  /** More members follow: `loadMore` fetches the next page. */
  hasMore: boolean;
  loadMore: () => Promise<boolean>;
}

/** A room's members with their roles: the first page is fetched on mount (again once connected). */
export function useMembers(room: string): MembersState {
  const client = useParley();
  const { state } = useConnection();
  const roles = useClientValue((c) => roomAt(c, room)?.roles ?? NO_ROLES, [room]);
  const [pages, setPages] = useState<{ room: string; members: MembersPage['members']; next: string | undefined } | null>(null);
  const [loading, setLoading] = useState(false);
  const fetchPage = useCallback(
    async (after: string | undefined, prior: MembersPage['members']) => {
      setLoading(true);
      try {
        const page = await client.listMembers(room, after === undefined ? {} : { after });
        setPages({ room, members: [...prior, ...page.members], next: page.next });
        return page.next !== undefined;
      } finally {
        setLoading(false);
      }
    },
    [client, room],
  );
  const current = pages?.room === room ? pages : null;
  useEffect(() => {
    if (state !== 'open') return;
    fetchPage(undefined, []).catch(() => {});
  }, [state, fetchPage]);
  const loadMore = useCallback(
    () => (current?.next === undefined ? Promise.resolve(false) : fetchPage(current.next, current.members)),
    [current, fetchPage],
  );
  const members = useMemo(
    () => (current?.members ?? []).map((m) => ({ user: m.user, role: roles[m.user] ?? m.role })),
    [current, roles],
  );
  const hasMore = current?.next !== undefined;
  return useMemo(() => ({ members, loading, hasMore, loadMore }), [members, loading, hasMore, loadMore]);
}

const NO_ROLES: Readonly<Record<string, Role>> = {};
