// The client's public types: its options, the events it emits, a room as the UI sees it,
// and the error its promises reject with.
import type { BackoffOptions } from './backoff.js';
import type { ConnectionState, NetworkMonitor, OfflineReason, Transport, WebSocketFactory } from './connection.js';
import type { PendingAction } from './outbox.js';
import type { ErrorFrame, LeftReason, MemberFrame, NotifyLevel, PresenceMode, ReadPosition, Role, RoomKind } from './protocol.js';
import type { ChatMessage } from './room.js';
import type { RetryWait } from './sender.js';
import type { StorageAdapter } from './storage.js';
import type { HttpFetch, XhrFactory } from './uploads.js';

export interface ParleyClientOptions {
  /** WebSocket endpoint, e.g. `wss://chat.example.com/ws`. The token is added as `?token=`. */
  url: string;
  /** A JWT from /api/login, /api/register or your own backend. */
  token: string;
  /** The user name; default: the token's `sub`. */
  user?: string;
  /**
   * Asked for a fresh token when the current one is about to expire, was rejected (close code
   * 4001) or keeps failing to connect. Return null to give up (the client emits `auth`).
   */
  refreshToken?: () => Promise<string | null | undefined> | string | null | undefined;
  /** Where the outbox and receipts persist. Default: memory (use browserStorage() or AsyncStorage). */
  storage?: StorageAdapter;
  /** WebSocket constructor. Default: globalThis.WebSocket. */
  WebSocket?: WebSocketFactory;
  /**
   * The HTTP fallback transport (an event stream down, POSTs up) for networks whose proxies
   * refuse or cut WebSocket upgrades: tried after `fallbackAfter` attempts in a row end before
   * `welcome`, left again for a WebSocket once one opens (tried every `upgradeAfterMs`).
   * Default true; false: WebSocket only.
   */
  fallback?: boolean;
  /** Default 2. */
  fallbackAfter?: number;
  /** Default 60000. */
  upgradeAfterMs?: number;
  /** Start on this transport. Default 'websocket' ('sse' where WebSockets are known not to work). */
  transport?: Transport;
  /** Network reachability; default: the browser's online/offline events where present. */
  network?: NetworkMonitor | null;
  backoff?: BackoffOptions;
  random?: () => number;
  /** Typing: re-send `active:true` at most every refreshMs (3000); idle after idleMs (3000); others' indicators expire after ttlMs (5000). */
  typing?: { refreshMs?: number; idleMs?: number; ttlMs?: number };
  /** Messages per `history` page. Default 50. */
  pageSize?: number;
  /** After each welcome, re-join every room to learn who is online. Default true. */
  refreshPresence?: boolean;
  /** Abandon a connection whose ack for a sent message takes longer. Default 20000 ms. */
  ackTimeoutMs?: number;
  /**
   * Probe a connection that delivered no frame for this long (an `auth` with the current token,
   * which the server answers) and replace it if nothing answers within ackTimeoutMs.
   * Default: twice the server's heartbeat_ms (60 s). 0 turns probing off.
   */
  probeIdleMs?: number;
  /**
   * Newest messages per room kept in storage, so that rooms and recent history show at once
   * after a restart, even without a network. Default 100; 0 keeps nothing.
   */
  cacheSize?: number;
  /**
   * Report the user `away` after this long without client.activity(), and `online` on the next
   * activity. The detector starts with the first activity() call. Default 5 minutes; 0 turns it off.
   */
  awayAfterMs?: number;
  /**
   * The http(s) origin (and path prefix) of the server's HTTP API, for uploads and downloads.
   * Default: `url` with ws→http (wss→https), without its `/ws` path.
   */
  httpUrl?: string;
  /** XMLHttpRequest constructor (uploads with progress). Default: globalThis.XMLHttpRequest; null: fetch. */
  XMLHttpRequest?: XhrFactory | null;
  /** fetch for downloads, uploads without XMLHttpRequest, and the fallback transport. Default: globalThis.fetch. */
  fetch?: HttpFetch;
}

