// Room kinds, direct rooms, roles and moderation, blocks and search.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../src/storage.js';
import { FakeWebSocket, connected, makeClient } from './helpers.js';

const DM = 'dm-0123456789abcdef0123456789abcdef';

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());

/** The last frame of `type` the client sent. */
const lastSent = (ws: FakeWebSocket, type: string) => ws.sentOf(type).at(-1);

describe('room kinds and roles', () => {
  it('welcome carries kind, role, the direct peer, mutes and the block list', async () => {
    const until = Date.now() + 60_000;
    const client = makeClient();
    await client.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome(
      [
        { room: DM, last_seq: 0, read_seq: 0, kind: 'direct', role: 'member', with: 'bob' },
        { room: 'general', last_seq: 0, read_seq: 0 },
        { room: 'team', last_seq: 0, read_seq: 0, kind: 'private', role: 'owner', muted_until: until },
      ],
      'alice',
      { blocked: ['mallory'] },
    );
    expect(client.room(DM)).toMatchObject({ kind: 'direct', role: 'member', with: 'bob' });
    expect(client.room('general')).toMatchObject({ kind: 'public', role: 'member' });
    expect(client.room('general')!.with).toBeUndefined();
    expect(client.room('team')).toMatchObject({ kind: 'private', role: 'owner', mutedUntil: until });
    expect(client.blocked).toEqual(['mallory']);
  });

  it('createRoom sends create and resolves on joined; conflict and bad names reject', async () => {
    const { client, ws } = await connected();
    const p = client.createRoom('team', 'private');
    const create = lastSent(ws, 'create');
    expect(create).toMatchObject({ type: 'create', room: 'team', kind: 'private' });
    ws.receive({ type: 'joined', room: 'team', last_seq: 0, read_seq: 0, kind: 'private', role: 'owner', online: [], ref: create.ref });
    await expect(p).resolves.toBeUndefined();
    expect(client.room('team')).toMatchObject({ kind: 'private', role: 'owner' });
    const q = client.createRoom('general');
    ws.receive({ type: 'error', code: 'conflict', message: 'room exists', ref: lastSent(ws, 'create').ref });
    await expect(q).rejects.toMatchObject({ code: 'conflict' });
    await expect(client.createRoom('dm-abc')).rejects.toMatchObject({ code: 'bad_room' });
    await expect(client.createRoom('No')).rejects.toMatchObject({ code: 'bad_room' });
  });

  it('dm resolves with the direct room, shown by the other user; the peer learns of it by joined', async () => {
    const { client, ws } = await connected();
    const p = client.dm('bob');
    const dm = lastSent(ws, 'dm');
    expect(dm).toMatchObject({ type: 'dm', to: 'bob' });
    ws.receive({ type: 'joined', room: DM, last_seq: 3, read_seq: 0, kind: 'direct', role: 'member', with: 'bob', online: ['bob'], ref: dm.ref });
    await expect(p).resolves.toBe(DM);
    expect(client.room(DM)).toMatchObject({ kind: 'direct', with: 'bob', online: ['bob'], unread: 3, hasMore: true });
    // Carol opens one with alice: alice's connection gets joined without a ref.
    ws.receive({ type: 'joined', room: 'dm-ffffffffffffffffffffffffffffffff', last_seq: 0, read_seq: 0, kind: 'direct', role: 'member', with: 'carol', online: [] });
    expect(client.rooms()).toContain('dm-ffffffffffffffffffffffffffffffff');
    const q = client.dm('mallory');
    ws.receive({ type: 'error', code: 'forbidden', message: 'blocked', ref: lastSent(ws, 'dm').ref });
    await expect(q).rejects.toMatchObject({ code: 'forbidden' });
    await expect(client.dm('alice')).rejects.toMatchObject({ code: 'bad_user' });
    await expect(client.dm('Not A Name')).rejects.toMatchObject({ code: 'bad_user' });
  });

  it('the room kind and direct peer are cached, so a reload shows the room by name at once', async () => {
    const storage = new MemoryStorage();
    const { client } = await connected({ storage }, [{ room: DM, last_seq: 0, read_seq: 0, kind: 'direct', role: 'member', with: 'bob' }]);
    await vi.advanceTimersByTimeAsync(300);
    client.close();
    const again = makeClient({ storage });
    await again.start();
    expect(again.room(DM)).toMatchObject({ kind: 'direct', with: 'bob' });
  });
});

