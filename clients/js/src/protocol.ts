// Wire frames of parley protocol v1 (docs/protocol.md is authoritative).

export interface WireReaction {
  emoji: string;
  count: number;
  users: string[];
}

/**
 * A file sent with a message: an upload (POST /api/uploads) the message carries. `width`,
 * `height` and `thumb` only for images the server could read; `thumb`: GET
 * /api/uploads/<id>/thumb has a thumbnail (at most 320 px on a side).
 */
export interface Attachment {
  /** The upload's id: 22 of [A-Za-z0-9_-]. */
  id: string;
  /** The file's name as uploaded. */
  name: string;
  /** Its media type, as the server sniffed it from the content. */
  type: string;
  /** Bytes. */
  size: number;
  width?: number;
  height?: number;
  thumb?: boolean;
}

/** Upload ids: [A-Za-z0-9_-]{22} */
export const UPLOAD_ID = /^[A-Za-z0-9_-]{22}$/;
/** Uploads one message may carry. */
export const MAX_ATTACHMENTS = 10;

export interface WireMessage {
  id: string;
  seq: number;
  ts: number;
  /** The sender; '' for a system message (the server sends none). */
  user: string;
  text: string;
  /** Posted by the application's backend as the system, not by a user. */
  system?: boolean;
  /** Its state in `history`: the time of the last edit, a tombstone (text ''), the reactions. */
  edited_ts?: number;
  deleted?: boolean;
  reactions?: WireReaction[];
  /** A reply: the seq of its thread's first message (a reply to a reply joins the first one's thread). */
  reply_to?: number;
  /** The application's own data (a JSON object), replayed as sent. */
  data?: Record<string, unknown>;
  /** The users named with @name in the text, sorted. */
  mentions?: string[];
  /** @room written by an owner, a moderator or the system. */
  mention_room?: boolean;
  /** A thread's first message in `history`/`sync` pages: its replies (absent when 0). */
  reply_count?: number;
  /** The time of its thread's last reply (absent when it has none). */
  last_reply_ts?: number;
  /** The files sent with it (absent when none; a deleted message has none). */
  attachments?: Attachment[];
  kind?: undefined;
}

/** An edit, deletion or reaction: it takes a seq in the room's stream like a message. */
export type EventKind = 'edited' | 'deleted' | 'reaction';
export interface WireEvent {
  kind: EventKind;
  id: string;
  seq: number;
  ts: number;
  /** Who acted (for `deleted`: the author or a moderator). */
  user: string;
  /** The seq of the message acted on. */
  target: number;
  /** `edited`: the new text ('' once the message was deleted). */
  text?: string;
  /** `reaction` */
  emoji?: string;
  op?: 'add' | 'remove';
}

/** What a room's seq stream holds: messages and the events acting on them. */
export type WireEntry = WireMessage | WireEvent;

export function isEvent(e: WireEntry): e is WireEvent {
  return e.kind !== undefined;
}

/** A message as the SDK keeps it: a system message (no `user` on the wire) gets user ''. */
export function normalizeMessage<M extends { user?: string; system?: boolean }>(m: M): M & { user: string } {
  return m.user === undefined ? { ...m, user: '' } : (m as M & { user: string });
}

const EVENT_TYPES: ReadonlySet<string> = new Set<EventKind>(['edited', 'deleted', 'reaction']);

/**
 * A live `message`/`edited`/`deleted`/`reaction` frame or a `history` entry as the store keeps
 * it: events get their `kind` (live frames carry it as `type`); frame fields are dropped.
 */
export function toEntry(f: any): WireEntry {
  const { type, room: _room, ref: _ref, ...rest } = f;
  const kind = rest.kind ?? (EVENT_TYPES.has(type) ? type : undefined);
  if (kind === undefined) {
    const { kind: _k, ...m } = rest;
    return normalizeMessage(m) as WireMessage;
  }
  return normalizeMessage({ ...rest, kind }) as WireEvent;
}

export type RoomKind = 'public' | 'private' | 'direct';
/** What the user wants to hear of a room: every message, mentions only, or nothing. */
export type NotifyLevel = 'all' | 'mentions' | 'none';
export type Role = 'owner' | 'moderator' | 'member';

/** A room as `welcome` lists it and `joined` describes it. */
export interface RoomInfo {
  room: string;
  last_seq: number;
  read_seq: number;
  kind?: RoomKind;
  role?: Role;
  /** Direct rooms: the other user. */
  with?: string;
  /** While muted: until when (ms since the epoch). */
  muted_until?: number;
  /** Unread messages that mention the user (0 while notify is none). */
  mentions?: number;
  notify?: NotifyLevel;
  /** Slow mode: members may send one message per this many seconds (absent or 0: off). */
  slow_mode_s?: number;
}

export interface WelcomeFrame {
  type: 'welcome';
  user: string;
  rooms: RoomInfo[];
  blocked?: string[];
  heartbeat_ms: number;
  /** The user's own stored status (absent from older servers). */
  status?: WireStatus;
}
/**
 * How a room tells presence: `members` — per-user `presence` events; `count` — the room has
 * more than the server's `presence_limit` members online and tells `occupancy` counts instead.
 */
