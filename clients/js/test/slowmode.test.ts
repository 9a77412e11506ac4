// Slow mode: the room's setting from welcome, joined and `slow_mode` events, the command that
// sets it, and the outbox's lanes — a message held back in one room (slow mode's rate_limited)
// is retried after the server's retry_after_ms while the other rooms' messages go on.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../src/storage.js';
import { FakeWebSocket, connected, flush, makeClient } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const ROOMS = [
  { room: 'general', last_seq: 0, read_seq: 0 },
  { room: 'team', last_seq: 0, read_seq: 0, role: 'owner' as const },
];

describe('slow mode state', () => {
  it('comes with welcome and joined (absent: off) and follows slow_mode events', async () => {
    const { client, ws } = await connected({}, [{ room: 'general', last_seq: 0, read_seq: 0, slow_mode_s: 30 }, ROOMS[1]!]);
    expect(client.room('general')!.slowModeS).toBe(30);
    expect(client.room('team')!.slowModeS).toBe(0);
    ws.receive({ type: 'joined', room: 'team', last_seq: 0, read_seq: 0, online: [], slow_mode_s: 10 });
    expect(client.room('team')!.slowModeS).toBe(10);
    const heard = vi.fn();
    client.on('slowMode', heard);
    ws.receive({ type: 'slow_mode', room: 'general', seconds: 0, by: 'carol' });
    expect(client.room('general')!.slowModeS).toBe(0);
    expect(heard).toHaveBeenCalledWith('general', 0, 'carol');
    ws.receive({ type: 'slow_mode', room: 'general', seconds: 120, by: 'carol' });
    expect(client.room('general')!.slowModeS).toBe(120);
    ws.receive({ type: 'slow_mode', room: 'elsewhere', seconds: 5, by: 'carol' }); // not a room of the user's
    expect(heard).toHaveBeenCalledTimes(2);
    ws.receive({ type: 'joined', room: 'general', last_seq: 0, read_seq: 0, online: [] });
    expect(client.room('general')!.slowModeS).toBe(0);
  });

  it('is cached with the room, so a reload shows it before the server answers', async () => {
    const storage = new MemoryStorage();
    const { client } = await connected({ storage }, [{ room: 'general', last_seq: 0, read_seq: 0, slow_mode_s: 45 }]);
    await vi.advanceTimersByTimeAsync(1000);
    client.close();
    const again = makeClient({ storage });
    await again.start();
    expect(again.room('general')!.slowModeS).toBe(45);
    again.close();
  });
});

describe('setSlowMode', () => {
  it('sends slow_mode with the request id as ref and id, resolving on ok', async () => {
    const { client, ws } = await connected({}, ROOMS);
    const p = client.setSlowMode('team', 60);
    const f = ws.sentOf('slow_mode')[0];
    expect(f).toEqual({ type: 'slow_mode', room: 'team', seconds: 60, ref: f.ref, id: f.ref });
    ws.receive({ type: 'ok', ref: f.ref });
    await expect(p).resolves.toBeUndefined();
    // A reply that names the request by id only settles it too.
    const q = client.setSlowMode('team', 0);
    ws.receive({ type: 'ok', id: ws.sentOf('slow_mode')[1].ref });
    await expect(q).resolves.toBeUndefined();
  });

  it('rejects with the server\'s error (by ref or by id), and what the server would refuse at once', async () => {
    const { client, ws } = await connected({}, ROOMS);
    const p = client.setSlowMode('general', 30);
    ws.receive({ type: 'error', code: 'forbidden', message: 'owners and moderators only', ref: ws.sentOf('slow_mode')[0].ref });
    await expect(p).rejects.toMatchObject({ code: 'forbidden' });
    const q = client.setSlowMode('team', 30);
    ws.receive({ type: 'error', code: 'invalid', message: 'no', id: ws.sentOf('slow_mode')[1].ref });
    await expect(q).rejects.toMatchObject({ code: 'invalid' });
    for (const s of [-1, 1.5, 21601, Number.NaN]) await expect(client.setSlowMode('team', s)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.setSlowMode('Bad Room', 5)).rejects.toMatchObject({ code: 'bad_room' });
    void client.setSlowMode('team', 21600).catch(() => {}); // the limit itself is sent
    expect(ws.sentOf('slow_mode').at(-1)).toMatchObject({ seconds: 21600 });
  });
});

