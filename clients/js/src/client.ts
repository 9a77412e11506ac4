import {
  Connection,
  browserNetworkMonitor,
  type ConnectionState,
  type Transport,
  type WebSocketFactory,
} from './connection.js';
import { sseSocketFactory, type FetchLike } from './sse.js';
import { Commands } from './commands.js';
import { FrameHandler } from './frames.js';
import { Outbox, type ActionKind, type OutboxEntry, type PendingAction } from './outbox.js';
import type { Attachment } from './protocol.js';
import type { ChatMessage } from './room.js';
import { Rooms } from './rooms.js';
import { ThreadCommands } from './thread-commands.js';
import { Sender } from './sender.js';
import { MemoryStorage, type StorageAdapter } from './storage.js';
import { Requests, type RequestKind } from './requests.js';
import { ClientCache } from './cache.js';
import { decodeJwt, uuid } from './util.js';
import { IdleProbe } from './liveness.js';
import { DEFAULT_STATUS, OwnStatus, type StatusState, type UserStatus } from './status.js';
import { failedMessage, roomSnapshot } from './view.js';
import { Account } from './account.js';
import type { AccountExport, AccountExportPage, DeletedMessages, ExportOptions, Session } from './http.js';
import { Files, attachmentUrl, httpBase, type DownloadOptions, type UploadBody, type UploadOptions } from './uploads.js';
import {
  ParleyError,
  type ParleyClientEvents,
  type MembersPage,
  type OnlinePage,
  type ParleyClientOptions,
  type Pin,
  type ReadsPage,
  type RoomSnapshot,
  type ThreadPage,
  type ThreadSnapshot,
} from './types.js';

export { ParleyError };
export type { MembersPage, OnlinePage, ParleyClientEvents, ParleyClientOptions, Pin, ReadsPage, RoomSnapshot, ThreadPage, ThreadSnapshot };

/** Serialized `data` of a message may be at most this long (the server's max_data_bytes). */
const MAX_DATA_BYTES = 8192;

/**
 * The parley client: one connection, rooms, a persistent outbox and the state a chat UI shows.
 * Frames from the server are applied by FrameHandler (frames.ts), the outbox is sent by Sender
 * (sender.ts); the request/reply commands are Commands' (commands.ts), threads ThreadCommands'
 * (thread-commands.ts), and the account's HTTP requests Account's (account.ts). See docs/client.md.
 */
export class ParleyClient extends Commands {
  readonly user: string;
  private token: string;
  private readonly storage: StorageAdapter;
  private readonly conn: Connection;
  private readonly outbox: Outbox;
  private readonly sender: Sender;
  private readonly held: Rooms;
  private readonly frames: FrameHandler;
  private readonly probe: IdleProbe;
  private readonly own: OwnStatus;
  private readonly requests = new Requests();
  private readonly files: Files;
  private readonly account: Account;
  private readonly threads: ThreadCommands;
  /** The token the current (or last) connection attempt was made with. */
  private connToken: string;
  private refreshedSinceOpen = false;
  private started: Promise<void> | null = null;
  private _version = 0;

