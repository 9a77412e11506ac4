import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection, type Transport } from '../src/connection.js';
import { SseSocket, streamEndpoint } from '../src/sse.js';
import { FakeWebSocket } from './helpers.js';

/** The fallback's sockets, told apart from the WebSocket ones. */
class FakeStream extends FakeWebSocket {}

function connection(opts: { fallbackAfter?: number; upgradeAfterMs?: number; transport?: Transport } = {}) {
  const c = new Connection({
    url: () => 'ws://chat.test/ws?token=t',
    WebSocket: FakeWebSocket,
    fallback: FakeStream,
    network: null,
    random: () => 0,
    backoff: { baseMs: 100, maxMs: 100, jitter: 0 },
    connectTimeoutMs: 1000,
    upgradeAfterMs: 5000,
    ...opts,
  });
  const moves: Transport[] = [];
  c.on('transport', (t) => moves.push(t));
  return { c, moves };
}

const isStream = (ws: FakeWebSocket) => ws instanceof FakeStream;

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());

describe('fallback transport', () => {
  it('moves to the event stream after two WebSocket attempts fail before welcome, and back when a probe opens', async () => {
    const { c, moves } = connection();
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.drop(1006); // the proxy refused the upgrade
    await vi.advanceTimersByTimeAsync(100);
    expect(isStream(FakeWebSocket.last)).toBe(false);
    FakeWebSocket.last.open(); // let through, then cut before the welcome
    FakeWebSocket.last.drop(1006);
    expect(moves).toEqual(['sse']);
    await vi.advanceTimersByTimeAsync(0); // the first attempt on the new transport goes at once
    const stream = FakeWebSocket.last;
    expect(isStream(stream)).toBe(true);
    expect(c.transport).toBe('sse');
    stream.welcome();
    expect(c.state).toBe('open');
    expect(c.send({ type: 'typing', room: 'r', active: true })).toBe(true);
    expect(stream.sentOf('typing')).toHaveLength(1);

    // A WebSocket is tried again after upgradeAfterMs, beside the open stream.
    const before = FakeWebSocket.instances.length;
    await vi.advanceTimersByTimeAsync(4999);
    expect(FakeWebSocket.instances.length).toBe(before);
    await vi.advanceTimersByTimeAsync(1);
    const probe = FakeWebSocket.last;
    expect(isStream(probe)).toBe(false);
    expect(stream.closedByClient).toBeNull();
    probe.open();
    // It got through: the probe and the stream go, and the connection is made over WebSockets.
    expect(probe.closedByClient?.reason).toBe('upgrade probe');
    expect(stream.closedByClient).not.toBeNull();
    expect(moves).toEqual(['sse', 'websocket']);
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeWebSocket.last;
    expect(isStream(ws)).toBe(false);
    ws.welcome();
    expect(c.state).toBe('open');
    expect(c.transport).toBe('websocket');
  });

  it('backs off its upgrade probes while WebSockets stay blocked', async () => {
    const { c, moves } = connection({ transport: 'sse' });
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(isStream(FakeWebSocket.last)).toBe(true);
    const stream = FakeWebSocket.last;
    stream.welcome();
    await vi.advanceTimersByTimeAsync(5000);
    FakeWebSocket.last.drop(1006); // probe 1 refused
    const count = FakeWebSocket.instances.length;
    await vi.advanceTimersByTimeAsync(9999);
    expect(FakeWebSocket.instances.length).toBe(count); // the next one waits twice as long
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances.length).toBe(count + 1);
    FakeWebSocket.last.drop(1006);
    expect(stream.closedByClient).toBeNull();
    expect(c.state).toBe('open');
    expect(moves).toEqual([]);
    c.close();
    await vi.advanceTimersByTimeAsync(100000);
    expect(FakeWebSocket.instances.length).toBe(count + 1); // no probe after close
  });

  it('goes back to WebSockets when the stream fails as often, and stays put on losses after a welcome', async () => {
    const { c, moves } = connection({ transport: 'sse' });
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome();
    FakeWebSocket.last.drop(1006); // lost after a welcome: an ordinary reconnect, same transport
    await vi.advanceTimersByTimeAsync(100);
    expect(isStream(FakeWebSocket.last)).toBe(true);
    FakeWebSocket.last.drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    FakeWebSocket.last.drop(1006);
    expect(moves).toEqual(['websocket']);
    await vi.advanceTimersByTimeAsync(0);
    expect(isStream(FakeWebSocket.last)).toBe(false);
  });

  it('without a fallback, keeps retrying WebSockets', async () => {
    const c = new Connection({
      url: () => 'ws://chat.test/ws',
      WebSocket: FakeWebSocket,
      network: null,
      random: () => 0,
      backoff: { baseMs: 100, maxMs: 100, jitter: 0 },
    });
    c.start();
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(100);
      FakeWebSocket.last.drop(1006);
    }
    expect(FakeWebSocket.instances.every((ws) => !isStream(ws))).toBe(true);
    expect(c.transport).toBe('websocket');
  });
});

