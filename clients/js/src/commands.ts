// The client's request/reply commands of protocol v1 — rooms, moderation, slow mode, blocks,
// search, member pages, notify levels, pins and Web Push — each one frame with a fresh `ref`,
// settled by the server's reply (requests.ts). They reject with a ParleyError whose code is the
// server's (`forbidden`, `conflict`, `not_found`, …) or `offline`; nothing is retried.
// ParleyClient (client.ts) extends this class with the connection and the state they act on.
import { Emitter } from './emitter.js';
import {
  MAX_SLOW_MODE_S,
  ROOM_NAME,
  USER_NAME,
  type NotifyLevel,
  type PushSubscriptionLike,
  type Role,
  type SearchResult,
} from './protocol.js';
import type { RequestKind } from './requests.js';
import { ParleyError, type MembersPage, type OnlinePage, type ParleyClientEvents, type ReadsPage } from './types.js';

const NOTIFY_LEVELS: ReadonlySet<string> = new Set<NotifyLevel>(['all', 'mentions', 'none']);

export abstract class Commands extends Emitter<ParleyClientEvents> {
  abstract readonly user: string;

  /** Sends `frame` with a fresh ref; settles with the reply (rejects `offline` when not connected). */
  protected abstract request<T>(kind: RequestKind, frame: Record<string, unknown>): Promise<T>;

  /** Joins (or creates) a public room. Rejects when offline or refused. */
  join(room: string): Promise<void> {
    if (!ROOM_NAME.test(room)) return Promise.reject(badRoom());
    return this.request<void>('join', { type: 'join', room });
  }

  leave(room: string): Promise<void> {
    return this.request<void>('leave', { type: 'leave', room });
  }

  /** Creates a room with the user as its owner; `conflict` if it exists. */
  createRoom(room: string, kind: 'public' | 'private' = 'public'): Promise<void> {
    if (!ROOM_NAME.test(room) || room.startsWith('dm-')) return Promise.reject(badRoom());
    return this.request<void>('create', { type: 'create', room, kind });
  }

  /** Opens (or finds) the direct room with `user`; resolves with its name. */
  dm(user: string): Promise<string> {
    if (!USER_NAME.test(user) || user === this.user)
      return Promise.reject(new ParleyError('bad_user', 'not a user name one can write to'));
    return this.request<string>('dm', { type: 'dm', to: user });
  }

  /** Adds `user` to the room (private rooms: owner or moderator). */
  invite(room: string, user: string): Promise<void> {
    return this.moderate('invite', room, user);
  }

  /** Removes `user` from the room; they may join again if it is public. */
  kick(room: string, user: string): Promise<void> {
    return this.moderate('kick', room, user);
  }

  /** Removes `user` and keeps them out until unban. */
  ban(room: string, user: string): Promise<void> {
    return this.moderate('ban', room, user);
  }

  unban(room: string, user: string): Promise<void> {
    return this.moderate('unban', room, user);
  }

  /** Mutes `user` in the room for `seconds` (0 unmutes). */
  mute(room: string, user: string, seconds: number): Promise<void> {
    return this.moderate('mute', room, user, { seconds });
  }

  /** Makes `user` a moderator or a member again (owner only). */
  setRole(room: string, user: string, role: Exclude<Role, 'owner'>): Promise<void> {
    return this.moderate('role', room, user, { role });
  }

