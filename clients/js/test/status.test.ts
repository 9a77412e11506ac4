// Presence status and members: statuses from welcome, joined and `status` events, setStatus,
// the idle detector (activity / awayAfterMs) and listMembers. docs/protocol.md → "Status", "Members".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWebSocket, answer, connected, flush, makeClient } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());

const room = { room: 'general', last_seq: 0, read_seq: 0 };
const joined = (extra: object = {}) => ({ type: 'joined', room: 'general', last_seq: 0, read_seq: 0, online: ['bob', 'carol'], ...extra });
const status = (user: string, state: string, text?: string) => ({ type: 'status', room: 'general', user, state, ...(text ? { text } : {}) });

describe('statuses', () => {
  it('come from welcome (own), joined (members) and status events; the default is online without text', async () => {
    const client = makeClient();
    await client.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome([room], 'alice', { status: { state: 'away', text: 'at lunch' } });
    const ws = FakeWebSocket.last;
    expect(client.status).toEqual({ state: 'away', text: 'at lunch' });
    expect(client.statusOf('bob')).toEqual({ state: 'online' });
    ws.receive(joined({ statuses: [{ user: 'bob', state: 'away' }, { user: 'carol', state: 'online', text: 'on call' }] }));
    expect(client.statusOf('bob')).toEqual({ state: 'away' });
    expect(client.statusOf('carol')).toEqual({ state: 'online', text: 'on call' });
    let changes = 0;
    client.on('change', () => changes++);
    ws.receive(status('bob', 'online'));
    expect(client.statusOf('bob')).toEqual({ state: 'online' });
    ws.receive(status('bob', 'online')); // the same again (another room): no change
    expect(changes).toBe(1);
    ws.receive(status('alice', 'online'));
    expect(client.status).toEqual({ state: 'online' });
  });

  it('setStatus sends the command and resolves on ok; bad texts are refused before sending', async () => {
    const { client, ws } = await connected();
    const p = client.setStatus('away', 'at lunch');
    expect(ws.sentOf('status').at(-1)).toMatchObject({ type: 'status', state: 'away', text: 'at lunch' });
    answer(ws, 'status', { type: 'ok' });
    await p;
    expect(client.status).toEqual({ state: 'away', text: 'at lunch' });
    await expect(client.setStatus('online', 'two\nlines')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.setStatus('online', 'x'.repeat(101))).rejects.toMatchObject({ code: 'too_large' });
    const clear = client.setStatus('online');
    expect(ws.sentOf('status').at(-1)).toEqual({ type: 'status', state: 'online', ref: expect.any(Number) });
    answer(ws, 'status', { type: 'ok' });
    await clear;
    expect(client.status).toEqual({ state: 'online' });
  });
});

describe('idle detector', () => {
  it('sends away after awayAfterMs without activity (keeping the text) and online on the next activity', async () => {
    const { client, ws } = await connected({ awayAfterMs: 60_000, probeIdleMs: 0 });
    ws.receive(status('alice', 'online', 'on call'));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(ws.sentOf('status')).toEqual([]); // no activity() yet: the detector is not running
    client.activity();
    await vi.advanceTimersByTimeAsync(59_000);
    client.activity();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(ws.sentOf('status')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ws.sentOf('status')).toEqual([{ type: 'status', state: 'away', text: 'on call', ref: expect.any(Number) }]);
    ws.receive(status('alice', 'away', 'on call'));
    client.activity();
    expect(ws.sentOf('status').at(-1)).toMatchObject({ state: 'online', text: 'on call' });
    client.activity();
    expect(ws.sentOf('status')).toHaveLength(2);
    client.close();
  });

  it('does not take back an away the user chose', async () => {
    const { client, ws } = await connected({ awayAfterMs: 60_000, probeIdleMs: 0 });
    client.activity();
    void client.setStatus('away', 'brb');
    answer(ws, 'status', { type: 'ok' });
    await flush();
    await vi.advanceTimersByTimeAsync(60_000);
    client.activity();
    expect(ws.sentOf('status')).toHaveLength(1);
    client.close();
  });

  it('on reconnect, a stored away is taken back while the app is in use', async () => {
    const { client, ws } = await connected({ awayAfterMs: 60_000, probeIdleMs: 0 });
    client.activity();
    ws.drop();
    await vi.advanceTimersByTimeAsync(5_000);
    const ws2 = FakeWebSocket.last;
    expect(ws2).not.toBe(ws);
    ws2.welcome([room], 'alice', { status: { state: 'away', text: 'at lunch' } });
    expect(ws2.sentOf('status')).toEqual([{ type: 'status', state: 'online', text: 'at lunch', ref: expect.any(Number) }]);
    client.close();
  });

  it('leaves a stored away alone when the app is idle, and 0 turns the detector off', async () => {
    const client = makeClient({ awayAfterMs: 0 });
    await client.start();
    await vi.advanceTimersByTimeAsync(0);
    client.activity();
    FakeWebSocket.last.welcome([room], 'alice', { status: { state: 'away' } });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(FakeWebSocket.last.sentOf('status')).toEqual([]);
    client.close();
  });
});

describe('listMembers', () => {
  it('pages members with roles and read positions; roles and reads join the room state', async () => {
    const { client, ws } = await connected();
    ws.receive(joined());
    const p = client.listMembers('general', { after: 'alice' });
    expect(ws.sentOf('members').at(-1)).toMatchObject({ type: 'members', room: 'general', after: 'alice' });
    answer(ws, 'members', {
      type: 'members',
      room: 'general',
      members: [
        { user: 'alice', role: 'owner', read_seq: 0 },
        { user: 'bob', role: 'moderator', read_seq: 4 },
      ],
      next: 'bob',
    });
    expect(await p).toEqual({
      members: [
        { user: 'alice', role: 'owner', readSeq: 0 },
        { user: 'bob', role: 'moderator', readSeq: 4 },
      ],
      next: 'bob',
    });
    expect(client.room('general')).toMatchObject({ roles: { bob: 'moderator' }, reads: { bob: 4 } });
    expect(client.room('general')!.roles.alice).toBeUndefined();
    await expect(client.listMembers('Bad Room')).rejects.toMatchObject({ code: 'bad_room' });
  });
});
