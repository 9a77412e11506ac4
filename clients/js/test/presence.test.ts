// Presence: the online set and count of each room, large rooms that tell a count (`occupancy`)
// instead of per-user presence, the `online` pages, and the re-fetch when a room drops back to
// per-user presence. docs/protocol.md → "presence", "Presence in large rooms".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWebSocket, connected, flush } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());

const joined = (online: string[], extra: object = {}) => ({ type: 'joined', room: 'general', last_seq: 0, read_seq: 0, online, ...extra });
const presence = (user: string, status: 'online' | 'offline') => ({ type: 'presence', room: 'general', user, status });
const occupancy = (online_count: number, mode: 'count' | 'members') => ({ type: 'occupancy', room: 'general', online_count, presence: mode });
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

describe('online count and presence mode', () => {
  it('joined in members mode: the count is the online set + the user, and follows presence events', async () => {
    const { client, ws } = await connected();
    expect(client.room('general')).toMatchObject({ onlineCount: 0, presence: 'members' }); // not told yet
    ws.receive(joined(['bob', 'carol'], { online_count: 3, presence: 'members' }));
    expect(client.room('general')).toMatchObject({ online: ['bob', 'carol'], onlineCount: 3, presence: 'members' });
    ws.receive(presence('dave', 'online'));
    expect(client.room('general')).toMatchObject({ online: ['bob', 'carol', 'dave'], onlineCount: 4 });
    ws.receive(presence('bob', 'offline'));
    expect(client.room('general')).toMatchObject({ online: ['carol', 'dave'], onlineCount: 3 });
  });

  it('a joined from an older server (no online_count, no presence) counts the list', async () => {
    const { client, ws } = await connected();
    ws.receive(joined(['bob']));
    expect(client.room('general')).toMatchObject({ online: ['bob'], onlineCount: 2, presence: 'members' });
  });

  it('joined with count mode keeps the server\'s count and the first page as a sample', async () => {
    const { client, ws } = await connected();
    const first = names('u', 100);
    ws.receive(joined(first, { online_count: 4210, presence: 'count' }));
    let snap = client.room('general')!;
    expect(snap).toMatchObject({ onlineCount: 4210, presence: 'count' });
    expect(snap.online).toEqual(first);
    // A stray presence event around the crossing moves the sample, never the count.
    ws.receive(presence('zed', 'online'));
    ws.receive(presence('u000', 'offline'));
    snap = client.room('general')!;
    expect(snap.onlineCount).toBe(4210);
    expect(snap.online).toHaveLength(100);
    expect(ws.sentOf('online')).toEqual([]); // nothing is fetched in count mode
  });

  it('occupancy switches to count mode and updates the count; other rooms are left alone', async () => {
    const { client, ws } = await connected();
    ws.receive(joined(['bob', 'carol'], { online_count: 3, presence: 'members' }));
    let changes = 0;
    client.on('change', () => changes++);
    ws.receive(occupancy(101, 'count'));
    expect(client.room('general')).toMatchObject({ onlineCount: 101, presence: 'count' });
    ws.receive(occupancy(150, 'count'));
    ws.receive(occupancy(4210, 'count'));
    expect(client.room('general')!.onlineCount).toBe(4210);
    expect(changes).toBe(3);
    ws.receive({ type: 'occupancy', room: 'elsewhere', online_count: 7, presence: 'count' }); // not a member
    expect(client.rooms()).toEqual(['general']);
    expect(ws.sentOf('online')).toEqual([]);
  });
});