export type PresenceMode = 'members' | 'count';
export interface JoinedFrame extends RoomInfo {
  type: 'joined';
  /** Online members other than the user, in name order: all, or the first `presence_limit`. */
  online: string[];
  /** Members online, the user included. */
  online_count?: number;
  presence?: PresenceMode;
  /** The room's pins, newest first. */
  pins?: WirePin[];
  /** The other members' read positions, in user-name order, at most 100. */
  reads?: ReadPosition[];
  /** More read positions follow this user's: page them with `reads`. */
  reads_next?: string;
  /** Members whose status is not the default (`online` without text), in name order. */
  statuses?: (WireStatus & { user: string })[];
  ref?: Ref;
}
/** A user's presence status: `online` or `away`, and a custom text. */
export interface WireStatus { state: 'online' | 'away'; text?: string }
/** To every room of the user (their other connections too): the user's status changed. */
export interface StatusFrame extends WireStatus { type: 'status'; room: string; user: string }
/** The reply to `members`: a page of the room's members in name order. */
export interface MembersFrame { type: 'members'; room: string; members: { user: string; role: Role; read_seq: number }[]; next?: string; ref?: Ref }
/** A pinned message of a room: who pinned it, and when. */
export interface WirePin { seq: number; by: string; ts: number }
/** A member's read position. */
export interface ReadPosition { user: string; seq: number }
/** Every member: a message was pinned or unpinned (owners and moderators pin). */
export interface PinnedFrame { type: 'pinned'; room: string; seq: number; pinned: boolean; by: string; ts: number }
/** Every member: an owner or moderator (`by`) set the room's slow mode (`seconds`; 0: off). */
export interface SlowModeFrame { type: 'slow_mode'; room: string; seconds: number; by: string }
/** The reply to `reads`: a page of the other members' read positions, in user-name order. */
export interface ReadsFrame { type: 'reads'; room: string; reads: ReadPosition[]; next?: string; ref?: Ref }
/** The reply to `thread`: a page of a thread's replies, ascending, like history entries. */
export interface ThreadFrame { type: 'thread'; room: string; seq: number; messages: WireMessage[]; has_more: boolean; ref?: Ref }
/** The user's unread mentions in a room, after their read position moved. */
export interface MentionsFrame { type: 'mentions'; room: string; count: number }
/** The user's notify level in a room (the reply to `notify`, or the news from another device). */
export interface NotifyFrame { type: 'notify'; room: string; level: NotifyLevel; mentions: number; ref?: Ref }
/**
 * A large room's online count (`presence:"count"`), or the news that it dropped back to the
 * limit and per-user presence resumes (`presence:"members"`: ask for the list with `online`).
 */
export interface OccupancyFrame { type: 'occupancy'; room: string; online_count: number; presence: PresenceMode }
/** The reply to `online`: a page of the room's online members, in name order. */
export interface OnlineFrame {
  type: 'online';
  room: string;
  users: string[];
  online_count: number;
  /** Present when another page follows: the `after` of the next page. */
  next?: string;
  ref?: Ref;
}
export type LeftReason = 'kicked' | 'banned' | 'removed';
export interface LeftFrame { type: 'left'; room: string; reason?: LeftReason; ref?: Ref }
export type MemberAction = 'invited' | 'kicked' | 'banned' | 'unbanned' | 'muted' | 'unmuted' | 'role';
export interface MemberFrame {
  type: 'member';
  room: string;
  user: string;
  action: MemberAction;
  /** The acting user; absent when the server API acted (`system: true`). */
  by?: string;
  system?: boolean;
  /** `muted`: until when (ms since the epoch). */
  until?: number;
  /** `role`: the new role. */
  role?: Role;
}
export interface EditedFrame extends Omit<WireEvent, 'kind'> { type: 'edited'; room: string }
export interface DeletedFrame extends Omit<WireEvent, 'kind'> { type: 'deleted'; room: string }
export interface ReactionFrame extends Omit<WireEvent, 'kind'> { type: 'reaction'; room: string }
export interface BlocksFrame { type: 'blocks'; blocked: string[]; ref?: Ref }
/** A message found by `search`, in its current state. */
export interface SearchResult extends Pick<WireMessage, 'id' | 'seq' | 'ts' | 'user' | 'text' | 'system'> {
  room: string;
}
export interface ResultsFrame { type: 'results'; query: string; messages: SearchResult[]; ref?: Ref }
export interface OkFrame { type: 'ok'; ref?: Ref }
export interface MessageFrame extends WireMessage { type: 'message'; room: string }
export interface AckFrame { type: 'ack'; id: string; room: string; seq: number; ts: number; ref?: Ref }
export interface TypingFrame { type: 'typing'; room: string; user: string; active: boolean }
export interface ReadFrame { type: 'read'; room: string; user: string; seq: number }
export interface PresenceFrame { type: 'presence'; room: string; user: string; status: 'online' | 'offline' }
export interface HistoryFrame {
  type: 'history';
  room: string;
  /** Messages in their current state and, in seq order among them, events (`kind`). */
  messages: WireEntry[];
  has_more: boolean;
  ref?: Ref;
}
export type ErrorCode =
  | 'bad_request'
  | 'forbidden'
  | 'too_large'
  | 'rate_limited'
  | 'limit_exceeded'
  | 'unavailable'
  | 'not_found'
  | 'conflict'
  | 'muted'
  | 'filtered'
  | 'unauthorized'
  | (string & {});