describe('a message held back in one room', () => {
  it('is retried after retry_after_ms while the other rooms\' messages go on', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const { client, ws } = await connected({}, ROOMS);
    await client.send('general', 'g1');
    await client.send('general', 'g2');
    await client.send('team', 't1');
    const texts = () => ws.sentOf('message').map((m) => m.text);
    expect(texts()).toEqual(['g1', 't1']); // one in flight per room
    const g1 = ws.sentOf('message')[0];
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow mode', id: g1.id, retry_after_ms: 30_000 });
    await flush();
    expect(client.room('general')!.retry).toEqual({ code: 'rate_limited', at: Date.now() + 30_000 });
    expect(client.room('team')!.retry).toBeUndefined();
    // team goes on: its ack lets the next of team go, general still waits.
    const t1 = ws.sentOf('message')[1];
    ws.receive({ type: 'ack', id: t1.id, room: 'team', seq: 1, ts: 1 });
    await flush();
    await client.send('team', 't2');
    expect(texts()).toEqual(['g1', 't1', 't2']);
    ws.receive({ type: 'ack', id: ws.sentOf('message')[2].id, room: 'team', seq: 2, ts: 2 });
    await vi.advanceTimersByTimeAsync(29_999);
    expect(texts()).toEqual(['g1', 't1', 't2']);
    await vi.advanceTimersByTimeAsync(1);
    expect(texts()).toEqual(['g1', 't1', 't2', 'g1']); // the same message, the same id
    expect(ws.sentOf('message')[3].id).toBe(g1.id);
    expect(client.room('general')!.retry).toBeUndefined();
    ws.receive({ type: 'ack', id: g1.id, room: 'general', seq: 1, ts: 2 });
    await flush();
    expect(texts()).toEqual(['g1', 't1', 't2', 'g1', 'g2']); // then the room's next, in order
  });

  it('keeps its place in its room: a later message of the room never overtakes it', async () => {
    const { client, ws } = await connected({}, ROOMS);
    await client.send('general', 'first');
    const first = ws.sentOf('message')[0];
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow mode', id: first.id, retry_after_ms: 5000 });
    await client.send('general', 'second');
    await vi.advanceTimersByTimeAsync(4000);
    expect(ws.sentOf('message').map((m) => m.text)).toEqual(['first']);
    expect(client.room('general')!.messages.map((m) => [m.text, m.state])).toEqual([
      ['first', 'pending'],
      ['second', 'pending'],
    ]);
  });

  it('waits at most a second longer than a long slow mode asks, and goes at once after a reconnect', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { client, ws } = await connected({}, ROOMS);
    await client.send('general', 'later');
    const m = ws.sentOf('message')[0];
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow mode', id: m.id, retry_after_ms: 3_600_000 });
    const at = client.room('general')!.retry!.at;
    expect(at - Date.now()).toBeGreaterThanOrEqual(3_600_000);
    expect(at - Date.now()).toBeLessThanOrEqual(3_601_000);
    ws.drop(1006);
    expect(client.room('general')!.retry).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    FakeWebSocket.last.welcome(ROOMS);
    expect(FakeWebSocket.last.sentOf('message').map((f) => f.id)).toEqual([m.id]);
  });

  it('a stalled ack in one room replaces the connection; each room resends its own', async () => {
    const { client, ws } = await connected({ ackTimeoutMs: 5000 }, ROOMS);
    await client.send('general', 'g');
    await client.send('team', 't');
    ws.receive({ type: 'ack', id: ws.sentOf('message')[1].id, room: 'team', seq: 1, ts: 1 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(ws.closedByClient).not.toBeNull();
    await vi.advanceTimersByTimeAsync(10);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.welcome(ROOMS);
    expect(FakeWebSocket.last.sentOf('message').map((f) => f.text)).toEqual(['g']);
  });
});