describe('moderation', () => {
  it('invite, kick, ban, unban, mute and setRole send their command and resolve on ok', async () => {
    const { client, ws } = await connected({}, [{ room: 'team', last_seq: 0, read_seq: 0, kind: 'private', role: 'owner' }]);
    const calls: [Promise<void>, object][] = [
      [client.invite('team', 'bob'), { type: 'invite', room: 'team', user: 'bob' }],
      [client.kick('team', 'bob'), { type: 'kick', room: 'team', user: 'bob' }],
      [client.ban('team', 'bob'), { type: 'ban', room: 'team', user: 'bob' }],
      [client.unban('team', 'bob'), { type: 'unban', room: 'team', user: 'bob' }],
      [client.mute('team', 'bob', 600), { type: 'mute', room: 'team', user: 'bob', seconds: 600 }],
      [client.setRole('team', 'bob', 'moderator'), { type: 'role', room: 'team', user: 'bob', role: 'moderator' }],
    ];
    const sent = ws.sent.filter((f) => f.type !== 'join');
    expect(sent).toHaveLength(calls.length);
    calls.forEach(([, frame], i) => expect(sent[i]).toMatchObject(frame));
    for (const f of sent.slice(0, -1)) ws.receive({ type: 'ok', ref: f.ref });
    ws.receive({ type: 'error', code: 'forbidden', message: 'owner only', ref: sent.at(-1).ref });
    for (const [p] of calls.slice(0, -1)) await expect(p).resolves.toBeUndefined();
    await expect(calls.at(-1)![0]).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('member events are emitted; the user\'s own role and mute follow them', async () => {
    const { client, ws } = await connected({}, [{ room: 'team', last_seq: 0, read_seq: 0, kind: 'private', role: 'member' }]);
    ws.receive({ type: 'joined', room: 'team', last_seq: 0, read_seq: 0, kind: 'private', role: 'member', online: ['bob'] });
    const events: any[] = [];
    client.on('member', (e) => events.push(e));
    const until = Date.now() + 600_000;
    ws.receive({ type: 'member', room: 'team', user: 'alice', action: 'role', role: 'moderator', by: 'carol' });
    ws.receive({ type: 'member', room: 'team', user: 'alice', action: 'muted', until, system: true });
    expect(client.room('team')).toMatchObject({ role: 'moderator', mutedUntil: until });
    ws.receive({ type: 'member', room: 'team', user: 'alice', action: 'unmuted', by: 'carol' });
    expect(client.room('team')!.mutedUntil).toBeUndefined();
    ws.receive({ type: 'member', room: 'team', user: 'bob', action: 'kicked', by: 'alice' });
    expect(client.room('team')!.online).toEqual([]);
    expect(client.room('team')!.role).toBe('moderator');
    expect(events.map((e) => [e.user, e.action])).toEqual([
      ['alice', 'role'],
      ['alice', 'muted'],
      ['alice', 'unmuted'],
      ['bob', 'kicked'],
    ]);
  });

  it('left with a reason drops the room and says why', async () => {
    const { client, ws } = await connected({}, [{ room: 'general', last_seq: 0, read_seq: 0 }, { room: 'team', last_seq: 0, read_seq: 0 }]);
    const left = vi.fn();
    client.on('left', left);
    ws.receive({ type: 'left', room: 'team', reason: 'banned' });
    expect(client.rooms()).toEqual(['general']);
    expect(left).toHaveBeenCalledWith('team', 'banned');
    const p = client.leave('general');
    ws.receive({ type: 'left', room: 'general', ref: lastSent(ws, 'leave').ref });
    await p;
    expect(left).toHaveBeenLastCalledWith('general', undefined);
  });
});

describe('blocks and search', () => {
  it('block and unblock resolve with the block list; another device\'s change updates it too', async () => {
    const { client, ws } = await connected();
    const p = client.block('mallory');
    expect(lastSent(ws, 'block')).toMatchObject({ type: 'block', user: 'mallory' });
    ws.receive({ type: 'blocks', blocked: ['mallory'], ref: lastSent(ws, 'block').ref });
    await expect(p).resolves.toEqual(['mallory']);
    expect(client.blocked).toEqual(['mallory']);
    ws.receive({ type: 'blocks', blocked: ['mallory', 'trudy'] });
    expect(client.blocked).toEqual(['mallory', 'trudy']);
    const q = client.unblock('mallory');
    ws.receive({ type: 'blocks', blocked: ['trudy'], ref: lastSent(ws, 'unblock').ref });
    await expect(q).resolves.toEqual(['trudy']);
  });

  it('search resolves with the results, newest first as the server sends them', async () => {
    const { client, ws } = await connected();
    const p = client.search('deploy', { room: 'ops', limit: 5 });
    const s = lastSent(ws, 'search');
    expect(s).toMatchObject({ type: 'search', query: 'deploy', room: 'ops', limit: 5 });
    ws.receive({
      type: 'results',
      query: 'deploy',
      ref: s.ref,
      messages: [
        { room: 'ops', id: 'n1', seq: 13, ts: 2, system: true, text: 'deploy frozen' },
        { room: 'ops', id: 'b1', seq: 12, ts: 1, user: 'bob', text: 'deploy at 5' },
      ],
    });
    const results = await p;
    expect(results.map((r) => [r.seq, r.user])).toEqual([[13, ''], [12, 'bob']]);
    const q = client.search('x');
    expect(lastSent(ws, 'search')).toEqual({ type: 'search', query: 'x', ref: lastSent(ws, 'search').ref });
    ws.receive({ type: 'error', code: 'forbidden', message: 'not a member', ref: lastSent(ws, 'search').ref });
    await expect(q).rejects.toMatchObject({ code: 'forbidden' });
  });
});
