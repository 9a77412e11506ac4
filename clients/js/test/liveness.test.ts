import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParleyClient, type ParleyClientOptions } from '../src/client.js';
import { FakeWebSocket, fakeToken, msg } from './helpers.js';

async function connected(opts: Partial<ParleyClientOptions> = {}, heartbeatMs = 30000) {
  const client = new ParleyClient({
    url: 'ws://chat.test/ws',
    token: fakeToken('alice'),
    WebSocket: FakeWebSocket,
    network: null,
    random: () => 0,
    ackTimeoutMs: 5000,
    refreshPresence: false,
    ...opts,
  });
  await client.start();
  await vi.advanceTimersByTimeAsync(0);
  const ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ type: 'welcome', user: 'alice', rooms: [{ room: 'general', last_seq: 0, read_seq: 0 }], heartbeat_ms: heartbeatMs });
  return { client, ws };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());

describe('idle probe (a silently dead connection)', () => {
  it('probes after twice the heartbeat without a frame and reconnects when nothing answers', async () => {
    const { client, ws } = await connected();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(ws.sentOf('auth')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.sentOf('auth')).toEqual([{ type: 'auth', token: expect.stringMatching(/^ey/) }]);
    await vi.advanceTimersByTimeAsync(4999);
    expect(ws.closedByClient).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.closedByClient).not.toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    client.close();
  });

  it('keeps a connection whose probe is answered, and frames postpone the probe', async () => {
    const { client, ws } = await connected();
    await vi.advanceTimersByTimeAsync(40_000);
    ws.receive({ type: 'message', room: 'general', ...msg(1) });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(ws.sentOf('auth')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.sentOf('auth')).toHaveLength(1);
    ws.receive({ type: 'authed', expires_at: Date.now() + 3_600_000 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ws.closedByClient).toBeNull();
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(50_000); // idle again: another probe
    expect(ws.sentOf('auth')).toHaveLength(2);
    client.close();
  });

  it('follows the server heartbeat, and probeIdleMs: 0 turns it off', async () => {
    const a = await connected({}, 2000);
    await vi.advanceTimersByTimeAsync(4000);
    expect(a.ws.sentOf('auth')).toHaveLength(1);
    a.client.close();
    FakeWebSocket.reset();
    const b = await connected({ probeIdleMs: 0 }, 2000);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(b.ws.sentOf('auth')).toHaveLength(0);
    expect(b.ws.closedByClient).toBeNull();
    b.client.close();
  });
});