export interface RoomSnapshot {
  name: string;
  /** `public`, `private` or `direct` (a conversation of two users; show it by `with`). */
  kind: RoomKind;
  /** The user's role: `owner`, `moderator` (both can moderate) or `member`. */
  role: Role;
  /** Direct rooms: the other user. */
  with?: string;
  /** While the user is muted in the room: until when (ms since the epoch). */
  mutedUntil?: number;
  lastSeq: number;
  readSeq: number;
  /** last_seq − read_seq */
  unread: number;
  /**
   * Online members other than the user, sorted. All of them in `members` mode; in `count` mode
   * only the first page `joined` listed, not kept current — page with `listOnline` instead.
   */
  online: string[];
  /**
   * Members online, the user included; 0 until the server has told. `members` mode: the size of
   * `online` + 1, following presence events; `count` mode: the server's latest count.
   */
  onlineCount: number;
  /**
   * `members`: per-user presence, `online` is complete. `count`: the room has more members
   * online than the server's `presence_limit` (100); only the count is kept current.
   */
  presence: PresenceMode;
  /** Other members typing now, in the order they started. */
  typing: string[];
  /** "alice is typing…" etc., or "". */
  typingText: string;
  /** Older messages exist before the first one held. */
  hasMore: boolean;
  loadingEarlier: boolean;
  /** Held messages by seq, then the user's pending and failed ones. */
  messages: ChatMessage[];
  /**
   * Unread messages that mention the user (by name, or @room): the server's count, kept live
   * (+1 for each new one, −1 when one is deleted, down as the user reads). 0 while notify is none.
   */
  mentions: number;
  /** The user's notify level here: `all`, `mentions` or `none` (set with setNotify). */
  notify: NotifyLevel;
  /** Pinned messages, newest first. */
  pins: Pin[];
  /** Other members' read positions, user → seq (from `joined`, `read` events and listReads). */
  reads: Record<string, number>;
  /** `joined` told only the first read positions: page on from here with listReads. */
  readsNext?: string;
  /** Other members' roles, from listMembers pages and `member` events since the client started (user → role). */
  roles: Record<string, Role>;
  /**
   * Slow mode: members may send one message per this many seconds (0: off). Owners and
   * moderators are exempt; they set it with setSlowMode. From `welcome`, `joined` and `slow_mode` events.
   */
  slowModeS: number;
  /**
   * While the user's next message (or edit, deletion, reaction) here waits because the server
   * refused it for now: `code` is `rate_limited` (slow mode, or the user's rate limit) or
   * `unavailable`, and the outbox sends it again at `at` (ms since the epoch, this device's
   * clock). A composer can count down to it. The other rooms' messages are not held up.
   */
  retry?: RetryWait;
}

export interface Pin {
  seq: number;
  /** Who pinned it. */
  by: string;
  /** When (server time, ms since the epoch). */
  ts: number;
  /** The pinned message, while the room's window holds it (else fetch it with client.message). */
  message?: ChatMessage;
}

/** A page of a room's read positions, from `listReads`. */
export interface ReadsPage {
  /** In user-name order. */
  reads: ReadPosition[];
  /** Present when another page follows: pass it as `after`. */
  next?: string;
}

/** A page of a room's members, from `listMembers`. */
export interface MembersPage {
  /** In user-name order, the user included. */
  members: { user: string; role: Role; readSeq: number }[];
  /** Present when another page follows: pass it as `after`. */
  next?: string;
}

/** A page of a thread's replies, from `thread`. */
export interface ThreadPage {
  room: string;
  /** The thread's first message. */
  seq: number;
  /** Ascending. */
  replies: ChatMessage[];
  /** More replies exist: older ones (the newest page or `before`), newer ones (`after`). */
  hasMore: boolean;
}

/** A thread as the client keeps it (threadView): kept live once opened. */
export interface ThreadSnapshot {
  room: string;
  seq: number;
  /** The thread's first message, once held or fetched. */
  message: ChatMessage | undefined;
  /** Replies by seq, then the user's pending and failed ones. */
  replies: ChatMessage[];
  /** Older replies exist before the first one held (loadEarlierReplies). */
  hasMore: boolean;
  /** Its newest page has been fetched. */
  loaded: boolean;
  loading: boolean;
}

/** A page of a room's online members, from `listOnline`. */
export interface OnlinePage {
  /** In name order; the user themself included when online (blocked users are left out). */
  users: string[];
  /** Members online, the user included. */
  onlineCount: number;
  /** Present when another page follows: pass it as `after`. */
  next?: string;
}

export interface ParleyClientEvents {
  /** Anything shown changed (messages, rooms, typing, presence, outbox, state). */
  change: () => void;
  state: (state: ConnectionState, reason?: OfflineReason) => void;
  /** The connection moved to the other transport (see `fallback`). */
  transport: (transport: Transport) => void;
  /** A new message from the server (live or synced), not history pages. */
  message: (message: ChatMessage) => void;
  /**
   * The token is rejected or expired and no fresh one could be had: log in again. `reason`: the
   * server's close reason when it closed the connection (e.g. `logged out`: the token was logged
   * out elsewhere, such as another tab sharing it).
   */
  auth: (reason?: string) => void;
  /** The application disabled or deleted the user (close code 4003): the client stays offline. */
  account: () => void;
  /** An error frame not tied to a pending request. */
  error: (error: ErrorFrame) => void;
  /** The server refused one of the user's messages for good (forbidden, too_large, …). */
  failed: (message: ChatMessage) => void;
  /** A connection was established and its welcome processed; `rooms` are the user's rooms. */
  welcome: (rooms: string[]) => void;
  /** The user is no longer in `room`: they left, or were `kicked`, `banned` or `removed` (reason). */
  left: (room: string, reason?: LeftReason) => void;
  /** A moderation or membership change in one of the user's rooms (invited, muted, role, …). */
  member: (event: MemberFrame) => void;
  /** The server refused an edit, deletion or reaction for good (forbidden, not_found, muted, …). */
  actionFailed: (action: PendingAction, error: ErrorFrame) => void;
  /** `by` (an owner or moderator) set slow mode in `room` to `seconds` (0: off). */
  slowMode: (room: string, seconds: number, by: string) => void;
}

export class ParleyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ParleyError';
  }
}
