import { vi } from 'vitest';
import { ParleyClient, type ParleyClientOptions } from '../src/client.js';
import type { WebSocketLike } from '../src/connection.js';
import type { RoomInfo } from '../src/protocol.js';
import { MemoryStorage, type StorageAdapter } from '../src/storage.js';
import type { XhrLike } from '../src/uploads.js';

/** An in-memory WebSocket whose "server side" the test drives. */
export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  static reset(): void {
    FakeWebSocket.instances = [];
  }
  static get last(): FakeWebSocket {
    const ws = FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
    if (!ws) throw new Error('no socket was created');
    return ws;
  }

  readyState = 0;
  sent: any[] = [];
  closedByClient: { code?: number; reason?: string } | null = null;
  onopen: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: any }) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  // ---- server side
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  welcome(rooms: RoomInfo[] = [], user = 'alice', extra: object = {}): void {
    this.open();
    this.receive({ type: 'welcome', user, rooms, heartbeat_ms: 30000, ...extra });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  sentOf(type: string): any[] {
    return this.sent.filter((f) => f.type === type);
  }
}

/** An XMLHttpRequest whose server side the test drives. */
export class FakeXhr implements XhrLike {
  static all: FakeXhr[] = [];
  static reset(): void {
    FakeXhr.all = [];
  }
  static get last(): FakeXhr {
    return FakeXhr.all.at(-1)!;
  }
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  responseText = '';
  responseHeaders: Record<string, string> = {};
  aborted = false;
  upload = { onprogress: null as ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.all.push(this);
  }
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  send(body: unknown): void {
    this.body = body;
  }
  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }
  getResponseHeader(name: string): string | null {
    return this.responseHeaders[name] ?? null;
  }
  // ---- server side
  progress(loaded: number, total: number): void {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true });
  }
  answer(status: number, body: object | string, headers: Record<string, string> = {}): void {
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    this.responseHeaders = headers;
    this.onload?.();
  }
}

/** A JWT with the given claims (unsigned: the client never verifies). */
export function fakeToken(sub = 'alice', expInSeconds = 3600, now = Date.now()): string {
  const b64 = (o: object) => btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o)))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: Math.floor(now / 1000) + expInSeconds })}.sig`;
}

/** Memory storage that logs every call, to check ordering against sends. */
export class LoggingStorage extends MemoryStorage {
  log: string[] = [];
  override async setItem(key: string, value: string): Promise<void> {
    this.log.push(`set ${key}`);
    return super.setItem(key, value);
  }
}

/**
 * Storage whose writes commit (reach `committed`) only when the test calls the next of
 * `writes`, like an IndexedDB transaction still in flight; reads see what has committed.
 */
export function deferredStorage(): { committed: MemoryStorage; writes: (() => void)[]; storage: StorageAdapter } {
  const committed = new MemoryStorage();
  const writes: (() => void)[] = [];
  const storage: StorageAdapter = {
    getItem: (k) => committed.getItem(k),
    removeItem: (k) => committed.removeItem(k),
    setItem: (k, v) => new Promise<void>((res) => writes.push(() => void committed.setItem(k, v).then(res))),
  };
  return { committed, writes, storage };
}

/** Lets pending promise callbacks run (storage writes are promise based). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export function msg(seq: number, user = 'bob', text = `m${seq}`, id = `${user}-${seq}`) {
  return { id, seq, ts: 1700000000000 + seq, user, text };
}

export function makeClient(opts: Partial<ParleyClientOptions> = {}) {
  return new ParleyClient({
    url: 'ws://chat.test/ws',
    token: fakeToken('alice'),
    WebSocket: FakeWebSocket,
    network: null,
    random: () => 0,
    fallback: false,
    ...opts,
  });
}

/** A started client whose connection has delivered `welcome` with `rooms`. */
export async function connected(opts: Partial<ParleyClientOptions> = {}, rooms: RoomInfo[] = [{ room: 'general', last_seq: 0, read_seq: 0 }]) {
  const client = makeClient(opts);
  await client.start();
  await vi.advanceTimersByTimeAsync(0);
  FakeWebSocket.last.welcome(rooms);
  return { client, ws: FakeWebSocket.last };
}

/** Answers the client's last request of `type` with `frame` (its ref added). */
export function answer(ws: FakeWebSocket, type: string, frame: object): void {
  const req = ws.sentOf(type).at(-1);
  if (!req) throw new Error(`no ${type} request was sent`);
  ws.receive({ ...frame, ref: req.ref });
}

interface HttpAnswer {
  status: number;
  body?: object | string;
  headers?: Record<string, string>;
}

export interface HttpCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The JSON body as sent, parsed (undefined without one). */
  body: any;
}

/**
 * The server's HTTP API as a fetch: answers queued with `answer` go to the next calls in order;
 * a call with none queued waits until `respond` (or `fail`, no answer) — to see what happens
 * meanwhile, e.g. a close the request causes arriving before its answer.
 */
export class FakeHttp {
  readonly calls: HttpCall[] = [];
  private readonly queued: (HttpAnswer | null)[] = [];
  private readonly waiting: { resolve: (r: Response) => void; reject: (e: Error) => void }[] = [];

  readonly fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: any }): Promise<Response> => {
    this.calls.push({ url, method: init.method, headers: { ...init.headers }, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    return new Promise<Response>((resolve, reject) => {
      if (this.queued.length) {
        const a = this.queued.shift()!;
        if (a) resolve(toResponse(a));
        else reject(new TypeError('fetch failed'));
      } else this.waiting.push({ resolve, reject });
    });
  };

  /** The answer to the next call (null: no answer, a network error). */
  answer(status: number, body?: object | string, headers?: Record<string, string>): this {
    this.queued.push({ status, body, headers });
    return this;
  }

  failNext(): this {
    this.queued.push(null);
    return this;
  }

  /** Answers the oldest call still waiting. */
  respond(status: number, body?: object | string, headers?: Record<string, string>): void {
    const w = this.waiting.shift();
    if (!w) throw new Error('no call is waiting');
    w.resolve(toResponse({ status, body, headers }));
  }

  fail(): void {
    const w = this.waiting.shift();
    if (!w) throw new Error('no call is waiting');
    w.reject(new TypeError('fetch failed'));
  }

  get last(): HttpCall {
    const c = this.calls.at(-1);
    if (!c) throw new Error('no HTTP call was made');
    return c;
  }
}

function toResponse(a: HttpAnswer): Response {
  const body = a.body === undefined ? null : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  return new Response(body, { status: a.status, headers: a.headers });
}
