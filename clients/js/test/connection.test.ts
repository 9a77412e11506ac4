import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection } from '../src/connection.js';
import { FakeWebSocket } from './helpers.js';

/**
 * Behaves like Node's `ws` package: close() on a socket that is still connecting dispatches an
 * 'error' event on the next tick; without a handler, Node's EventEmitter would throw it. Like
 * `ws` and browsers, close() throws (and closes nothing) for a code other than 1000 or 3000–4999.
 */
class NodeLikeWebSocket extends FakeWebSocket {
  static unhandled = 0;
  override close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new TypeError(`invalid close code ${code}`);
    const connecting = this.readyState === 0;
    super.close(code, reason);
    if (connecting)
      queueMicrotask(() => {
        if (this.onerror) this.onerror({ message: 'WebSocket was closed before the connection was established' });
        else NodeLikeWebSocket.unhandled++;
      });
  }
}

function connection(connectTimeoutMs = 1000) {
  return new Connection({
    url: () => 'ws://chat.test/ws',
    WebSocket: NodeLikeWebSocket,
    network: null,
    random: () => 0,
    backoff: { baseMs: 100, maxMs: 100, jitter: 0 },
    connectTimeoutMs,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
  NodeLikeWebSocket.unhandled = 0;
});
afterEach(() => vi.useRealTimers());

describe('abandoning a socket that is still connecting (Node ws)', () => {
  it('the connect timeout leaves it an error handler and retries', async () => {
    const c = connection(1000);
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = FakeWebSocket.last;
    await vi.advanceTimersByTimeAsync(1000); // no upgrade answer: abandoned
    expect(first.closedByClient).not.toBeNull();
    expect(first.readyState).toBe(3);
    await vi.advanceTimersByTimeAsync(100); // backoff, then a new attempt
    expect(FakeWebSocket.instances.length).toBe(2);
    expect(NodeLikeWebSocket.unhandled).toBe(0);
    c.close();
  });

  it('the connect timeout closes a socket that opened but sent no welcome', async () => {
    const c = connection(1000);
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = FakeWebSocket.last;
    first.open(); // upgraded, but no welcome follows
    await vi.advanceTimersByTimeAsync(1000);
    expect(first.closedByClient).toEqual({ code: 1000, reason: 'connect timeout' });
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeWebSocket.instances.length).toBe(2);
    c.close();
  });

  it('close() and reconnectNow() while connecting leave it an error handler', async () => {
    const c = connection();
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    c.reconnectNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances.length).toBe(2);
    c.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances.every((ws) => ws.closedByClient !== null)).toBe(true);
    expect(NodeLikeWebSocket.unhandled).toBe(0);
  });
});

describe('close codes that end the connection for good', () => {
  it('4003 (account closed) stays offline and never reconnects; 1012 reconnects', async () => {
    const c = connection();
    const states: string[] = [];
    let accountClosed = 0;
    c.on('state', (s, reason) => states.push(reason ? `${s}:${reason}` : s));
    c.on('account', () => accountClosed++);
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.open();
    FakeWebSocket.last.welcome();
    FakeWebSocket.last.drop(1012, 'restart');
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeWebSocket.instances.length).toBe(2);
    FakeWebSocket.last.open();
    FakeWebSocket.last.welcome();
    FakeWebSocket.last.drop(4003, 'account closed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances.length).toBe(2);
    expect(accountClosed).toBe(1);
    expect(states.at(-1)).toBe('offline:account');
    c.close();
  });
});
