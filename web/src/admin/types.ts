// The server API's answers the console reads (docs/api.md, docs/openapi.yaml).

export type RoomKind = 'public' | 'private' | 'direct';
export type Role = 'owner' | 'moderator' | 'member';

/** GET /api/v1/connections */
export interface ConnectionsPage {
  /** Connections open on the node. */
  total: number;
  /** Users they belong to (newer servers). */
  users_total?: number;
  users: { user: string; connections: number }[];
  node: string;
}

/** GET /api/v1/rooms: one room of the page. */
export interface RoomSummary {
  room: string;
  kind: RoomKind;
  members: number;
  last_seq: number;
  messages_last_hour: number;
  slow_mode_s: number;
}

export interface RoomsPage {
  rooms: RoomSummary[];
  next: string | null;
}

/** GET /api/v1/rooms/{room} */
export interface RoomInfo {
  room: string;
  last_seq: number;
  kind: RoomKind;
  slow_mode_s: number;
}

/** GET /api/v1/rooms/{room}/members */
export interface MembersPage {
  room: string;
  members: { user: string; role: Role; read_seq: number }[];
  next: string | null;
}

/** An entry of GET /api/v1/rooms/{room}/messages: a message, or with `kind` an edit, deletion or reaction. */
export interface HistoryEntry {
  id: string;
  seq: number;
  ts: number;
  user?: string;
  system?: boolean;
  kind?: string;
  target?: number;
  text?: string;
  deleted?: boolean;
  edited_ts?: number;
  reply_to?: number;
  attachments?: unknown[];
}

export interface HistoryPage {
  room: string;
  messages: HistoryEntry[];
  has_more: boolean;
}

/** A user's standing (GET /api/v1/users/{user} and the access changes). */
export interface Standing {
  user: string;
  account: boolean;
  created_ms?: number;
  disabled: boolean;
  deleted: boolean;
  token_version: number;
}

/** GET /api/v1/users/{user}/rooms: as the user's welcome lists them. */
export interface UserRoom {
  room: string;
  kind: RoomKind;
  role: Role;
  last_seq: number;
  read_seq: number;
  with?: string;
  muted_until?: number;
  notify?: string;
  mentions?: number;
}

/** GET /api/v1/webhooks */
export interface WebhookEndpoint {
  name: string;
  url: string;
  types: string[];
  pending: number;
  dead: number;
  oldest_pending_ms?: number;
}

export type DeliveryState = 'pending' | 'delivered' | 'dead';

export interface Delivery {
  seq: number;
  id: string;
  endpoint: string;
  type: string;
  state: DeliveryState;
  attempts: number;
  created_ms: number;
  next_ms?: number;
  done_ms?: number;
  last_error?: string;
  event?: unknown;
}

/** GET /api/v1/webhooks/deliveries */
export interface DeliveriesPage {
  deliveries: Delivery[];
  next_before: number | null;
}

/** GET /readyz */
export interface Readiness {
  status: 'ready' | 'not_ready';
  failed?: Record<string, string>;
}
