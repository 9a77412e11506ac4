// Mentions and notify levels, pins, and other members' read positions in a room's state.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../src/storage.js';
import { FakeWebSocket, answer, connected, flush, makeClient, msg } from './helpers.js';

const ROOM = 'general';
const live = (m: object) => ({ type: 'message', room: ROOM, ...m });
const naming = (seq: number, names: string[], user = 'bob', extra: object = {}) => ({ ...msg(seq, user), mentions: names, ...extra });

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());


describe('mentions', () => {
  it('start from welcome and count each new message naming the user or the room, once', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 3, read_seq: 1, mentions: 2, notify: 'all' }]);
    const mentions = () => client.room(ROOM)!.mentions;
    expect(client.room(ROOM)).toMatchObject({ mentions: 2, notify: 'all' });
    ws.receive(live(naming(4, ['alice', 'carol'])));
    ws.receive(live(naming(4, ['alice', 'carol']))); // again
    expect(mentions()).toBe(3);
    ws.receive(live(naming(5, ['carol'])));
    ws.receive(live({ ...msg(6, 'carol'), mention_room: true }));
    const { user: _u, ...notice } = msg(7, 'x', '@room maintenance', 'sys-7');
    ws.receive(live({ ...notice, system: true, mention_room: true }));
    expect(mentions()).toBe(5);
    ws.receive(live(naming(8, ['alice'], 'alice'))); // the user's own
    expect(mentions()).toBe(5);
    expect(client.room(ROOM)!.messages.map((m) => m.mentionsMe ?? false)).toEqual([true, false, true, true, false]);
  });

  it('not from a blocked author, and nothing while notify is none', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 0, read_seq: 0 }]);
    ws.welcome([{ room: ROOM, last_seq: 0, read_seq: 0, mentions: 0, notify: 'all' }], 'alice', { blocked: ['mallory'] });
    const w = FakeWebSocket.last;
    w.receive(live(naming(1, ['alice'], 'mallory')));
    expect(client.room(ROOM)!.mentions).toBe(0);
    w.receive({ type: 'notify', room: ROOM, level: 'none', mentions: 0 }); // from another device
    expect(client.room(ROOM)!.notify).toBe('none');
    w.receive(live(naming(2, ['alice'])));
    expect(client.room(ROOM)!.mentions).toBe(0);
    w.receive({ type: 'notify', room: ROOM, level: 'mentions', mentions: 1 });
    expect(client.room(ROOM)).toMatchObject({ notify: 'mentions', mentions: 1 });
    w.receive(live(naming(3, ['alice'])));
    expect(client.room(ROOM)!.mentions).toBe(2);
    void ws;
  });

  it('a sync page does not count again what the server counted; later ones count', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 2, read_seq: 0, mentions: 1 }]);
    ws.receive(live(naming(4, ['alice'])));
    expect(client.room(ROOM)!.mentions).toBe(1); // past a gap: counted when it joins the window
    const sync = ws.sentOf('sync')[0];
    ws.receive({ type: 'history', room: ROOM, has_more: false, ref: sync.ref, messages: [naming(1, ['alice']), msg(2), naming(3, ['alice']), naming(4, ['alice'])] });
    ws.receive(live(naming(4, ['alice'])));
    await flush();
    // 1 was in the welcome's count; 3 and 4 were not (stored after it) and count now, once.
    expect(client.room(ROOM)!.mentions).toBe(3);
  });

  it('the server\'s mentions event sets the count; a deletion and the user\'s own read take theirs back', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 0, read_seq: 0, mentions: 0 }]);
    for (let s = 1; s <= 4; s++) ws.receive(live(naming(s, ['alice'])));
    expect(client.room(ROOM)!.mentions).toBe(4);
    ws.receive({ type: 'deleted', room: ROOM, id: 'd5', seq: 5, ts: 5, user: 'bob', target: 2 });
    expect(client.room(ROOM)!.mentions).toBe(3);
    client.markRead(ROOM, 3);
    expect(client.room(ROOM)!.mentions).toBe(1);
    ws.receive({ type: 'mentions', room: ROOM, count: 1 });
    expect(client.room(ROOM)!.mentions).toBe(1);
    client.markRead(ROOM, 4);
    expect(client.room(ROOM)!.mentions).toBe(0);
    ws.receive({ type: 'mentions', room: ROOM, count: 0 });
    ws.receive(live(naming(6, ['alice'])));
    expect(client.room(ROOM)!.mentions).toBe(1);
  });

  it('joined carries the count and the level', async () => {
    const { client, ws } = await connected();
    ws.receive({ type: 'joined', room: 'lobby', last_seq: 9, read_seq: 2, online: [], mentions: 3, notify: 'mentions' });
    expect(client.room('lobby')).toMatchObject({ mentions: 3, notify: 'mentions' });
  });

  it('are kept in the cache: a restart shows the badge before the server answers', async () => {
    const storage = new MemoryStorage();
    const { client } = await connected({ storage }, [{ room: ROOM, last_seq: 4, read_seq: 1, mentions: 2, notify: 'mentions' }]);
    await vi.advanceTimersByTimeAsync(300);
    client.close();
    const again = makeClient({ storage });
    await again.start();
    expect(again.room(ROOM)).toMatchObject({ mentions: 2, notify: 'mentions' });
  });
});