export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  id?: string;
  ref?: Ref;
  /** `muted`: until when (ms since the epoch). */
  until?: number;
  /** `rate_limited` (the rate limit, slow mode) and `unavailable` (a store that is behind): send again after this many ms. */
  retry_after_ms?: number;
}

export type Ref = string | number;

export type ServerFrame =
  | WelcomeFrame
  | JoinedFrame
  | LeftFrame
  | MessageFrame
  | AckFrame
  | TypingFrame
  | ReadFrame
  | PresenceFrame
  | OccupancyFrame
  | OnlineFrame
  | HistoryFrame
  | MemberFrame
  | EditedFrame
  | DeletedFrame
  | ReactionFrame
  | BlocksFrame
  | ResultsFrame
  | ThreadFrame
  | MentionsFrame
  | NotifyFrame
  | PinnedFrame
  | SlowModeFrame
  | ReadsFrame
  | StatusFrame
  | MembersFrame
  | OkFrame
  | ErrorFrame;

export type ClientFrame =
  | { type: 'join'; room: string; ref?: Ref }
  | { type: 'leave'; room: string; ref?: Ref }
  | {
      type: 'message';
      room: string;
      id: string;
      text: string;
      reply_to?: number;
      data?: Record<string, unknown>;
      /** Upload ids (at most 10), each the user's own and not yet sent with another message. */
      attachments?: string[];
      ref?: Ref;
    }
  | { type: 'typing'; room: string; active: boolean }
  | { type: 'read'; room: string; seq: number }
  | { type: 'sync'; room: string; after: number; limit?: number; ref?: Ref }
  | { type: 'history'; room: string; before?: number; limit?: number; ref?: Ref }
  | { type: 'create'; room: string; kind?: 'public' | 'private'; ref?: Ref }
  | { type: 'dm'; to: string; ref?: Ref }
  | { type: 'invite' | 'kick' | 'ban' | 'unban'; room: string; user: string; ref?: Ref }
  | { type: 'mute'; room: string; user: string; seconds: number; ref?: Ref }
  | { type: 'role'; room: string; user: string; role: 'moderator' | 'member'; ref?: Ref }
  | { type: 'edit'; room: string; id: string; seq: number; text: string; ref?: Ref }
  | { type: 'delete'; room: string; id: string; seq: number; ref?: Ref }
  | { type: 'react'; room: string; id: string; seq: number; emoji: string; remove?: boolean; ref?: Ref }
  | { type: 'block' | 'unblock'; user: string; ref?: Ref }
  | { type: 'search'; query: string; room?: string; limit?: number; ref?: Ref }
  | { type: 'online'; room: string; after?: string; limit?: number; ref?: Ref }
  | { type: 'thread'; room: string; seq: number; before?: number; after?: number; limit?: number; ref?: Ref }
  | { type: 'notify'; room: string; level: NotifyLevel; ref?: Ref }
  | { type: 'pin' | 'unpin'; room: string; seq: number; ref?: Ref }
  | { type: 'slow_mode'; room: string; seconds: number; ref?: Ref }
  | { type: 'reads' | 'members'; room: string; after?: string; limit?: number; ref?: Ref }
  | { type: 'status'; state: 'online' | 'away'; text?: string; ref?: Ref }
  | { type: 'push_subscribe'; endpoint: string; p256dh: string; auth: string; ref?: Ref }
  | { type: 'push_unsubscribe'; endpoint: string; ref?: Ref };

/** A browser's Web Push subscription: `PushSubscription` itself or its `toJSON()`. */
export interface PushSubscriptionLike {
  endpoint: string;
  keys?: { p256dh?: string; auth?: string };
  toJSON?: () => { endpoint?: string; keys?: Record<string, string> };
}

/** Close codes the client reacts to. */
export const CloseCode = {
  Normal: 1000,
  ServerRestart: 1012,
  SlowConsumer: 1013,
  Auth: 4001,
  /** The user was disabled or deleted by the application: never reconnect. */
  AccountClosed: 4003,
} as const;

/** Slow mode's longest interval (6 hours), in seconds. */
export const MAX_SLOW_MODE_S = 21600;

/** Room names: [a-z0-9][a-z0-9_-]{0,63} */
export const ROOM_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** User names: [a-z0-9_]{1,32} */
export const USER_NAME = /^[a-z0-9_]{1,32}$/;
