// Edits, deletions and reactions: sent through the outbox like messages, and received as
// events that take seqs in the room's stream like messages.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../src/storage.js';
import { FakeWebSocket, connected, flush, makeClient, msg } from './helpers.js';

const ROOM = 'general';
const live = (f: object) => ({ room: ROOM, ...f });
const edited = (seq: number, target: number, text: string, user = 'bob') => ({ id: `e${seq}`, seq, ts: 1700000000000 + seq, user, target, text });
const deleted = (seq: number, target: number, user = 'bob') => ({ id: `d${seq}`, seq, ts: 1700000000000 + seq, user, target });
const reaction = (seq: number, target: number, emoji: string, op: 'add' | 'remove' = 'add', user = 'bob') => ({
  id: `r${seq}`,
  seq,
  ts: 1700000000000 + seq,
  user,
  target,
  emoji,
  op,
});

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());

async function withMessages(n: number, author = 'bob') {
  const c = await connected();
  for (let i = 1; i <= n; i++) c.ws.receive({ type: 'message', ...live(msg(i, author)) });
  return c;
}

const shown = (client: Awaited<ReturnType<typeof connected>>['client']) => client.room(ROOM)!.messages;

describe('edits, deletions and reactions in the seq stream', () => {
  it('live events change the message and take seqs without a gap or a sync', async () => {
    const { client, ws } = await withMessages(2);
    const seen: unknown[] = [];
    client.on('message', (m) => seen.push(m));
    ws.receive({ type: 'edited', ...live(edited(3, 1, 'm1, better')) });
    ws.receive({ type: 'reaction', ...live(reaction(4, 1, '👍', 'add', 'carol')) });
    ws.receive({ type: 'reaction', ...live(reaction(5, 1, '👍', 'add', 'alice')) });
    ws.receive({ type: 'deleted', ...live(deleted(6, 2)) });
    ws.receive({ type: 'message', ...live(msg(7)) });
    expect(ws.sentOf('sync')).toHaveLength(0);
    expect(seen.map((m: any) => m.seq)).toEqual([7]); // events are not new messages
    const [m1, m2, m7] = shown(client);
    expect(m1).toMatchObject({ seq: 1, text: 'm1, better', editedTs: 1700000000003 });
    expect(m1!.reactions).toEqual([{ emoji: '👍', count: 2, users: ['carol', 'alice'], mine: true }]);
    expect(m2).toMatchObject({ seq: 2, text: '', deleted: true });
    expect(m7!.seq).toBe(7);
    expect(client.room(ROOM)!.lastSeq).toBe(7);
  });

  it('reactions are set operations: applying one twice changes nothing', async () => {
    const { client, ws } = await withMessages(1);
    const r = (seq: number, emoji: string, op: 'add' | 'remove', user = 'bob') =>
      ws.receive({ type: 'reaction', ...live(reaction(seq, 1, emoji, op, user)) });
    r(2, '🎉', 'add');
    r(3, '🎉', 'add'); // bob holds 🎉 already
    r(4, '❤️', 'add', 'carol');
    expect(shown(client)[0]!.reactions).toEqual([
      { emoji: '🎉', count: 1, users: ['bob'], mine: false },
      { emoji: '❤️', count: 1, users: ['carol'], mine: false },
    ]);
    r(5, '🎉', 'remove');
    r(6, '🎉', 'remove');
    r(7, '❤️', 'remove', 'bob'); // bob never held ❤️
    expect(shown(client)[0]!.reactions).toEqual([{ emoji: '❤️', count: 1, users: ['carol'], mine: false }]);
  });

  it('a deletion drops the reactions; later edits and reactions do not revive the message', async () => {
    const { client, ws } = await withMessages(1);
    ws.receive({ type: 'reaction', ...live(reaction(2, 1, '👍')) });
    ws.receive({ type: 'deleted', ...live(deleted(3, 1, 'carol')) });
    ws.receive({ type: 'edited', ...live(edited(4, 1, 'back?')) });
    ws.receive({ type: 'reaction', ...live(reaction(5, 1, '👍')) });
    expect(shown(client)[0]).toMatchObject({ text: '', deleted: true });
    expect(shown(client)[0]!.reactions).toBeUndefined();
  });

  it('events past a gap wait for the sync and are applied in seq order', async () => {
    const { client, ws } = await withMessages(1);
    ws.receive({ type: 'edited', ...live(edited(3, 1, 'second edit')) });
    const [sync] = ws.sentOf('sync');
    expect(sync).toMatchObject({ room: ROOM, after: 1 });
    expect(shown(client)[0]!.text).toBe('m1'); // not applied out of order
    ws.receive({
      type: 'history',
      room: ROOM,
      ref: sync.ref,
      has_more: false,
      messages: [
        { kind: 'edited', ...edited(2, 1, 'first edit') },
        { kind: 'edited', ...edited(3, 1, 'second edit') },
      ],
    });
    await flush();
    expect(shown(client)[0]).toMatchObject({ text: 'second edit', editedTs: 1700000000003 });
    expect(client.room(ROOM)!.messages).toHaveLength(1);
    ws.receive({ type: 'message', ...live(msg(4)) });
    expect(ws.sentOf('sync')).toHaveLength(1);
  });

  it('sync after a reconnect: messages in their current state, then their events with kind', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 0, read_seq: 0 }]);
    ws.drop();
    await vi.advanceTimersByTimeAsync(1000);
    const ws2 = FakeWebSocket.last;
    ws2.welcome([{ room: ROOM, last_seq: 6, read_seq: 0 }]);
    const [sync] = ws2.sentOf('sync');
    expect(sync).toMatchObject({ after: 0 });
    ws2.receive({
      type: 'history',
      room: ROOM,
      ref: sync.ref,
      has_more: false,
      messages: [
        { ...msg(1, 'alice', 'hello, world', 'm1'), edited_ts: 1700000000004, reactions: [{ emoji: '👍', count: 1, users: ['bob'] }] },
        { ...msg(2, 'bob', '', 'm2'), deleted: true },
        { kind: 'reaction', ...reaction(3, 1, '👍') },
        { kind: 'edited', ...edited(4, 1, 'hello, world', 'alice') },
        { kind: 'edited', ...edited(5, 2, '') }, // lost its text with the deletion
        { kind: 'deleted', ...deleted(6, 2, 'carol') },
      ],
    });
    await flush();
    const [m1, m2] = shown(client);
    expect(shown(client)).toHaveLength(2);
    expect(m1).toMatchObject({ seq: 1, text: 'hello, world', editedTs: 1700000000004, mine: true });
    expect(m1!.reactions).toEqual([{ emoji: '👍', count: 1, users: ['bob'], mine: false }]);
    expect(m2).toMatchObject({ seq: 2, text: '', deleted: true });
    expect(ws2.sentOf('sync')).toHaveLength(1); // top reached last_seq: no second sync
  });

  it('an older history page shows its messages as they are now (its events are not applied again)', async () => {
    const { client, ws } = await connected({ pageSize: 10 }, [{ room: ROOM, last_seq: 4, read_seq: 4 }]);
    ws.receive({ type: 'reaction', ...live(reaction(5, 1, '👍', 'remove')) });
    const p = client.loadEarlier(ROOM);
    ws.receive({
      type: 'history',
      room: ROOM,
      ref: ws.sentOf('history')[0].ref,
      has_more: false,
      messages: [
        { ...msg(1, 'bob', 'final text'), edited_ts: 1700000000004 },
        { kind: 'edited', ...edited(2, 1, 'older text') },
        { kind: 'reaction', ...reaction(3, 1, '👍') },
        { kind: 'edited', ...edited(4, 1, 'final text') },
      ],
    });
    await p;
    expect(shown(client)).toHaveLength(1);
    expect(shown(client)[0]).toMatchObject({ text: 'final text' });
    expect(shown(client)[0]!.reactions).toBeUndefined();
  });

  it('markRead moves past the events that follow the last message shown', async () => {
    const { client, ws } = await withMessages(2);
    ws.receive({ type: 'reaction', ...live(reaction(3, 2, '👍')) });
    ws.receive({ type: 'edited', ...live(edited(4, 1, 'x')) });
    expect(client.room(ROOM)!.unread).toBe(4);
    client.markRead(ROOM, 1);
    client.markRead(ROOM, 2);
    expect(ws.sentOf('read').map((f) => f.seq)).toEqual([1, 4]);
    expect(client.room(ROOM)!.unread).toBe(0);
  });

  it('edited messages, tombstones and reactions are cached with the room', async () => {
    const storage = new MemoryStorage();
    const { client, ws } = await connected({ storage });
    ws.receive({ type: 'message', ...live(msg(1)) });
    ws.receive({ type: 'message', ...live(msg(2)) });
    ws.receive({ type: 'deleted', ...live(deleted(3, 1)) });
    ws.receive({ type: 'reaction', ...live(reaction(4, 2, '👍')) });
    await vi.advanceTimersByTimeAsync(300);
    client.close();
    const again = makeClient({ storage });
    await again.start();
    const [m1, m2] = again.room(ROOM)!.messages;
    expect(m1).toMatchObject({ seq: 1, deleted: true, text: '' });
    expect(m2!.reactions).toEqual([{ emoji: '👍', count: 1, users: ['bob'], mine: false }]);
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome([{ room: ROOM, last_seq: 4, read_seq: 0 }]);
    expect(FakeWebSocket.last.sentOf('sync')).toHaveLength(0); // the cached window reaches seq 4
  });
});