describe('back to members: the online list is fetched again', () => {
  it('pages through online until no next and replaces the set (without the user)', async () => {
    const { client, ws } = await connected();
    ws.receive(joined(names('u', 100), { online_count: 300, presence: 'count' }));
    ws.receive(occupancy(100, 'members'));
    // Until the list is in, the count is the server's and the set is the old sample.
    expect(client.room('general')).toMatchObject({ presence: 'members', onlineCount: 100 });
    const [p1] = ws.sentOf('online');
    expect(p1).toMatchObject({ type: 'online', room: 'general', limit: 1000 });
    expect(p1.after).toBeUndefined();
    const firstPage = ['alice', ...names('a', 49)];
    ws.receive({ type: 'online', room: 'general', users: firstPage, online_count: 100, next: 'a048', ref: p1.ref });
    await flush();
    const p2 = ws.sentOf('online')[1];
    expect(p2).toMatchObject({ type: 'online', room: 'general', after: 'a048', limit: 1000 });
    ws.receive({ type: 'online', room: 'general', users: names('b', 50), online_count: 100, ref: p2.ref });
    await flush();
    expect(ws.sentOf('online')).toHaveLength(2);
    const snap = client.room('general')!;
    expect(snap.online).toEqual([...names('a', 49), ...names('b', 50)]);
    expect(snap.onlineCount).toBe(100); // 99 others + alice
    expect(snap.presence).toBe('members');
    // Per-user presence again.
    ws.receive(presence('b000', 'offline'));
    expect(client.room('general')!.onlineCount).toBe(99);
  });

  it('presence changes heard while fetching are applied on top of the fetched pages', async () => {
    const { client, ws } = await connected();
    ws.receive(joined(['bob'], { online_count: 500, presence: 'count' }));
    ws.receive(occupancy(4, 'members'));
    const [p1] = ws.sentOf('online');
    ws.receive({ type: 'online', room: 'general', users: ['alice', 'bob', 'carol'], online_count: 4, next: 'carol', ref: p1.ref });
    await flush();
    // Between the pages: carol (already on page 1) leaves, erin arrives.
    ws.receive(presence('carol', 'offline'));
    ws.receive(presence('erin', 'online'));
    const p2 = ws.sentOf('online')[1];
    ws.receive({ type: 'online', room: 'general', users: ['dave'], online_count: 4, ref: p2.ref });
    await flush();
    expect(client.room('general')).toMatchObject({ online: ['bob', 'dave', 'erin'], onlineCount: 4, presence: 'members' });
  });

  it('a joined or another occupancy during the fetch wins over its late result', async () => {
    const { client, ws } = await connected();
    ws.receive(joined([], { online_count: 200, presence: 'count' }));
    ws.receive(occupancy(3, 'members'));
    const [p1] = ws.sentOf('online');
    ws.receive(joined(['carol'], { online_count: 2, presence: 'members' })); // e.g. a re-join
    ws.receive({ type: 'online', room: 'general', users: ['alice', 'bob', 'carol'], online_count: 3, ref: p1.ref });
    await flush();
    expect(client.room('general')).toMatchObject({ online: ['carol'], onlineCount: 2 });

    ws.receive(occupancy(150, 'count'));
    ws.receive(occupancy(90, 'members'));
    ws.receive(occupancy(120, 'count')); // over the limit again before the list came
    const p2 = ws.sentOf('online')[1];
    ws.receive({ type: 'online', room: 'general', users: ['bob'], online_count: 90, ref: p2.ref });
    await flush();
    expect(client.room('general')).toMatchObject({ presence: 'count', onlineCount: 120, online: ['carol'] });
  });

  it('a fetch cut off by a lost connection is given up; the re-join after welcome tells the list', async () => {
    const { client, ws } = await connected();
    ws.receive(joined([], { online_count: 200, presence: 'count' }));
    ws.receive(occupancy(3, 'members'));
    expect(ws.sentOf('online')).toHaveLength(1);
    ws.drop();
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    const ws2 = FakeWebSocket.last;
    ws2.welcome([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    expect(ws2.sentOf('join')).toEqual([{ type: 'join', room: 'general' }]);
    ws2.receive(joined(['bob', 'carol'], { online_count: 3, presence: 'members' }));
    expect(client.room('general')).toMatchObject({ online: ['bob', 'carol'], onlineCount: 3, presence: 'members' });
  });
});

describe('listOnline', () => {
  it('pages with after and limit and resolves users, onlineCount and next', async () => {
    const { client, ws } = await connected();
    ws.receive(joined(names('u', 100), { online_count: 4210, presence: 'count' }));
    const p1 = client.listOnline('general');
    const f1 = ws.sentOf('online')[0];
    expect(f1).toEqual({ type: 'online', room: 'general', ref: f1.ref });
    ws.receive({ type: 'online', room: 'general', users: ['alice', 'bob'], online_count: 4211, next: 'bob', ref: f1.ref });
    await expect(p1).resolves.toEqual({ users: ['alice', 'bob'], onlineCount: 4211, next: 'bob' });
    // The room's count is what joined and occupancy tell, not replies.
    expect(client.room('general')!.onlineCount).toBe(4210);

    const p2 = client.listOnline('general', { after: 'bob', limit: 2 });
    const f2 = ws.sentOf('online')[1];
    expect(f2).toEqual({ type: 'online', room: 'general', after: 'bob', limit: 2, ref: f2.ref });
    ws.receive({ type: 'online', room: 'general', users: ['carol'], online_count: 4211, ref: f2.ref });
    const last = await p2;
    expect(last).toEqual({ users: ['carol'], onlineCount: 4211 });
    expect('next' in last).toBe(false);
  });

  it('rejects for a room the user is not in, a bad name, and when offline', async () => {
    const { client, ws } = await connected();
    const p = client.listOnline('secret');
    ws.receive({ type: 'error', code: 'forbidden', message: 'not a member', ref: ws.sentOf('online')[0].ref });
    await expect(p).rejects.toMatchObject({ code: 'forbidden' });
    await expect(client.listOnline('Not A Room')).rejects.toMatchObject({ code: 'bad_room' });
    const pending = client.listOnline('general');
    ws.drop();
    await expect(pending).rejects.toMatchObject({ code: 'offline' });
    await expect(client.listOnline('general')).rejects.toMatchObject({ code: 'offline' });
  });

  it('a reply changes neither the online set nor the count', async () => {
    const { client, ws } = await connected();
    ws.receive(joined(['bob'], { online_count: 2, presence: 'members' }));
    const p = client.listOnline('general');
    ws.receive({ type: 'online', room: 'general', users: ['alice', 'bob', 'carol'], online_count: 3, ref: ws.sentOf('online')[0].ref });
    await p;
    expect(client.room('general')).toMatchObject({ online: ['bob'], onlineCount: 2 });
  });
});

describe('presence events are idempotent set updates', () => {
  it('online for someone online, offline for someone absent, and the user\'s own change nothing', async () => {
    const { client, ws } = await connected();
    ws.receive(joined(['bob'], { online_count: 2, presence: 'members' }));
    const before = client.version;
    ws.receive(presence('bob', 'online')); // the joined list of the same tick had it
    ws.receive(presence('carol', 'offline')); // never online
    ws.receive(presence('alice', 'offline')); // the user themself
    expect(client.version).toBe(before); // no change to show
    expect(client.room('general')).toMatchObject({ online: ['bob'], onlineCount: 2 });
    ws.receive(presence('carol', 'online'));
    ws.receive(presence('carol', 'online'));
    expect(client.room('general')).toMatchObject({ online: ['bob', 'carol'], onlineCount: 3 });
    ws.receive(presence('bob', 'offline'));
    ws.receive(presence('bob', 'offline'));
    expect(client.room('general')).toMatchObject({ online: ['carol'], onlineCount: 2 });
  });

  it('offline clears the user\'s typing even when they were not in the set', async () => {
    const { client, ws } = await connected();
    ws.receive(joined([], { online_count: 1, presence: 'members' }));
    ws.receive({ type: 'typing', room: 'general', user: 'bob', active: true });
    expect(client.room('general')!.typing).toEqual(['bob']);
    ws.receive(presence('bob', 'offline'));
    expect(client.room('general')!.typing).toEqual([]);
  });

  it('a kicked member leaves the online set and the count', async () => {
    const { client, ws } = await connected();
    ws.receive(joined(['bob', 'carol'], { online_count: 3, presence: 'members' }));
    ws.receive({ type: 'member', room: 'general', user: 'bob', action: 'kicked', by: 'carol' });
    expect(client.room('general')).toMatchObject({ online: ['carol'], onlineCount: 2 });
  });
});
