import {
  Connection,
  browserNetworkMonitor,
  type ConnectionState,
  type WebSocketFactory,
} from './connection.js';
import { Emitter } from './emitter.js';
import { FrameHandler } from './frames.js';
import { Outbox, type ActionKind, type OutboxEntry, type PendingAction } from './outbox.js';
import { ROOM_NAME, USER_NAME, type Role, type SearchResult } from './protocol.js';
import type { ChatMessage } from './room.js';
import { Rooms } from './rooms.js';
import { Sender } from './sender.js';
import { MemoryStorage, type StorageAdapter } from './storage.js';
import { typingText } from './typing.js';
import { Requests, type RequestKind } from './requests.js';
import { ClientCache } from './cache.js';
import { decodeJwt, uuid } from './util.js';
import { IdleProbe } from './liveness.js';
import { failedMessage, roomMessages } from './view.js';
import {
  ParleyError,
  type ParleyClientEvents,
  type OnlinePage,
  type ParleyClientOptions,
  type RoomSnapshot,
} from './types.js';

export { ParleyError };
export type { OnlinePage, ParleyClientEvents, ParleyClientOptions, RoomSnapshot };

/**
 * The parley client: one connection, rooms, a persistent outbox and the state a chat UI shows.
 * Frames from the server are applied by FrameHandler (frames.ts), the outbox is sent by Sender
 * (sender.ts). See docs/client.md.
 */
export class ParleyClient extends Emitter<ParleyClientEvents> {
  readonly user: string;
  private token: string;
  private readonly storage: StorageAdapter;
  private readonly conn: Connection;
  private readonly outbox: Outbox;
  private readonly sender: Sender;
  private readonly held: Rooms;
  private readonly frames: FrameHandler;
  private readonly probe: IdleProbe;
  private readonly requests = new Requests();
  private refreshedSinceOpen = false;
  private started: Promise<void> | null = null;
  private _version = 0;

  constructor(private readonly opts: ParleyClientOptions) {
    super();
    this.token = opts.token;
    const user = opts.user ?? decodeJwt(opts.token)?.sub;
    if (!user) throw new Error('ParleyClient: no user (pass `user` or a token with `sub`)');
    this.user = user;
    this.storage = opts.storage ?? new MemoryStorage();
    this.outbox = new Outbox(this.storage, `parley:v1:${user}:outbox`);
    this.held = new Rooms(new ClientCache(this.storage, user, opts.cacheSize ?? 100), {
      changed: () => this.changed(),
      sendTyping: (room, active) => this.conn.send({ type: 'typing', room, active }),
      typing: opts.typing,
    });
    const WS = opts.WebSocket ?? ((globalThis as any).WebSocket as WebSocketFactory | undefined);
    if (!WS) throw new Error('ParleyClient: no WebSocket implementation (pass `WebSocket`)');
    this.conn = new Connection({
      url: () => this.connectUrl(),
      WebSocket: WS,
      network: opts.network === undefined ? browserNetworkMonitor() : opts.network,
      backoff: opts.backoff,
      random: opts.random,
    });
    this.sender = new Sender(
      this.outbox,
      {
        ready: () => this.frames.welcomed && this.conn.state === 'open',
        send: (f) => this.conn.send(f),
        stalled: () => this.conn.reconnectNow(),
        holds: (room, id) => !!this.held.get(room)?.store.hasMessage(this.user, id),
        changed: () => this.changed(),
        messageFailed: (entry, code) => this.emit('failed', failedMessage(entry, this.user, code)),
        actionFailed: (action, error) => this.emit('actionFailed', action, error),
      },
      opts.ackTimeoutMs ?? 20000,
    );
    this.frames = new FrameHandler({
      user,
      rooms: this.held,
      requests: this.requests,
      sender: this.sender,
      refreshPresence: opts.refreshPresence !== false,
      send: (f) => this.conn.send(f),
      request: (kind, f) => this.request(kind, f),
      welcomed: (heartbeat) => this.probe.start(this.opts.probeIdleMs ?? 2 * heartbeat),
      reauth: () => void this.onReauth(),
      emit: (event, ...args) => this.emit(event, ...args),
      changed: () => this.changed(),
    });
    this.conn.on('state', (s, reason) => {
      if (s === 'open') this.refreshedSinceOpen = false;
      this.emit('state', s, reason);
      this.changed();
    });
    // An idle connection is probed with an `auth` (answered with `authed`) and replaced when no
    // frame answers it: a half-open link would otherwise go unnoticed by a client that only reads.
    this.probe = new IdleProbe(
      () => this.probeLink(),
      () => this.conn.reconnectNow(),
      opts.ackTimeoutMs ?? 20000,
    );
    this.conn.on('frame', (f) => {
      this.probe.seen();
      this.frames.handle(f);
    });
    this.conn.on('close', () => this.onDisconnect());
    this.conn.on('auth', () => void this.onAuthFailure());
  }