describe('edit, deleteMessage and react go through the outbox', () => {
  it('persist, send with a client id, show at once, and settle on ack', async () => {
    const storage = new MemoryStorage();
    const { client, ws } = await connected({ storage });
    ws.receive({ type: 'message', ...live(msg(1, 'alice', 'typo', 'a1')) });
    ws.receive({ type: 'message', ...live(msg(2, 'bob')) });
    const a = await client.edit(ROOM, 1, 'fixed');
    await client.react(ROOM, 2, '👍');
    await client.deleteMessage(ROOM, 2);
    expect(a).toMatchObject({ kind: 'edit', room: ROOM, target: 1, text: 'fixed' });
    expect(JSON.parse((await storage.getItem('parley:v1:alice:outbox'))!)).toHaveLength(3);
    expect(client.queued).toBe(3);
    // Shown before any ack: the edit, the reaction, then the deletion that drops it.
    const [m1, m2] = shown(client);
    expect(m1).toMatchObject({ text: 'fixed', state: 'sent' });
    expect(m2).toMatchObject({ text: '', deleted: true });
    // One at a time, in the order made.
    expect(ws.sent.filter((f) => !['join'].includes(f.type))).toEqual([{ type: 'edit', room: ROOM, id: a.id, seq: 1, text: 'fixed', ref: a.id }]);
    ws.receive({ type: 'edited', ...live({ ...edited(3, 1, 'fixed', 'alice'), id: a.id }) });
    ws.receive({ type: 'ack', id: a.id, room: ROOM, seq: 3, ts: 3, ref: a.id });
    await flush();
    const react = ws.sentOf('react')[0];
    expect(react).toMatchObject({ type: 'react', room: ROOM, seq: 2, emoji: '👍', remove: false });
    expect(react.id).not.toBe(a.id);
    ws.receive({ type: 'ack', id: react.id, room: ROOM, seq: 4, ts: 4, ref: react.id });
    await flush();
    const del = ws.sentOf('delete')[0];
    expect(del).toMatchObject({ type: 'delete', room: ROOM, seq: 2 });
    ws.receive({ type: 'ack', id: del.id, room: ROOM, seq: 5, ts: 5, ref: del.id });
    await flush();
    expect(client.queued).toBe(0);
    expect(await storage.getItem('parley:v1:alice:outbox')).toBeNull();
  });

  it('wait behind an unacked message and are resent after a reconnect with the same id', async () => {
    const { client, ws } = await withMessages(1);
    await client.send(ROOM, 'first');
    await client.react(ROOM, 1, '🎉');
    await client.react(ROOM, 1, '🎉', true);
    expect(ws.sentOf('react')).toHaveLength(0);
    ws.drop();
    await vi.advanceTimersByTimeAsync(1000);
    const ws2 = FakeWebSocket.last;
    ws2.welcome([{ room: ROOM, last_seq: 1, read_seq: 0 }]);
    const m = ws2.sentOf('message')[0];
    ws2.receive({ type: 'ack', id: m.id, room: ROOM, seq: 2, ts: 2 });
    await flush();
    const [add] = ws2.sentOf('react');
    ws2.drop(); // the reaction's ack is lost
    await vi.advanceTimersByTimeAsync(2000);
    const ws3 = FakeWebSocket.last;
    ws3.welcome([{ room: ROOM, last_seq: 3, read_seq: 0 }]);
    const [again] = ws3.sentOf('react');
    expect(again).toEqual(add);
    ws3.receive({ type: 'ack', id: add.id, room: ROOM, seq: 3, ts: 3 }); // the original ack
    await flush();
    expect(ws3.sentOf('react')[1]).toMatchObject({ emoji: '🎉', remove: true });
  });

  it('the own event echo settles an action whose ack was missed', async () => {
    const { client, ws } = await withMessages(1, 'alice');
    const d = await client.deleteMessage(ROOM, 1);
    ws.receive({ type: 'deleted', ...live({ ...deleted(2, 1, 'alice'), id: d.id }) });
    await flush();
    expect(client.queued).toBe(0);
    expect(shown(client)[0]).toMatchObject({ deleted: true });
  });

  it('a refused action is dropped, reported, and the next entry goes; rate limits are retried', async () => {
    const { client, ws } = await withMessages(2);
    const failed = vi.fn();
    client.on('actionFailed', failed);
    const e = await client.edit(ROOM, 1, 'not mine');
    await client.react(ROOM, 2, '👍');
    ws.receive({ type: 'error', code: 'forbidden', message: 'not your message', ref: e.id });
    await flush();
    expect(failed).toHaveBeenCalledOnce();
    expect(failed.mock.calls[0]![0]).toMatchObject({ id: e.id, kind: 'edit' });
    expect(failed.mock.calls[0]![1]).toMatchObject({ code: 'forbidden' });
    expect(shown(client)[0]!.text).toBe('m1'); // the optimistic edit is gone
    const r = ws.sentOf('react')[0];
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow down', id: r.id, ref: r.id });
    await vi.advanceTimersByTimeAsync(1000);
    expect(ws.sentOf('react')).toHaveLength(2);
    expect(shown(client)[1]!.reactions).toEqual([{ emoji: '👍', count: 1, users: ['alice'], mine: true }]);
    expect(failed).toHaveBeenCalledOnce();
  });

  it('rejects what the server would refuse as malformed', async () => {
    const { client } = await withMessages(1);
    await expect(client.edit(ROOM, 1, '')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.react(ROOM, 1, '')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.react(ROOM, 1, '👍'.repeat(9))).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.deleteMessage(ROOM, 0)).rejects.toMatchObject({ code: 'bad_request' });
    expect(client.queued).toBe(0);
  });
});
