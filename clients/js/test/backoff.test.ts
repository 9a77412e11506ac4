import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../src/backoff.js';
import { Connection, type NetworkMonitor } from '../src/connection.js';
import { FakeWebSocket } from './helpers.js';

describe('backoffDelay', () => {
  it('doubles from 1 s and caps at 30 s without jitter', () => {
    const seq = [0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n, () => 0));
    expect(seq).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it('adds at most 30% jitter', () => {
    for (let n = 0; n < 10; n++) {
      const base = Math.min(30000, 1000 * 2 ** n);
      expect(backoffDelay(n, () => 0.999999)).toBeLessThanOrEqual(base * 1.3);
      expect(backoffDelay(n, () => 0.999999)).toBeGreaterThan(base * 1.29);
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(n);
        expect(d).toBeGreaterThanOrEqual(base);
        expect(d).toBeLessThanOrEqual(base * 1.3);
      }
    }
  });

  it('jitter is spread, not constant', () => {
    const values = new Set(Array.from({ length: 50 }, () => backoffDelay(3)));
    expect(values.size).toBeGreaterThan(10);
  });
});

function makeConn(extra: Partial<ConstructorParameters<typeof Connection>[0]> = {}) {
  const conn = new Connection({ url: () => 'ws://x/ws?token=t', WebSocket: FakeWebSocket, random: () => 0, network: null, ...extra });
  const states: string[] = [];
  conn.on('state', (s) => states.push(s));
  return { conn, states };
}

describe('Connection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeWebSocket.reset();
  });
  afterEach(() => vi.useRealTimers());

  it('retries with the backoff sequence and resets it after a successful open', async () => {
    const { conn, states } = makeConn();
    const delays: number[] = [];
    conn.on('retry', (_n, d) => delays.push(d));
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(states).toEqual(['connecting']);

    for (let i = 0; i < 7; i++) {
      FakeWebSocket.last.drop(1006);
      const before = FakeWebSocket.instances.length;
      await vi.advanceTimersByTimeAsync(delays[delays.length - 1]! - 1);
      expect(FakeWebSocket.instances.length).toBe(before); // not yet
      await vi.advanceTimersByTimeAsync(1);
      expect(FakeWebSocket.instances.length).toBe(before + 1);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(states).toEqual(['connecting', 'reconnecting']);

    FakeWebSocket.last.welcome();
    expect(conn.state).toBe('open');
    FakeWebSocket.last.drop(1012); // server restart
    expect(conn.state).toBe('reconnecting');
    expect(delays[delays.length - 1]).toBe(1000); // reset after open
    await vi.advanceTimersByTimeAsync(1000);
    FakeWebSocket.last.welcome();
    expect(states).toEqual(['connecting', 'reconnecting', 'open', 'reconnecting', 'open']);
  });

  it('a socket that opens but never says welcome does not reset the backoff', async () => {
    const { conn } = makeConn();
    const delays: number[] = [];
    conn.on('retry', (_n, d) => delays.push(d));
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.open();
    FakeWebSocket.last.drop(1011);
    await vi.advanceTimersByTimeAsync(1000);
    FakeWebSocket.last.open();
    FakeWebSocket.last.drop(1011);
    expect(delays).toEqual([1000, 2000]);
  });

  it('jitter stays within 30% on real randomness', async () => {
    const { conn } = makeConn({ random: Math.random });
    const delays: number[] = [];
    conn.on('retry', (_n, d) => delays.push(d));
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 8; i++) {
      FakeWebSocket.last.drop();
      await vi.advanceTimersByTimeAsync(delays[i]!);
    }
    delays.forEach((d, n) => {
      const base = Math.min(30000, 1000 * 2 ** n);
      expect(d).toBeGreaterThanOrEqual(base);
      expect(d).toBeLessThanOrEqual(base * 1.3);
    });
  });

  it('does not reconnect after a deliberate close', async () => {
    const { conn, states } = makeConn();
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome();
    const ws = FakeWebSocket.last;
    conn.close();
    expect(ws.closedByClient?.code).toBe(1000);
    await vi.advanceTimersByTimeAsync(120000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(states[states.length - 1]).toBe('offline');
  });

  it('does not reconnect after close code 4001 and reports auth', async () => {
    const { conn } = makeConn();
    const auth = vi.fn();
    conn.on('auth', auth);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome();
    FakeWebSocket.last.drop(4001, 'token expired');
    await vi.advanceTimersByTimeAsync(120000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(conn.state).toBe('offline');
    expect(auth).toHaveBeenCalledOnce();
  });

  it('reconnects after 1013 (slow consumer)', async () => {
    const { conn } = makeConn();
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome();
    FakeWebSocket.last.drop(1013);
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('goes offline with the network and reconnects at once when it is back', async () => {
    let listener: (online: boolean) => void = () => {};
    let online = true;
    const network: NetworkMonitor = {
      isOnline: () => online,
      subscribe: (l) => {
        listener = l;
        return () => {};
      },
    };
    const { conn, states } = makeConn({ network });
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome();
    const ws = FakeWebSocket.last;
    online = false;
    listener(false);
    expect(ws.closedByClient).not.toBeNull(); // a zombie socket is not kept
    expect(conn.state).toBe('offline');
    await vi.advanceTimersByTimeAsync(60000);
    expect(FakeWebSocket.instances).toHaveLength(1); // no attempts while offline
    online = true;
    listener(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.welcome();
    expect(states).toEqual(['connecting', 'open', 'offline', 'reconnecting', 'open']);
  });

  it('abandons an attempt that never opens', async () => {
    const { conn } = makeConn();
    conn.start();
    await vi.advanceTimersByTimeAsync(15000);
    expect(FakeWebSocket.instances[0]!.closedByClient).not.toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });
});