  /**
   * Sets the room's slow mode (owners and moderators): each member may then send one message
   * per `seconds` (whole seconds, 0–21,600; 0 turns it off). Owners and moderators are exempt.
   * Every member gets the `slow_mode` event (the room's `slowModeS`, the client's `slowMode`
   * event). Rejects with `forbidden` without the role, `bad_request` for other seconds.
   */
  setSlowMode(room: string, seconds: number): Promise<void> {
    if (!ROOM_NAME.test(room)) return Promise.reject(badRoom());
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_SLOW_MODE_S)
      return Promise.reject(new ParleyError('bad_request', `seconds: a whole number from 0 to ${MAX_SLOW_MODE_S}`));
    return this.request<void>('slow_mode', { type: 'slow_mode', room, seconds });
  }

  private moderate(type: RequestKind, room: string, user: string, extra: Record<string, unknown> = {}): Promise<void> {
    return this.request<void>(type, { type, room, user, ...extra });
  }

  /** Blocks `user`: resolves with the block list. */
  block(user: string): Promise<string[]> {
    return this.request<string[]>('block', { type: 'block', user });
  }

  unblock(user: string): Promise<string[]> {
    return this.request<string[]>('unblock', { type: 'unblock', user });
  }

  /** Messages containing every word of `query`, newest first, from the user's rooms (or `room`). */
  search(query: string, opts: { room?: string; limit?: number } = {}): Promise<SearchResult[]> {
    return this.request<SearchResult[]>('search', { type: 'search', query, ...opts });
  }

  /**
   * A page of the room's online members, in name order (`limit`: 1–1,000, default 100; `after`:
   * the previous page's `next`). For large rooms (`presence: 'count'`), whose snapshot lists
   * only the first members. Rejects when offline, or `forbidden` for a room the user is not in.
   */
  listOnline(room: string, opts: { after?: string; limit?: number } = {}): Promise<OnlinePage> {
    return this.page<OnlinePage>('online', room, opts);
  }


  /** What the user hears of a room: `all`, `mentions` only or `none`. Resolves with the level. */
  setNotify(room: string, level: NotifyLevel): Promise<NotifyLevel> {
    if (!NOTIFY_LEVELS.has(level)) return Promise.reject(new ParleyError('bad_request', 'level: all, mentions or none'));
    return this.request<NotifyLevel>('notify', { type: 'notify', room, level });
  }

  /** Pins message `seq` (owners and moderators; at most 50 per room). */
  pin(room: string, seq: number): Promise<void> {
    return this.request<void>('pin', { type: 'pin', room, seq });
  }

  unpin(room: string, seq: number): Promise<void> {
    return this.request<void>('unpin', { type: 'unpin', room, seq });
  }

  /**
   * A page of the other members' read positions, in user-name order (`limit` 1–1,000; `after`:
   * the previous page's `next`, or the room's `readsNext`). They join the room's `reads`.
   */
  listReads(room: string, opts: { after?: string; limit?: number } = {}): Promise<ReadsPage> {
    return this.page<ReadsPage>('reads', room, opts);
  }

  /**
   * A page of the room's members with their roles and read positions, in name order (`limit`
   * 1–1,000, default 100; `after`: the previous page's `next`). Roles join the room's `roles`.
   */
  listMembers(room: string, opts: { after?: string; limit?: number } = {}): Promise<MembersPage> {
    return this.page<MembersPage>('members', room, opts);
  }

  /** A page of a room's members (online, reads, members) in name order, after `after`. */
  private page<T>(type: 'online' | 'reads' | 'members', room: string, opts: { after?: string; limit?: number }): Promise<T> {
    if (!ROOM_NAME.test(room)) return Promise.reject(badRoom());
    const frame: Record<string, unknown> = { type, room };
    if (opts.after !== undefined) frame.after = opts.after;
    if (opts.limit !== undefined) frame.limit = opts.limit;
    return this.request<T>(type, frame);
  }


  /**
   * Registers this browser for Web Push: while the user has no open connection, direct messages
   * and mentions (as the room's notify level allows) are pushed to it. Pass the subscription
   * from `registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey })`,
   * the key being `public_key` of `GET /api/push/key`. Rejects when offline.
   */
  registerPush(subscription: PushSubscriptionLike): Promise<void> {
    const json = typeof subscription.toJSON === 'function' ? subscription.toJSON() : subscription;
    const endpoint = json.endpoint ?? subscription.endpoint;
    const keys = (json.keys ?? {}) as Record<string, string | undefined>;
    if (!endpoint || !keys.p256dh || !keys.auth) {
      return Promise.reject(new ParleyError('bad_request', 'a push subscription has an endpoint and keys p256dh, auth'));
    }
    return this.request<void>('push', { type: 'push_subscribe', endpoint, p256dh: keys.p256dh, auth: keys.auth });
  }

  /** Stops pushing to the browser subscribed at `endpoint` (after `subscription.unsubscribe()`). */
  unregisterPush(endpoint: string): Promise<void> {
    return this.request<void>('push', { type: 'push_unsubscribe', endpoint });
  }
}

export function badRoom(): ParleyError {
  return new ParleyError('bad_room', 'room names are a-z, 0-9, _ and -');
}