  constructor(private readonly opts: ParleyClientOptions) {
    super();
    this.token = this.connToken = opts.token;
    const user = opts.user ?? decodeJwt(opts.token)?.sub;
    if (!user) throw new Error('ParleyClient: no user (pass `user` or a token with `sub`)');
    this.user = user;
    this.storage = opts.storage ?? new MemoryStorage();
    this.outbox = new Outbox(this.storage, `parley:v1:${user}:outbox`);
    this.held = new Rooms(new ClientCache(this.storage, user, opts.cacheSize ?? 100), {
      changed: () => this.changed(),
      sendTyping: (room, active) => this.conn.send({ type: 'typing', room, active }),
      appended: (r, e, target) => this.frames.appended(r, e, target),
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
      fallback: opts.fallback === false ? null : sseSocketFactory(opts.fetch as FetchLike | undefined),
      fallbackAfter: opts.fallbackAfter,
      upgradeAfterMs: opts.upgradeAfterMs,
      transport: opts.transport,
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
      ownStatus: (s) => this.own.told(s),
      emit: (event, ...args) => this.emit(event, ...args),
      changed: () => this.changed(),
    });
    this.threads = new ThreadCommands({
      user,
      rooms: this.held,
      sender: this.sender,
      pageSize: opts.pageSize ?? 50,
      request: (kind, f) => this.request(kind, f),
      changed: () => this.changed(),
    });
    this.conn.on('transport', (t) => {
      this.emit('transport', t);
      this.changed();
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
    this.own = new OwnStatus(opts.awayAfterMs ?? 5 * 60_000, {
      current: () => this.status,
      keep: (st) => this.frames.setStatus(this.user, st),
      welcomed: () => this.frames.welcomed,
      send: (f) => this.request<void>('status', f),
      changed: () => this.changed(),
    });
    const baseUrl = (opts.httpUrl ?? httpBase(opts.url)).replace(/\/$/, '');
    this.files = new Files({
      baseUrl,
      token: () => this.token,
      refresh: () => this.refreshForHttp(),
      XMLHttpRequest: opts.XMLHttpRequest,
      fetch: opts.fetch,
    });
    this.account = new Account({
      baseUrl,
      fetch: opts.fetch,
      token: () => this.token,
      refresh: () => this.refreshForHttp(),
      tokenChanged: (t) => {
        this.token = t;
      },
      finish: () => this.finish(),
      authFailed: (reason) => void this.onAuthFailure(reason),
      accountClosed: () => this.emit('account'),
    });
    this.conn.on('frame', (f) => {
      this.probe.seen();
      this.frames.handle(f);
    });
    this.conn.on('close', () => this.onDisconnect());
    this.conn.on('auth', (reason) => void (this.account.holdsAuth(reason) || this.onAuthFailure(reason)));
    this.conn.on('account', () => void (this.account.holdsAccount() || this.emit('account')));
  }

  // ---------------------------------------------------------------- lifecycle

  /** Loads the persisted outbox and receipts, then connects. Rejects (`closed`) after logout or deleteAccount. */
  start(): Promise<void> {
    if (this.account.ended) return Promise.reject(new ParleyError('closed', 'logged out'));
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
    this.own.stop();
    this.conn.close();
    // As for a lost connection: a message in flight is sent again after start().
    this.onDisconnect();
  }

  /** Replaces the token (e.g. after a new login) and reconnects if the client had given up. */
  setToken(token: string): void {
    this.token = token;
    if (this.started && !this.account.ended && this.conn.state === 'offline') this.conn.start();
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  /** The transport in use (or of the next attempt): 'websocket', or 'sse' on the fallback. */
  get transport(): Transport {
    return this.conn.transport;
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
      this.connToken = this.token;
      if (!fresh && expiring) throw new Error('token expired');
    }
    this.connToken = this.token;
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

  /** A 401 on an upload or a download: a fresh token, if refreshToken gives one. */
  private async refreshForHttp(): Promise<string | null> {
    const t = this.opts.refreshToken ? await this.opts.refreshToken() : null;
    if (!t) return null;
    this.token = t;
    return t;
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

  /**
   * The token was refused (4001, or no URL could be made). A password change revokes the token
   * the connection has: its fresh one is used, once answered; so is any token set since.
   */
  private async onAuthFailure(reason?: string): Promise<void> {
    await this.account.changing();
    if (this.account.ended) return;
    if (this.token !== this.connToken || (!this.refreshedSinceOpen && (await this.askForToken()))) {
      this.conn.start();
      return;
    }
    this.emit('auth', reason);
  }

  // ---------------------------------------------------------------- account (HTTP)

  /**
   * Changes the user's password (POST /api/password with the current one). Every earlier token
   * of the user is revoked, on every device; the client goes on with the fresh one (its
   * connection closes with 4001 and reconnects with it). Resolves with the new session:
   * persist its token. Rejects with an AuthError (`forbidden`: a wrong current password;
   * `rate_limited` with `retryAfterMs`; `network`, …) or `bad_request` for a new password
   * outside 8–1,024 characters.
   */
  changePassword(current: string, next: string): Promise<Session> {
    return this.account.changePassword(current, next);
  }

  /**
   * Logs out (POST /api/logout): the token is revoked, then the client closes for good (no
   * reconnect, start() rejects) and removes what it stored for the user — the outbox (messages
   * not yet sent are dropped: tell the user when `queued` > 0), the cache and the receipts. An
   * already invalid token counts as logged out. When the server could not be told (`network`,
   * `unavailable`) it rejects and nothing changes: try again, or close() to leave the token be.
   */
  logout(): Promise<void> {
    return this.account.logout();
  }

  /**
   * Deletes the user's account (DELETE /api/account, confirmed with the password), then ends
   * like logout: every connection of the user closes (4003; no `account` event for this one).
   * Resolves whether the user's messages were `kept` in their rooms or `erased`. Rejects with
   * an AuthError: `forbidden` (403) for a wrong password; nothing changes then.
   */
  deleteAccount(password: string): Promise<DeletedMessages> {
    return this.account.deleteAccount(password);
  }

  /**
   * The user's data (GET /api/account/export, every page): `{ user, rooms, messages }`, the
   * messages the user's own, in the order of their ids (not of time), as the server stores them. `limit`: messages per
   * page (1–500, default 500). Rejects with an AuthError.
   */
  exportAccount(opts: ExportOptions = {}): Promise<AccountExport> {
    return this.account.export(opts);
  }

  /** The export page by page (`for await (const page of client.exportPages())`), for progress or streaming to a file. */
  exportPages(opts: ExportOptions = {}): AsyncGenerator<AccountExportPage, void, undefined> {
    return this.account.pages(opts);
  }

  /** After logout or deleteAccount: closed for good, nothing of the user's left in storage. */
  private async finish(): Promise<void> {
    this.close();
    this.sender.failed.clear();
    this.sender.sent.clear();
    for (const name of this.held.names()) this.held.drop(name);
    await Promise.all([this.outbox.clear(), this.held.clearStorage()]);
    this.changed();
  }

  // ---------------------------------------------------------------- status

  /** `user`'s status as last told (welcome, joined, `status` events); online without text by default. */
  statusOf(user: string): UserStatus {
    return this.frames.statuses.get(user) ?? DEFAULT_STATUS;
  }

  /** The user's own status. */
  get status(): UserStatus {
    return this.statusOf(this.user);
  }

  /**
   * Sets the user's status (`text`: at most 100 characters on one line; omitted or '' for none),
   * stored by the server until changed and told to every room of the user. Rejects when offline.
   */
  setStatus(state: StatusState, text?: string): Promise<void> {
    return this.own.set(state, text);
  }

  /**
   * Call on user input (keys, pointer, focus): the idle detector reports the user `away` after
   * `awayAfterMs` without it and `online` again on the next call.
   */
  activity(): void {
    this.own.activity();
  }

  // ---------------------------------------------------------------- rooms

  /** Room names the user is a member of, sorted. */
  rooms(): string[] {
    return this.held.names();
  }

  /** What a UI shows for one room, or undefined if the user is not a member. */
  room(name: string): RoomSnapshot | undefined {
    const r = this.held.get(name);
    return r && roomSnapshot(this.user, r, this.sender);
  }

  protected request<T>(kind: RequestKind, frame: Record<string, unknown>): Promise<T> {
    return this.requests.start<T>(kind, frame, (f) => this.conn.send(f));
  }

  /**
   * Sends a message: it gets a UUID, is persisted to the outbox, then sent (now or after the
   * next reconnect) until acked. Resolves with the pending message once persisted.
   * `replyTo`: the seq of a message of the room to reply to (a reply to a reply joins the first
   * one's thread); `data`: a JSON object for the application; `attachments`: uploads (their
   * attachments from `upload`, or ids), at most 10 (with either, `text` may be '').
   */
  async send(
    room: string,
    text: string,
    opts: { replyTo?: number; data?: Record<string, unknown>; attachments?: readonly (string | Attachment)[] } = {},
  ): Promise<ChatMessage> {
    const { data } = opts;
    const files = opts.attachments?.length ? this.files.resolve(opts.attachments) : undefined;
    if (data !== undefined) {
      if (data === null || typeof data !== 'object' || Array.isArray(data))
        throw new ParleyError('bad_request', 'data must be a JSON object');
      if (new TextEncoder().encode(JSON.stringify(data)).length > MAX_DATA_BYTES)
        throw new ParleyError('too_large', `data is over ${MAX_DATA_BYTES} bytes`);
    }
    if (!text && data === undefined && !files) throw new ParleyError('bad_request', 'empty message');
    let replyTo = opts.replyTo;
    if (replyTo !== undefined) {
      if (!Number.isInteger(replyTo) || replyTo < 1) throw new ParleyError('bad_request', 'not a message seq');
      // A reply to a reply joins the first one's thread (as the server files it).
      replyTo = this.held.get(room)?.store.messageAt(replyTo)?.reply_to ?? replyTo;
    }
    this.held.get(room)?.typingOut.stop();
    const entry: OutboxEntry = { id: uuid(), room, text, createdAt: Date.now() };
    if (replyTo !== undefined) entry.replyTo = replyTo;
    if (data !== undefined) entry.data = data;
    if (files) {
      entry.attachments = files.ids;
      entry.files = files.files;
    }
    await this.sender.add(entry);
    const m: ChatMessage = { id: entry.id, room, seq: null, ts: entry.createdAt, user: this.user, text, mine: true, state: 'pending' };
    if (replyTo !== undefined) m.replyTo = replyTo;
    if (data !== undefined) m.data = data;
    if (files) m.attachments = files.files;
    return m;
  }

  // ---------------------------------------------------------------- files

  /**
   * Uploads a file (a Blob or File, or bytes) with the user's token: resolves with its
   * attachment once the server stored it, to send with `send(room, text, { attachments })`.
   * Rejects with an AttachmentError (`too_large`, `unsupported_type`, `limit_exceeded`, …).
   */
  upload(file: UploadBody, opts: UploadOptions = {}): Promise<Attachment> {
    return this.files.upload(file, opts);
  }

  /** An attachment's file (or with `thumb`, its thumbnail) as a Blob, fetched with the user's token. */
  fetchAttachment(id: string, opts: DownloadOptions = {}): Promise<Blob> {
    return this.files.download(id, opts);
  }

  /** The URL of an attachment (or its thumbnail); it answers only with the Authorization header. */
  attachmentUrl(id: string, opts: { thumb?: boolean } = {}): string {
    return attachmentUrl(this.files.baseUrl, id, opts);
  }

  // ---------------------------------------------------------------- threads

  /**
   * A page of thread `seq`'s replies (ascending): the newest page, or the one `before` /
   * `after` a reply's seq (`limit`: default the page size). The page also goes into the
   * thread's view (threadView), which stays live from then on.
   */
  thread(room: string, seq: number, opts: { before?: number; after?: number; limit?: number } = {}): Promise<ThreadPage> {
    return this.threads.thread(room, seq, opts);
  }

  /**
   * Opens thread `seq` of a room: fetches its newest replies (and its first message when the
   * room's window does not hold it) unless it is open already. From then on threadView(room,
   * seq) is kept live. Resolves whether older replies remain.
   */
  openThread(room: string, seq: number): Promise<boolean> {
    return this.threads.openThread(room, seq);
  }

  /** Fetches the replies before the oldest one held. Resolves whether older ones remain. */
  loadEarlierReplies(room: string, seq: number): Promise<boolean> {
    return this.threads.loadEarlierReplies(room, seq);
  }

  /** Thread `seq` as the client holds it, once opened (openThread or thread); else undefined. */
  threadView(room: string, seq: number): ThreadSnapshot | undefined {
    return this.threads.threadView(room, seq);
  }

  /** Stops keeping thread `seq` (its replies stay in the room's messages). */
  closeThread(room: string, seq: number): void {
    this.threads.closeThread(room, seq);
  }

  /** Message `seq` of a room: the held copy, else fetched from the server (undefined if none). */
  message(room: string, seq: number): Promise<ChatMessage | undefined> {
    return this.threads.message(room, seq);
  }

  // ---------------------------------------------------------------- edits, deletions, reactions, reads

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
    // The mentions read now no longer count (the server's `mentions` event follows).
    let read = 0;
    for (const m of st.messages()) if (m.seq <= target && this.frames.unreadMention(st, m)) read++;
    st.mentions = target >= st.lastSeq ? 0 : Math.max(0, st.mentions - read);
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

