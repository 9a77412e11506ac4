import {
  Connection,
  browserNetworkMonitor,
  type ConnectionState,
  type WebSocketFactory,
} from './connection.js';
import { Emitter } from './emitter.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { ROOM_NAME, normalizeMessage, type ErrorFrame, type Ref, type WireMessage } from './protocol.js';
import { RoomStore, type ChatMessage } from './room.js';
import { MemoryStorage, type StorageAdapter } from './storage.js';
import { TypingSender, TypingTracker, typingText } from './typing.js';
import { Requests, type RequestKind } from './requests.js';
import { ClientCache, type CachedReceipts, type CachedRooms } from './cache.js';
import { decodeJwt, uuid } from './util.js';
import { IdleProbe } from './liveness.js';
import {
  ParleyError,
  type ParleyClientEvents,
  type ParleyClientOptions,
  type RoomSnapshot,
} from './types.js';

export { ParleyError };
export type { ParleyClientEvents, ParleyClientOptions, RoomSnapshot };

interface RoomExtra {
  store: RoomStore;
  typingIn: TypingTracker;
  typingOut: TypingSender;
  syncing: boolean;
  loading: Promise<boolean> | null;
}


const RETRYABLE = new Set(['rate_limited', 'unavailable']);
/** Beyond this many missed messages, a room restarts its window instead of syncing them all. */
const MAX_SYNC_GAP = 1000;

/**
 * The parley client: one connection, rooms, a persistent outbox and the state a chat UI shows.
 * See docs/client.md.
 */