describe('streamEndpoint', () => {
  it('maps the WebSocket URL to the stream and takes the token out of the query', () => {
    expect(streamEndpoint('wss://chat.example.com/ws?token=abc')).toEqual({
      stream: 'https://chat.example.com/api/stream',
      origin: 'https://chat.example.com',
      token: 'abc',
    });
    expect(streamEndpoint('ws://127.0.0.1:8080/chat/ws?token=t&x=1').stream).toBe('http://127.0.0.1:8080/chat/api/stream?x=1');
  });
});

/** A response whose body the test writes, as a server's event stream would arrive. */
function streamResponse(status = 200) {
  let push!: (text: string) => void;
  let end!: () => void;
  const body = new ReadableStream<Uint8Array>({
    start(ctl) {
      const enc = new TextEncoder();
      push = (t) => ctl.enqueue(enc.encode(t));
      end = () => ctl.close();
    },
  });
  return { res: { ok: status === 200, status, body }, push: (t: string) => push(t), end: () => end() };
}

describe('SseSocket', () => {
  beforeEach(() => vi.useRealTimers());

  it('opens on the session event, delivers data events as messages and posts commands in order', async () => {
    const s = streamResponse();
    const posts: { url: string; init: any; resolve: (status: number) => void }[] = [];
    const fetchFn = vi.fn((url: string, init?: any) => {
      if (!init?.method) return Promise.resolve(s.res);
      return new Promise((resolve) => posts.push({ url, init, resolve: (status) => resolve({ status }) }));
    });
    const sock = new SseSocket('ws://h:1/ws?token=t1', fetchFn);
    const got: string[] = [];
    const opened = new Promise<void>((r) => (sock.onopen = () => r()));
    sock.onmessage = (ev) => got.push(ev.data);
    expect(fetchFn.mock.calls[0]![0]).toBe('http://h:1/api/stream');
    expect(fetchFn.mock.calls[0]![1].headers.Authorization).toBe('Bearer t1');
    s.push('event: session\ndata: {"session":"n.1.k","post":"/api/stream/n.1.k"}\n\n: ping\n\ndata: {"type":"welcome"}\n\n');
    await opened;
    await vi.waitFor(() => expect(got).toEqual(['{"type":"welcome"}']));
    sock.send('{"type":"join","room":"a"}');
    sock.send('{"type":"join","room":"b"}'); // waits for the first POST
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe('http://h:1/api/stream/n.1.k');
    expect(posts[0]!.init.body).toBe('{"type":"join","room":"a"}\n');
    sock.send('{"type":"auth","token":"t2"}');
    posts[0]!.resolve(202);
    await vi.waitFor(() => expect(posts).toHaveLength(2));
    expect(posts[1]!.init.body).toBe('{"type":"join","room":"b"}\n{"type":"auth","token":"t2"}\n');
    expect(posts[1]!.init.headers.Authorization).toBe('Bearer t2');
    // A POST that is not taken ends the connection like a lost socket.
    const closed = new Promise<any>((r) => (sock.onclose = r));
    posts[1]!.resolve(404);
    expect((await closed).code).toBe(1006);
  });

  it('ends with the close event\'s code, and maps refusals to the WebSocket close codes', async () => {
    const s = streamResponse();
    const sock = new SseSocket('ws://h/ws?token=t', () => Promise.resolve(s.res));
    const closed = new Promise<any>((r) => (sock.onclose = r));
    s.push('event: session\ndata: {"session":"x","post":"/api/stream/x"}\n\nevent: close\ndata: {"code":4001,"reason":"token expired"}\n\n');
    s.end();
    expect(await closed).toMatchObject({ code: 4001, reason: 'token expired' });
    for (const [status, code] of [[401, 4001], [403, 4003], [503, 1006]] as const) {
      const r = streamResponse(status);
      const refused = new SseSocket('ws://h/ws?token=t', () => Promise.resolve(r.res));
      expect((await new Promise<any>((res) => (refused.onclose = res))).code).toBe(code);
    }
  });
});
