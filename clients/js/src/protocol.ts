// Wire frames of parley protocol v1 (docs/protocol.md is authoritative).

export interface WireMessage {
  id: string;
  seq: number;
  ts: number;
  /** The sender; '' for a system message (the server sends none). */
  user: string;
  text: string;
  /** Posted by the application's backend as the system, not by a user. */
  system?: boolean;
}

/** A message as the SDK keeps it: a system message (no `user` on the wire) gets user ''. */
export function normalizeMessage<M extends { user?: string; system?: boolean }>(m: M): M & { user: string } {
  return m.user === undefined ? { ...m, user: '' } : (m as M & { user: string });
}

export interface WelcomeFrame {
  type: 'welcome';
  user: string;
  rooms: { room: string; last_seq: number; read_seq: number }[];
  heartbeat_ms: number;
}
export interface JoinedFrame {
  type: 'joined';
  room: string;
  last_seq: number;
  read_seq: number;
  online: string[];
  ref?: Ref;
}
export interface LeftFrame { type: 'left'; room: string; ref?: Ref }
export interface MessageFrame extends WireMessage { type: 'message'; room: string }
export interface AckFrame { type: 'ack'; id: string; room: string; seq: number; ts: number; ref?: Ref }
export interface TypingFrame { type: 'typing'; room: string; user: string; active: boolean }
export interface ReadFrame { type: 'read'; room: string; user: string; seq: number }
export interface PresenceFrame { type: 'presence'; room: string; user: string; status: 'online' | 'offline' }
export interface HistoryFrame {
  type: 'history';
  room: string;
  messages: WireMessage[];
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
  | (string & {});
export interface ErrorFrame { type: 'error'; code: ErrorCode; message: string; id?: string; ref?: Ref }

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
  | HistoryFrame
  | ErrorFrame;

export type ClientFrame =
  | { type: 'join'; room: string; ref?: Ref }
  | { type: 'leave'; room: string; ref?: Ref }
  | { type: 'message'; room: string; id: string; text: string; ref?: Ref }
  | { type: 'typing'; room: string; active: boolean }
  | { type: 'read'; room: string; seq: number }
  | { type: 'sync'; room: string; after: number; limit?: number; ref?: Ref }
  | { type: 'history'; room: string; before?: number; limit?: number; ref?: Ref };

/** Close codes the client reacts to. */
export const CloseCode = {
  Normal: 1000,
  ServerRestart: 1012,
  SlowConsumer: 1013,
  Auth: 4001,
} as const;

/** Room names: [a-z0-9][a-z0-9_-]{0,63} */
export const ROOM_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** User names: [a-z0-9_]{1,32} */
export const USER_NAME = /^[a-z0-9_]{1,32}$/;