export class ParleyClient extends Emitter<ParleyClientEvents> {
  readonly user: string;
  private token: string;
  private readonly storage: StorageAdapter;
  private readonly cache: ClientCache;
  private readonly conn: Connection;
  private readonly outbox: Outbox;
  private readonly probe: IdleProbe;
  private readonly roomsByName = new Map<string, RoomExtra>();
  private readonly sent = new Map<string, { room: string; seq: number; ts: number; text: string }>();
  private readonly failed = new Map<string, { entry: OutboxEntry; code: string }>();
  private readonly requests = new Requests();
  private readonly wantRead = new Map<string, number>();
  private storedReceipts: CachedReceipts = {};
  private welcomed = false;
  private inflight: string | null = null;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = 1000;
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
    this.cache = new ClientCache(this.storage, user, opts.cacheSize ?? 100);
    const WS = opts.WebSocket ?? ((globalThis as any).WebSocket as WebSocketFactory | undefined);
    if (!WS) throw new Error('ParleyClient: no WebSocket implementation (pass `WebSocket`)');
    this.conn = new Connection({
      url: () => this.connectUrl(),
      WebSocket: WS,
      network: opts.network === undefined ? browserNetworkMonitor() : opts.network,
      backoff: opts.backoff,
      random: opts.random,
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
      this.onFrame(f);
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
        this.storedReceipts = await this.cache.loadReceipts();
        await this.loadCache();
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

  /** Messages waiting for their ack (pending), in send order. */
  get queued(): number {
    return this.outbox.size;
  }

  private async loadCache(): Promise<void> {
    for (const [name, c] of Object.entries(await this.cache.loadRooms())) {
      if (this.roomsByName.has(name) || !ROOM_NAME.test(name)) continue;
      this.ensureRoom(name).store.restore(c.messages ?? [], c.lastSeq ?? 0, c.readSeq ?? 0);
    }
  }

  private saveCache(): void {
    this.cache.saveRoomsSoon(() => {
      const rooms: CachedRooms = {};
      for (const [name, r] of this.roomsByName) {
        rooms[name] = { lastSeq: r.store.lastSeq, readSeq: r.store.readSeq, messages: r.store.newest(this.cache.size) };
      }
      return rooms;
    });
  }

  private changed(): void {
    this._version++;
    this.emit('change');
  }

  private clearTimers(): void {
    this.probe.stop();
    if (this.ackTimer) clearTimeout(this.ackTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ackTimer = this.retryTimer = null;
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
    return [...this.roomsByName.keys()].sort();
  }

  private ensureRoom(name: string): RoomExtra {
    let r = this.roomsByName.get(name);
    if (!r) {
      const store = new RoomStore(name);
      for (const [u, s] of Object.entries(this.storedReceipts[name] ?? {})) store.receipts.set(u, s);
      const t = this.opts.typing ?? {};
      r = {
        store,
        typingIn: new TypingTracker(() => this.changed(), t.ttlMs ?? 5000),
        typingOut: new TypingSender((active) => this.conn.send({ type: 'typing', room: name, active }), t),
        syncing: false,
        loading: null,
      };
      this.roomsByName.set(name, r);
    }
    return r;
  }

  private dropRoom(name: string): void {
    const r = this.roomsByName.get(name);
    if (!r) return;
    r.typingIn.clear();
    r.typingOut.reset();
    this.roomsByName.delete(name);
  }

  /** What a UI shows for one room, or undefined if the user is not a member. */
  room(name: string): RoomSnapshot | undefined {
    const r = this.roomsByName.get(name);
    if (!r) return undefined;
    const st = r.store;
    const typing = r.typingIn.users();
    return {
      name,
      lastSeq: st.lastSeq,
      readSeq: st.readSeq,
      unread: st.unread,
      online: [...st.online].sort(),
      typing,
      typingText: typingText(typing),
      hasMore: st.hasMore,
      loadingEarlier: r.loading !== null,
      messages: this.messagesOf(name, st),
    };
  }

  private messagesOf(name: string, st: RoomStore): ChatMessage[] {
    const othersRead = st.othersRead();
    const toChat = (m: WireMessage): ChatMessage => {
      const mine = m.user === this.user;
      const c: ChatMessage = { id: m.id, room: name, seq: m.seq, ts: m.ts, user: m.user, text: m.text, mine };
      if (m.system) c.system = true;
      if (mine) c.state = othersRead >= m.seq ? 'read' : 'sent';
      return c;
    };
    let out = st.messages().map(toChat);
    const extra: ChatMessage[] = [];
    for (const [id, s] of this.sent) {
      if (s.room === name && !st.hasMessage(this.user, id))
        extra.push(toChat({ id, seq: s.seq, ts: s.ts, user: this.user, text: s.text }));
    }
    if (extra.length) out = [...out, ...extra].sort((a, b) => a.seq! - b.seq!);
    for (const e of this.outbox.entries()) {
      if (e.room === name)
        out.push({ id: e.id, room: name, seq: null, ts: e.createdAt, user: this.user, text: e.text, mine: true, state: 'pending' });
    }
    for (const { entry: e, code } of this.failed.values()) {
      if (e.room === name)
        out.push({
          id: e.id, room: name, seq: null, ts: e.createdAt, user: this.user, text: e.text, mine: true, state: 'failed', error: code,
        });
    }
    return out;
  }

  private request<T>(kind: RequestKind, frame: Record<string, unknown>): Promise<T> {
    return this.requests.start<T>(kind, frame, (f) => this.conn.send(f));
  }


  /** Joins (or creates) a public room. Rejects when offline or refused. */
  join(room: string): Promise<void> {
    if (!ROOM_NAME.test(room)) return Promise.reject(new ParleyError('bad_room', 'room names are a-z, 0-9, _ and -'));
    return this.request<void>('join', { type: 'join', room });
  }

  leave(room: string): Promise<void> {
    return this.request<void>('leave', { type: 'leave', room });
  }

  /**
   * Sends a message: it gets a UUID, is persisted to the outbox, then sent (now or after the
   * next reconnect) until acked. Resolves with the pending message once persisted.
   */
  async send(room: string, text: string): Promise<ChatMessage> {
    if (!text) throw new ParleyError('bad_request', 'empty message');
    const r = this.roomsByName.get(room);
    r?.typingOut.stop();
    const entry: OutboxEntry = { id: uuid(), room, text, createdAt: Date.now() };
    const persisted = this.outbox.add(entry);
    this.changed();
    await persisted;
    this.pump();
    return { id: entry.id, room, seq: null, ts: entry.createdAt, user: this.user, text, mine: true, state: 'pending' };
  }

  /** Call on every keystroke in a room's composer. */
  typing(room: string): void {
    if (this.conn.state !== 'open') return;
    this.roomsByName.get(room)?.typingOut.keystroke();
  }

  /** Call when the composer is cleared without sending. */
  stopTyping(room: string): void {
    this.roomsByName.get(room)?.typingOut.stop();
  }

  /** Call when the message with this seq (and so all before it) is visible to the user. */
  markRead(room: string, seq: number): void {
    const r = this.roomsByName.get(room);
    if (!r) return;
    const st = r.store;
    const target = Math.min(seq, st.lastSeq);
    if (target <= st.readSeq) return;
    st.readSeq = target;
    this.wantRead.set(room, target);
    this.conn.send({ type: 'read', room, seq: target });
    this.saveCache();
    this.changed();
  }

  /** Fetches the page before the oldest held message. Resolves whether older ones remain. */
  loadEarlier(room: string): Promise<boolean> {
    const r = this.roomsByName.get(room);
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
    if (this.failed.delete(id)) this.changed();
  }

  /** Puts a failed message back into the outbox (with the same id). */
  async retryFailed(id: string): Promise<void> {
    const f = this.failed.get(id);
    if (!f) return;
    this.failed.delete(id);
    const p = this.outbox.add(f.entry);
    this.changed();
    await p;
    this.pump();
  }

  // ---------------------------------------------------------------- outbox

  private pump(): void {
    if (!this.welcomed || this.conn.state !== 'open' || this.inflight || this.retryTimer) return;
    const next = this.outbox.entries()[0];
    if (!next || !this.outbox.isDurable(next.id)) return;
    // One message in flight at a time: a rate-limited or failed message can never be
    // overtaken by the next one, so each room's messages get seqs in send order.
    if (!this.conn.send({ type: 'message', room: next.room, id: next.id, text: next.text })) return;
    this.inflight = next.id;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      if (this.inflight === next.id) this.conn.reconnectNow();
    }, this.opts.ackTimeoutMs ?? 20000);
  }

  private settleInflight(id: string): void {
    if (this.inflight !== id) return;
    this.inflight = null;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  private onAck(id: string, room: string, seq: number, ts: number): void {
    const entry = this.outbox.entries().find((e) => e.id === id);
    this.settleInflight(id);
    this.retryDelay = 1000;
    if (entry) {
      const st = this.roomsByName.get(room)?.store;
      if (!st || !st.hasMessage(this.user, id)) this.sent.set(id, { room, seq, ts, text: entry.text });
      void this.outbox.remove(id);
    }
    this.changed();
    this.pump();
  }

  private onMessageError(e: ErrorFrame): void {
    const id = e.id!;
    const entry = this.outbox.entries().find((x) => x.id === id);
    this.settleInflight(id);
    if (!entry) return;
    if (RETRYABLE.has(e.code)) {
      const delay = this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, 16000);
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.pump();
      }, delay);
      return;
    }
    void this.outbox.remove(id);
    this.failed.set(id, { entry, code: e.code });
    this.changed();
    this.emit('failed', {
      id, room: entry.room, seq: null, ts: entry.createdAt, user: this.user, text: entry.text, mine: true, state: 'failed', error: e.code,
    });
    this.pump();
  }

  // ---------------------------------------------------------------- inbound

  private onDisconnect(): void {
    this.welcomed = false;
    this.inflight = null;
    this.clearTimers();
    this.requests.failAll();
    for (const r of this.roomsByName.values()) {
      r.syncing = false;
      r.typingOut.reset();
      r.typingIn.clear();
    }
    this.changed();
  }

  private requestSync(r: RoomExtra): void {
    if (r.syncing || !this.welcomed) return;
    r.syncing = true;
    const before = r.store.top;
    this.request<{ has_more: boolean }>('sync', { type: 'sync', room: r.store.name, after: before, limit: 200 }).then(
      (h) => {
        r.syncing = false;
        const progressed = r.store.top > before;
        if (progressed && (h.has_more || r.store.hasGap || r.store.top < r.store.lastSeq)) this.requestSync(r);
      },
      () => {
        r.syncing = false;
      },
    );
  }

  private ingestLive(room: string, wire: WireMessage): void {
    const m = normalizeMessage(wire);
    const r = this.roomsByName.get(room) ?? this.ensureRoom(room);
    const res = r.store.ingest(m);
    if (m.user === this.user) {
      this.sent.delete(m.id);
      if (this.outbox.has(m.id)) {
        // Stored already (another device of ours, or an ack we missed).
        this.settleInflight(m.id);
        void this.outbox.remove(m.id);
        this.pump();
      }
    } else if (!m.system) {
      r.typingIn.set(m.user, false);
    }
    if (res === 'gap') this.requestSync(r);
    if (res !== 'duplicate') {
      const othersRead = r.store.othersRead();
      const c: ChatMessage = { ...m, room, mine: m.user === this.user };
      if (c.mine) c.state = othersRead >= m.seq ? 'read' : 'sent';
      this.emit('message', c);
    }
  }

  private saveReceipts(): void {
    this.cache.saveReceiptsSoon(() => {
      const all: CachedReceipts = { ...this.storedReceipts };
      for (const [name, r] of this.roomsByName) all[name] = Object.fromEntries(r.store.receipts);
      this.storedReceipts = all;
      return all;
    });
  }


  private onFrame(f: any): void {
    switch (f.type) {
      case 'welcome':
        this.onWelcome(f);
        break;
      case 'joined': {
        const r = this.ensureRoom(f.room);
        const st = r.store;
        if (!st.initialized) st.init(f.last_seq);
        st.lastSeq = Math.max(st.lastSeq, f.last_seq);
        st.readSeq = Math.max(st.readSeq, f.read_seq);
        st.online.clear();
        for (const u of f.online ?? []) if (u !== this.user) st.online.add(u);
        if (st.top < st.lastSeq) this.requestSync(r);
        this.settle(f.ref, undefined);
        break;
      }
      case 'left':
        this.dropRoom(f.room);
        this.settle(f.ref, undefined);
        break;
      case 'message':
        this.ingestLive(f.room, f);
        break;
      case 'ack':
        this.onAck(f.id, f.room, f.seq, f.ts);
        return; // onAck signals the change
      case 'typing': {
        if (f.user !== this.user) this.roomsByName.get(f.room)?.typingIn.set(f.user, !!f.active);
        return; // the tracker signals the change
      }
      case 'read': {
        const st = this.roomsByName.get(f.room)?.store;
        if (!st) break;
        if (f.user === this.user) {
          st.readSeq = Math.max(st.readSeq, f.seq);
          if ((this.wantRead.get(f.room) ?? 0) <= f.seq) this.wantRead.delete(f.room);
        } else if ((st.receipts.get(f.user) ?? 0) < f.seq) {
          st.receipts.set(f.user, f.seq);
          this.saveReceipts();
        }
        break;
      }
      case 'reauth':
        void this.onReauth();
        break;
      case 'presence': {
        const r = this.roomsByName.get(f.room);
        if (!r || f.user === this.user) break;
        if (f.status === 'online') r.store.online.add(f.user);
        else {
          r.store.online.delete(f.user);
          r.typingIn.set(f.user, false);
        }
        break;
      }
      case 'history': {
        const kind = this.requests.kindOf(f.ref);
        const r = this.roomsByName.get(f.room);
        if (r) {
          if (kind === 'history') r.store.prepend((f.messages ?? []).map(normalizeMessage));
          else for (const m of f.messages ?? []) this.ingestLive(f.room, m);
        }
        this.settle(f.ref, kind === 'history' ? (r?.store.hasMore ?? false) : f);
        break;
      }
      case 'error': {
        const e = f as ErrorFrame;
        if (e.id !== undefined && e.ref === undefined) this.onMessageError(e);
        else if (e.ref !== undefined && this.requests.has(e.ref)) this.requests.fail(e.ref, e);
        else this.emit('error', e);
        break;
      }
      default:
        return;
    }
    if (f.type !== 'presence' && f.type !== 'error') this.saveCache();
    this.changed();
  }

  private settle(ref: Ref | undefined, value: unknown): void {
    this.requests.settle(ref, value);
  }


  private onWelcome(f: {
    user: string;
    rooms: { room: string; last_seq: number; read_seq: number }[];
    heartbeat_ms?: number;
  }): void {
    this.welcomed = true;
    const heartbeat = typeof f.heartbeat_ms === 'number' && f.heartbeat_ms > 0 ? f.heartbeat_ms : 30000;
    this.probe.start(this.opts.probeIdleMs ?? 2 * heartbeat);
    const names = new Set(f.rooms.map((r) => r.room));
    for (const name of [...this.roomsByName.keys()]) if (!names.has(name)) this.dropRoom(name);
    for (const info of f.rooms) {
      const r = this.ensureRoom(info.room);
      const st = r.store;
      if (!st.initialized) st.init(info.last_seq);
      else if (info.last_seq < st.top || info.last_seq - st.top > MAX_SYNC_GAP) st.reset(info.last_seq);
      st.lastSeq = Math.max(st.lastSeq, info.last_seq);
      st.readSeq = info.read_seq;
      const want = this.wantRead.get(info.room);
      if (want !== undefined) {
        if (want > info.read_seq && want <= info.last_seq) {
          st.readSeq = want;
          this.conn.send({ type: 'read', room: info.room, seq: want });
        } else this.wantRead.delete(info.room);
      }
      if (st.top < st.lastSeq || st.hasGap) this.requestSync(r);
      if (this.opts.refreshPresence !== false) this.conn.send({ type: 'join', room: info.room });
    }
    this.pump();
    this.emit('welcome', this.rooms());
  }
}