  // ---------------------------------------------------------------- lifecycle

  /** Loads the persisted outbox and receipts, then connects. */
  start(): Promise<void> {
    if (!this.started) {
      this.started = (async () => {
        await this.outbox.load();
        await this.held.load();
        this.changed();
        this.conn.start();
      })();
    } else if (this.conn.state === 'offline') {
      this.conn.start();
    }
    return this.started;
  }

  /** Closes for good (until start()); the outbox stays persisted. */
  close(): void {
    this.conn.close();
    // As for a lost connection: a message in flight is sent again after start().
    this.onDisconnect();
  }

  /** Replaces the token (e.g. after a new login) and reconnects if the client had given up. */
  setToken(token: string): void {
    this.token = token;
    if (this.started && this.conn.state === 'offline') this.conn.start();
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Increases on every change: a cheap snapshot key (React's useSyncExternalStore). */
  get version(): number {
    return this._version;
  }

  /** Messages (and edits, deletions, reactions) waiting for their ack, in send order. */
  get queued(): number {
    return this.outbox.size;
  }

  /** Users the user has blocked (from welcome, then `block` / `unblock`). */
  get blocked(): readonly string[] {
    return this.frames.blocked;
  }

  private changed(): void {
    this._version++;
    this.emit('change');
  }

  private async connectUrl(): Promise<string> {
    const claims = decodeJwt(this.token);
    const expiring = typeof claims?.exp === 'number' && claims.exp * 1000 - Date.now() < 60_000;
    const struggling = this.conn.attempts >= 3 && !this.refreshedSinceOpen && !!this.opts.refreshToken;
    if (expiring || struggling) {
      const fresh = await this.askForToken();
      if (!fresh && expiring) throw new Error('token expired');
    }
    const sep = this.opts.url.includes('?') ? '&' : '?';
    return `${this.opts.url}${sep}token=${encodeURIComponent(this.token)}`;
  }

  private async askForToken(): Promise<boolean> {
    this.refreshedSinceOpen = true;
    if (!this.opts.refreshToken) return false;
    try {
      const t = await this.opts.refreshToken();
      if (t) {
        this.token = t;
        return true;
      }
    } catch {
      /* treated as no token */
    }
    return false;
  }

  /** Sends the idle probe; false (no probe) while the token is about to expire (4001 follows). */
  private probeLink(): boolean {
    const exp = decodeJwt(this.token)?.exp;
    if (typeof exp === 'number' && exp * 1000 - Date.now() < 5000) return false;
    return this.conn.send({ type: 'auth', token: this.token });
  }

  /** The server asks for a fresh token before this connection's expires (else it closes 4001). */
  private async onReauth(): Promise<void> {
    if (!this.opts.refreshToken) return;
    try {
      const t = await this.opts.refreshToken();
      if (!t) return;
      this.token = t;
      this.conn.send({ type: 'auth', token: t });
    } catch {
      /* no token: the server closes with 4001 and onAuthFailure takes over */
    }
  }

  private async onAuthFailure(): Promise<void> {
    if (!this.refreshedSinceOpen && (await this.askForToken())) {
      this.conn.start();
      return;
    }
    this.emit('auth');
  }

  // ---------------------------------------------------------------- rooms

  /** Room names the user is a member of, sorted. */
  rooms(): string[] {
    return this.held.names();
  }

  /** What a UI shows for one room, or undefined if the user is not a member. */
  room(name: string): RoomSnapshot | undefined {
    const r = this.held.get(name);
    if (!r) return undefined;
    const st = r.store;
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
      messages: roomMessages(this.user, st, this.sender),
    };
    if (st.peer !== undefined) snap.with = st.peer;
    if (st.mutedUntil !== undefined) snap.mutedUntil = st.mutedUntil;
    return snap;
  }

  private request<T>(kind: RequestKind, frame: Record<string, unknown>): Promise<T> {
    return this.requests.start<T>(kind, frame, (f) => this.conn.send(f));
  }

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
    if (!ROOM_NAME.test(room)) return Promise.reject(badRoom());
    const frame: Record<string, unknown> = { type: 'online', room };
    if (opts.after !== undefined) frame.after = opts.after;
    if (opts.limit !== undefined) frame.limit = opts.limit;
    return this.request<OnlinePage>('online', frame);
  }

