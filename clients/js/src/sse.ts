import { createParser } from 'eventsource-parser';
import type { WebSocketFactory, WebSocketLike } from './connection.js';
import { CloseCode } from './protocol.js';

/**
 * The HTTP fallback transport (docs/protocol.md → "Fallback transport") behind the shape of a
 * WebSocket, so that the connection logic is the same for both: the server's frames come down
 * `GET /api/stream` (Server-Sent Events, read with fetch so that the token goes in a header and
 * a refusal's status is seen), the client's frames go up in `POST /api/stream/{session}`, one
 * JSON command a line, one request in flight at a time so that they arrive in order.
 *
 * A refused stream closes with the code the WebSocket would have got: 401 → 4001 (the token),
 * 403 → 4003 (the account or the origin); anything else, a failed POST included, → 1006, and
 * the client reconnects and resends what was not acked (the outbox), as after a lost socket.
 */

export type FetchLike = (input: string, init?: any) => Promise<any>;

/** Where the stream of a WebSocket URL (`wss://host/ws?token=T`) is, and its token. */
export function streamEndpoint(wsUrl: string): { stream: string; origin: string; token: string } {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  const token = u.searchParams.get('token') ?? '';
  u.searchParams.delete('token');
  const base = u.pathname.replace(/\/ws\/?$/, '');
  return { stream: `${u.origin}${base}/api/stream${u.search}`, origin: `${u.origin}${base}`, token };
}

/** At most this many commands per POST (the server's limit). */
const MAX_BATCH = 100;

export class SseSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: any }) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string; wasClean?: boolean }) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;

  private readonly abort = new AbortController();
  private readonly origin: string;
  private token: string;
  private postUrl = '';
  private queue: string[] = [];
  private posting = false;
  private ended = false;
  private closeFrame: { code: number; reason: string } | null = null;

  constructor(
    url: string,
    private readonly fetchFn: FetchLike,
  ) {
    const ep = streamEndpoint(url);
    this.origin = ep.origin;
    this.token = ep.token;
    void this.read(ep.stream);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('the stream is not open');
    // A fresh token (reauth, or the idle probe) also signs the POSTs from now on.
    if (data.startsWith('{"type":"auth"')) {
      try {
        const t = JSON.parse(data).token;
        if (typeof t === 'string') this.token = t;
      } catch {
        /* sent as it is; the server answers the error */
      }
    }
    this.queue.push(data);
    if (!this.posting) void this.post();
  }

  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.ended) return;
    this.abort.abort();
    this.end(code, reason);
  }

  private async read(url: string): Promise<void> {
    let res: any;
    try {
      res = await this.fetchFn(url, {
        headers: { Accept: 'text/event-stream', Authorization: `Bearer ${this.token}` },
        cache: 'no-store',
        signal: this.abort.signal,
      });
    } catch {
      return this.end(1006, 'stream request failed');
    }
    if (this.ended) return;
    if (!res.ok || !res.body) {
      const code = res.status === 401 ? CloseCode.Auth : res.status === 403 ? CloseCode.AccountClosed : 1006;
      return this.end(code, `stream refused (${res.status})`);
    }
    const parser = createParser({
      onEvent: (ev) => {
        if (this.ended) return;
        if (ev.event === 'session') {
          try {
            this.postUrl = this.origin + JSON.parse(ev.data).post;
          } catch {
            return this.fail('bad session event');
          }
          this.readyState = 1;
          this.onopen?.({});
        } else if (ev.event === 'close') {
          try {
            const f = JSON.parse(ev.data);
            this.closeFrame = { code: Number(f.code) || 1006, reason: String(f.reason ?? '') };
          } catch {
            /* the end of the stream still tells */
          }
        } else if (this.readyState === 1) {
          this.onmessage?.({ data: ev.data });
        }
      },
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.ended) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      /* aborted or cut */
    }
    const closed = this.closeFrame;
    this.end(closed?.code ?? 1006, closed?.reason ?? 'stream ended');
  }

  private async post(): Promise<void> {
    this.posting = true;
    while (this.queue.length > 0 && !this.ended) {
      const batch = this.queue.splice(0, MAX_BATCH);
      let status = 0;
      try {
        const res = await this.fetchFn(this.postUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-ndjson', Authorization: `Bearer ${this.token}` },
          body: batch.join('\n') + '\n',
          signal: this.abort.signal,
        });
        status = res.status;
      } catch {
        status = 0;
      }
      // Not taken (the session ended, the node is unreachable): the connection is over, as a
      // WebSocket whose write failed.
      if (status !== 202) return this.fail(`post failed (${status || 'network'})`);
    }
    this.posting = false;
  }

  private fail(reason: string): void {
    this.abort.abort();
    this.end(1006, reason);
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.readyState = 3;
    this.queue = [];
    const onclose = this.onclose;
    // Asynchronous, as a WebSocket's close event is.
    queueMicrotask(() => onclose?.({ code, reason, wasClean: code !== 1006 }));
  }
}

/** A WebSocket-shaped factory of fallback connections over `fetch` (default: globalThis.fetch). */
export function sseSocketFactory(fetchFn?: FetchLike): WebSocketFactory | null {
  const f = fetchFn ?? ((globalThis as any).fetch as FetchLike | undefined);
  if (!f) return null;
  const bound: FetchLike = (input, init) => f(input, init);
  return class extends SseSocket {
    constructor(url: string) {
      super(url, bound);
    }
  };
}