describe('setNotify', () => {
  it('sends the level and resolves with the reply, which sets the count', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 2, read_seq: 0, mentions: 1 }]);
    const p = client.setNotify(ROOM, 'none');
    expect(ws.sentOf('notify')[0]).toMatchObject({ type: 'notify', room: ROOM, level: 'none' });
    answer(ws, 'notify', { type: 'notify', room: ROOM, level: 'none', mentions: 0 });
    await expect(p).resolves.toBe('none');
    expect(client.room(ROOM)).toMatchObject({ notify: 'none', mentions: 0 });
    await expect(client.setNotify(ROOM, 'loud' as never)).rejects.toMatchObject({ code: 'bad_request' });
    const q = client.setNotify('elsewhere', 'all');
    answer(ws, 'notify', { type: 'error', code: 'forbidden', message: 'not a member' });
    await expect(q).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('pins', () => {
  it('come with joined, newest first, follow pinned events and go with a deletion', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 0, read_seq: 0 }]);
    for (let s = 1; s <= 3; s++) ws.receive(live(msg(s)));
    ws.receive({ type: 'joined', room: ROOM, last_seq: 3, read_seq: 0, online: [], pins: [{ seq: 2, by: 'carol', ts: 200 }, { seq: 1, by: 'bob', ts: 100 }] });
    const pins = () => client.room(ROOM)!.pins.map((p) => [p.seq, p.by, p.message?.text]);
    expect(pins()).toEqual([
      [2, 'carol', 'm2'],
      [1, 'bob', 'm1'],
    ]);
    ws.receive({ type: 'pinned', room: ROOM, seq: 3, pinned: true, by: 'alice', ts: 300 });
    ws.receive({ type: 'pinned', room: ROOM, seq: 3, pinned: true, by: 'alice', ts: 300 });
    ws.receive({ type: 'pinned', room: ROOM, seq: 1, pinned: false, by: 'alice', ts: 310 });
    expect(pins()).toEqual([
      [3, 'alice', 'm3'],
      [2, 'carol', 'm2'],
    ]);
    ws.receive({ type: 'deleted', room: ROOM, id: 'd4', seq: 4, ts: 400, user: 'bob', target: 2 });
    expect(pins()).toEqual([[3, 'alice', 'm3']]);
    ws.receive({ type: 'pinned', room: ROOM, seq: 40, pinned: true, by: 'alice', ts: 500 });
    expect(client.room(ROOM)!.pins[0]).toEqual({ seq: 40, by: 'alice', ts: 500 }); // not held: no message
  });

  it('pin and unpin resolve on ok and reject on an error', async () => {
    const { client, ws } = await connected();
    const p = client.pin(ROOM, 3);
    expect(ws.sentOf('pin')[0]).toMatchObject({ type: 'pin', room: ROOM, seq: 3 });
    answer(ws, 'pin', { type: 'ok' });
    await expect(p).resolves.toBeUndefined();
    const q = client.unpin(ROOM, 3);
    expect(ws.sentOf('unpin')[0]).toMatchObject({ type: 'unpin', room: ROOM, seq: 3 });
    answer(ws, 'unpin', { type: 'error', code: 'forbidden', message: 'moderators pin' });
    await expect(q).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('read positions', () => {
  it('come with joined, follow read events, page with listReads, and tick the user\'s messages read', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 2, read_seq: 2 }]);
    ws.receive(live(msg(3, 'alice', 'mine', 'a-3')));
    ws.receive({
      type: 'joined',
      room: ROOM,
      last_seq: 3,
      read_seq: 3,
      online: [],
      reads: [{ user: 'alice', seq: 3 }, { user: 'bob', seq: 3 }, { user: 'carol', seq: 1 }],
      reads_next: 'carol',
    });
    expect(client.room(ROOM)).toMatchObject({ reads: { bob: 3, carol: 1 }, readsNext: 'carol' });
    expect(client.room(ROOM)!.messages[0]!.state).toBe('read');
    ws.receive({ type: 'read', room: ROOM, user: 'carol', seq: 3 });
    ws.receive({ type: 'read', room: ROOM, user: 'bob', seq: 2 }); // never backwards
    expect(client.room(ROOM)!.reads).toEqual({ bob: 3, carol: 3 });

    const p = client.listReads(ROOM, { after: 'carol', limit: 2 });
    expect(ws.sentOf('reads')[0]).toMatchObject({ type: 'reads', room: ROOM, after: 'carol', limit: 2 });
    answer(ws, 'reads', { type: 'reads', room: ROOM, reads: [{ user: 'dave', seq: 2 }, { user: 'erin', seq: 3 }], next: 'erin' });
    await expect(p).resolves.toEqual({ reads: [{ user: 'dave', seq: 2 }, { user: 'erin', seq: 3 }], next: 'erin' });
    const q = client.listReads(ROOM, { after: 'erin' });
    answer(ws, 'reads', { type: 'reads', room: ROOM, reads: [] });
    await expect(q).resolves.toEqual({ reads: [] });
    expect(Object.keys(client.room(ROOM)!.reads)).toEqual(['bob', 'carol', 'dave', 'erin']);
  });

  it('joined\'s positions tick the user\'s messages after a reload without any read event', async () => {
    const storage = new MemoryStorage();
    const first = makeClient({ storage, cacheSize: 0 });
    await first.start();
    first.close();
    const { client, ws } = await connected({ storage, cacheSize: 0 }, [{ room: ROOM, last_seq: 1, read_seq: 1 }]);
    ws.receive({ type: 'joined', room: ROOM, last_seq: 1, read_seq: 1, online: [], reads: [{ user: 'bob', seq: 1 }] });
    const p = client.loadEarlier(ROOM);
    answer(ws, 'history', { type: 'history', room: ROOM, has_more: false, messages: [msg(1, 'alice', 'hi', 'a-1')] });
    await p;
    expect(client.room(ROOM)!.messages[0]!.state).toBe('read');
  });
});

describe('roles', () => {
  it('other members\' roles as member events tell them', async () => {
    const { client, ws } = await connected();
    ws.receive({ type: 'member', room: ROOM, user: 'bob', action: 'role', role: 'moderator', by: 'alice' });
    ws.receive({ type: 'member', room: ROOM, user: 'carol', action: 'role', role: 'moderator', by: 'alice' });
    ws.receive({ type: 'member', room: ROOM, user: 'carol', action: 'role', role: 'member', by: 'alice' });
    expect(client.room(ROOM)!.roles).toEqual({ bob: 'moderator', carol: 'member' });
    ws.receive({ type: 'member', room: ROOM, user: 'bob', action: 'kicked', by: 'alice' });
    expect(client.room(ROOM)!.roles).toEqual({ carol: 'member' });
    ws.receive({ type: 'member', room: ROOM, user: 'alice', action: 'role', role: 'moderator', by: 'dave' });
    expect(client.room(ROOM)!.role).toBe('moderator');
  });
});