  /**
   * Sends a message: it gets a UUID, is persisted to the outbox, then sent (now or after the
   * next reconnect) until acked. Resolves with the pending message once persisted.
   */
  async send(room: string, text: string): Promise<ChatMessage> {
    if (!text) throw new ParleyError('bad_request', 'empty message');
    this.held.get(room)?.typingOut.stop();
    const entry: OutboxEntry = { id: uuid(), room, text, createdAt: Date.now() };
    await this.sender.add(entry);
    return { id: entry.id, room, seq: null, ts: entry.createdAt, user: this.user, text, mine: true, state: 'pending' };
  }

  /** Replaces the text of the user's message `seq` (within the server's edit window). */
  edit(room: string, seq: number, text: string): Promise<PendingAction> {
    if (!text) return Promise.reject(new ParleyError('bad_request', 'empty text'));
    return this.act('edit', room, seq, { text });
  }

  /** Deletes message `seq` (the user's own, or anyone's as moderator or owner): it becomes a tombstone. */
  deleteMessage(room: string, seq: number): Promise<PendingAction> {
    return this.act('delete', room, seq, {});
  }

  /** Adds (or with `remove`, takes back) the user's `emoji` reaction on message `seq`. */
  react(room: string, seq: number, emoji: string, remove = false): Promise<PendingAction> {
    if (!emoji || new TextEncoder().encode(emoji).length > 32)
      return Promise.reject(new ParleyError('bad_request', 'an emoji is 1–32 bytes'));
    return this.act('react', room, seq, remove ? { emoji, remove } : { emoji });
  }

  /**
   * An edit, deletion or reaction goes through the outbox like a message: persisted, sent in
   * order with its own id until acked, shown on the message at once. Resolves once persisted.
   */
  private async act(kind: ActionKind, room: string, seq: number, extra: Partial<OutboxEntry>): Promise<PendingAction> {
    if (!Number.isInteger(seq) || seq < 1) throw new ParleyError('bad_request', 'not a message seq');
    const entry: PendingAction = { id: uuid(), room, text: '', createdAt: Date.now(), ...extra, kind, target: seq };
    await this.sender.add(entry);
    return entry;
  }

  /** Call on every keystroke in a room's composer. */
  typing(room: string): void {
    if (this.conn.state !== 'open') return;
    this.held.get(room)?.typingOut.keystroke();
  }

  /** Call when the composer is cleared without sending. */
  stopTyping(room: string): void {
    this.held.get(room)?.typingOut.stop();
  }

  /**
   * Call when the message with this seq (and so all before it) is visible to the user. The
   * position moves past the edits, deletions and reactions that follow it (they are not shown).
   */
  markRead(room: string, seq: number): void {
    const r = this.held.get(room);
    if (!r) return;
    const st = r.store;
    const target = Math.min(st.readThrough(seq), st.lastSeq);
    if (target <= st.readSeq) return;
    st.readSeq = target;
    r.wantRead = target;
    this.conn.send({ type: 'read', room, seq: target });
    this.held.saveCache();
    this.changed();
  }

  /** Fetches the page before the oldest held message. Resolves whether older ones remain. */
  loadEarlier(room: string): Promise<boolean> {
    const r = this.held.get(room);
    if (!r) return Promise.resolve(false);
    if (r.loading) return r.loading;
    if (!r.store.hasMore) return Promise.resolve(false);
    const p = this.request<boolean>('history', {
      type: 'history',
      room,
      before: r.store.bottom,
      limit: this.opts.pageSize ?? 50,
    }).finally(() => {
      if (r.loading === p) r.loading = null;
      this.changed();
    });
    r.loading = p;
    this.changed();
    return p;
  }

  /** Forgets a failed message. */
  discardFailed(id: string): void {
    if (this.sender.discardFailed(id)) this.changed();
  }

  /** Puts a failed message back into the outbox (with the same id). */
  retryFailed(id: string): Promise<void> {
    return this.sender.retryFailed(id);
  }

  private onDisconnect(): void {
    this.probe.stop();
    this.sender.stop();
    this.frames.reset();
    this.requests.failAll();
    this.changed();
  }
}

function badRoom(): ParleyError {
  return new ParleyError('bad_room', 'room names are a-z, 0-9, _ and -');
}
