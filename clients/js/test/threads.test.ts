// Threads and message data: replies are entries of the room's seq stream carrying reply_to;
// the first message counts them (once per seq); a thread pages on its own and its view stays live.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../src/storage.js';
import { FakeWebSocket, answer, connected, flush, makeClient, msg } from './helpers.js';

const ROOM = 'general';
const live = (m: object) => ({ type: 'message', room: ROOM, ...m });
const reply = (seq: number, to: number, user = 'bob', extra: object = {}) => ({ ...msg(seq, user), reply_to: to, ...extra });

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());

describe('message fields', () => {
  it('keeps reply_to, data, mentions, mention_room, reply_count and last_reply_ts on messages', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 2, read_seq: 2 }]);
    const p = client.loadEarlier(ROOM);
    answer(ws, 'history', {
      type: 'history',
      room: ROOM,
      has_more: false,
      messages: [
        { ...msg(1), reply_count: 1, last_reply_ts: 1700000000002, data: { card: { title: 'Standup' } } },
        { ...reply(2, 1, 'carol'), mentions: ['alice', 'dave'], mention_room: true },
      ],
    });
    await p;
    const [first, second] = client.room(ROOM)!.messages;
    expect(first).toMatchObject({ seq: 1, replyCount: 1, lastReplyTs: 1700000000002, data: { card: { title: 'Standup' } } });
    expect(first!.replyTo).toBeUndefined();
    expect(first!.mentionsMe).toBeUndefined();
    expect(second).toMatchObject({ seq: 2, replyTo: 1, mentions: ['alice', 'dave'], mentionRoom: true, mentionsMe: true });
    expect(second!.replyCount).toBeUndefined();
  });

  it('a message may be data alone; data must be a small JSON object', async () => {
    const { client, ws } = await connected();
    const m = await client.send(ROOM, '', { data: { lat: 52.5, lon: 13.4 } });
    expect(m).toMatchObject({ text: '', data: { lat: 52.5, lon: 13.4 }, state: 'pending' });
    expect(ws.sentOf('message')[0]).toMatchObject({ text: '', data: { lat: 52.5, lon: 13.4 } });
    expect(ws.sentOf('message')[0].reply_to).toBeUndefined();
    await expect(client.send(ROOM, '')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.send(ROOM, 'x', { data: [1] as never })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.send(ROOM, 'x', { data: { k: 'x'.repeat(9000) } })).rejects.toMatchObject({ code: 'too_large' });
    await expect(client.send(ROOM, 'x', { replyTo: 0 })).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('sending a reply', () => {
  it('goes through the outbox with reply_to and data, and survives a reload', async () => {
    const storage = new MemoryStorage();
    const first = makeClient({ storage });
    await first.start();
    await vi.advanceTimersByTimeAsync(0); // never opens
    const pending = await first.send(ROOM, 'yes', { replyTo: 4, data: { vote: 'yes' } });
    expect(pending).toMatchObject({ replyTo: 4, data: { vote: 'yes' }, state: 'pending' });
    first.close();

    const second = makeClient({ storage });
    await second.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeWebSocket.last;
    ws.welcome([{ room: ROOM, last_seq: 4, read_seq: 4 }]);
    expect(second.room(ROOM)!.messages).toMatchObject([{ text: 'yes', replyTo: 4, data: { vote: 'yes' }, state: 'pending' }]);
    const [frame] = ws.sentOf('message');
    expect(frame).toMatchObject({ room: ROOM, text: 'yes', reply_to: 4, data: { vote: 'yes' } });
    ws.receive({ type: 'ack', id: frame.id, room: ROOM, seq: 5, ts: 5 });
    await flush();
    // Acked, its echo still on the way: shown as sent, still a reply.
    expect(second.room(ROOM)!.messages.at(-1)).toMatchObject({ seq: 5, replyTo: 4, state: 'sent', data: { vote: 'yes' } });
  });

  it('a reply to a reply is filed under the first message, as the server does', async () => {
    const { client, ws } = await connected();
    ws.receive(live(msg(1)));
    ws.receive(live(reply(2, 1)));
    const m = await client.send(ROOM, 'nested', { replyTo: 2 });
    expect(m.replyTo).toBe(1);
    expect(ws.sentOf('message')[0].reply_to).toBe(1);
  });
});

describe('reply counts', () => {
  it('a live reply counts once on its first message, not again on a resend or a repeat', async () => {
    const { client, ws } = await connected();
    ws.receive(live(msg(1)));
    ws.receive(live(reply(2, 1, 'carol')));
    ws.receive(live(reply(2, 1, 'carol'))); // the same frame again
    ws.receive(live(reply(3, 1, 'carol', { id: 'carol-2' }))); // the same id again (a resend): stored once
    const root = () => client.room(ROOM)!.messages[0]!;
    expect(root()).toMatchObject({ replyCount: 1, lastReplyTs: 1700000000002 });
    ws.receive(live(reply(3, 1, 'dave')));
    expect(root()).toMatchObject({ replyCount: 2, lastReplyTs: 1700000000003 });
  });

  it('the user\'s own reply counts once, when its echo comes, whatever the order with its ack', async () => {
    const { client, ws } = await connected();
    ws.receive(live(msg(1)));
    await client.send(ROOM, 'mine', { replyTo: 1 });
    const f = ws.sentOf('message')[0];
    ws.receive({ type: 'ack', id: f.id, room: ROOM, seq: 2, ts: 1700000000002 });
    await flush();
    ws.receive(live({ ...reply(2, 1, 'alice'), id: f.id, text: 'mine' }));
    ws.receive(live({ ...reply(2, 1, 'alice'), id: f.id, text: 'mine' }));
    expect(client.room(ROOM)!.messages.map((m) => [m.seq, m.replyCount ?? 0])).toEqual([
      [1, 1],
      [2, 0],
    ]);
  });

  it('a sync page counts its replies in its first message already: no second count', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 0, read_seq: 0 }]);
    ws.receive(live(msg(1)));
    // Seqs 2–4 were missed: 3 and 4 reply to 2, whose page state counts them.
    ws.receive(live(reply(5, 2)));
    const sync = ws.sentOf('sync')[0];
    ws.receive({
      type: 'history',
      room: ROOM,
      has_more: false,
      ref: sync.ref,
      messages: [{ ...msg(2), reply_count: 3, last_reply_ts: 1700000000005 }, reply(3, 2), reply(4, 2), reply(5, 2)],
    });
    await flush();
    const root = () => client.room(ROOM)!.messages.find((m) => m.seq === 2)!;
    expect(root()).toMatchObject({ replyCount: 3, lastReplyTs: 1700000000005 });
    ws.receive(live(reply(6, 2)));
    expect(root()).toMatchObject({ replyCount: 4, lastReplyTs: 1700000000006 });
  });

  it('a page of older messages shows its messages\' counts as they are, without recounting held replies', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 1, read_seq: 1 }]);
    ws.receive(live(reply(2, 1)));
    const p = client.loadEarlier(ROOM);
    answer(ws, 'history', { type: 'history', room: ROOM, has_more: false, messages: [{ ...msg(1), reply_count: 1, last_reply_ts: 1700000000002 }] });
    await p;
    expect(client.room(ROOM)!.messages[0]).toMatchObject({ seq: 1, replyCount: 1 });
  });

  it('restored from the cache, counts stay as saved and only newer replies add', async () => {
    const storage = new MemoryStorage();
    const { client, ws } = await connected({ storage });
    ws.receive(live(msg(1)));
    ws.receive(live(reply(2, 1)));
    await vi.advanceTimersByTimeAsync(300);
    client.close();
    const again = makeClient({ storage });
    await again.start();
    expect(again.room(ROOM)!.messages[0]).toMatchObject({ replyCount: 1 });
    await vi.advanceTimersByTimeAsync(0);
    const ws2 = FakeWebSocket.last;
    ws2.welcome([{ room: ROOM, last_seq: 3, read_seq: 0 }]);
    const sync = ws2.sentOf('sync')[0];
    expect(sync).toMatchObject({ after: 2 });
    ws2.receive({ type: 'history', room: ROOM, has_more: false, ref: sync.ref, messages: [reply(2, 1), reply(3, 1)] });
    await flush();
    expect(again.room(ROOM)!.messages[0]).toMatchObject({ replyCount: 2, lastReplyTs: 1700000000003 });
  });
});

describe('thread views', () => {
  it('thread() asks for a page and returns it; openThread keeps the thread live', async () => {
    const { client, ws } = await connected({ pageSize: 2 }, [{ room: ROOM, last_seq: 9, read_seq: 9 }]);
    const page = client.thread(ROOM, 3, { before: 8, limit: 5 });
    expect(ws.sentOf('thread')[0]).toMatchObject({ type: 'thread', room: ROOM, seq: 3, before: 8, limit: 5 });
    answer(ws, 'thread', { type: 'thread', room: ROOM, seq: 3, messages: [reply(4, 3), reply(6, 3)], has_more: false });
    expect(await page).toMatchObject({ room: ROOM, seq: 3, hasMore: false, replies: [{ seq: 4, replyTo: 3 }, { seq: 6 }] });

    // Opening: the newest page, and the first message (the window does not hold it) by itself.
    const open = client.openThread(ROOM, 3);
    expect(client.openThread(ROOM, 3)).toBe(open); // one load at a time
    expect(client.threadView(ROOM, 3)!.loading).toBe(true);
    expect(ws.sentOf('thread')[1]).toMatchObject({ seq: 3, limit: 2 });
    expect(ws.sentOf('thread')[1].before).toBeUndefined();
    expect(ws.sentOf('history').at(-1)).toMatchObject({ room: ROOM, before: 4, limit: 1 });
    answer(ws, 'thread', { type: 'thread', room: ROOM, seq: 3, messages: [reply(8, 3), reply(9, 3)], has_more: true });
    answer(ws, 'history', { type: 'history', room: ROOM, has_more: true, messages: [{ ...msg(3), reply_count: 4, last_reply_ts: 1700000000009 }] });
    await expect(open).resolves.toBe(true);
    let view = client.threadView(ROOM, 3)!;
    expect(view).toMatchObject({ loaded: true, loading: false, hasMore: true, message: { seq: 3, replyCount: 4 } });
    expect(view.replies.map((m) => m.seq)).toEqual([4, 6, 8, 9]);
    expect(client.room(ROOM)!.messages).toEqual([]); // the room's window is not touched

    // Live: a reply joins the thread, the first message counts it; an edit on a reply shows.
    ws.receive(live(reply(10, 3, 'carol')));
    ws.receive(live(reply(10, 3, 'carol')));
    ws.receive(live(msg(11))); // not of this thread
    ws.receive({ type: 'edited', room: ROOM, id: 'e12', seq: 12, ts: 1700000000012, user: 'bob', target: 8, text: 'better' });
    view = client.threadView(ROOM, 3)!;
    expect(view.replies.map((m) => [m.seq, m.text])).toEqual([
      [4, 'm4'],
      [6, 'm6'],
      [8, 'better'],
      [9, 'm9'],
      [10, 'm10'],
    ]);
    expect(view.message).toMatchObject({ replyCount: 5, lastReplyTs: 1700000000010 });

    // Older replies.
    const older = client.loadEarlierReplies(ROOM, 3);
    expect(ws.sentOf('thread')[2]).toMatchObject({ seq: 3, before: 4 });
    answer(ws, 'thread', { type: 'thread', room: ROOM, seq: 3, messages: [reply(2, 3)], has_more: false });
    await expect(older).resolves.toBe(false);
    expect(client.threadView(ROOM, 3)!.replies.map((m) => m.seq)).toEqual([2, 4, 6, 8, 9, 10]);
    await expect(client.loadEarlierReplies(ROOM, 3)).resolves.toBe(false);
  });

  it('holds the room\'s replies from the start, shows the user\'s pending reply, and the acked one once', async () => {
    const { client, ws } = await connected();
    ws.receive(live(msg(1)));
    ws.receive(live(reply(2, 1)));
    void client.openThread(ROOM, 1);
    expect(ws.sentOf('history')).toHaveLength(0); // the first message is held
    expect(client.threadView(ROOM, 1)!.message).toMatchObject({ seq: 1, replyCount: 1 });
    expect(client.threadView(ROOM, 1)!.replies.map((m) => m.seq)).toEqual([2]);
    answer(ws, 'thread', { type: 'thread', room: ROOM, seq: 1, messages: [reply(2, 1)], has_more: false });
    await flush();
    await client.send(ROOM, 'on my way', { replyTo: 1 });
    await client.send(ROOM, 'elsewhere');
    expect(client.threadView(ROOM, 1)!.replies.map((m) => [m.text, m.state])).toEqual([
      ['m2', undefined],
      ['on my way', 'pending'],
    ]);
    const f = ws.sentOf('message')[0];
    ws.receive({ type: 'ack', id: f.id, room: ROOM, seq: 3, ts: 1700000000003 });
    await flush();
    expect(client.threadView(ROOM, 1)!.replies.map((m) => [m.seq, m.state])).toEqual([
      [2, undefined],
      [3, 'sent'],
    ]);
    ws.receive(live({ ...reply(3, 1, 'alice'), id: f.id, text: 'on my way' }));
    expect(client.threadView(ROOM, 1)!.replies.map((m) => [m.seq, m.state])).toEqual([
      [2, undefined],
      [3, 'sent'],
    ]);
    expect(client.threadView(ROOM, 1)!.message!.replyCount).toBe(2);
  });

  it('rejects for a room the user is not in; a restarted window fetches the thread again', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 1, read_seq: 1 }]);
    await expect(client.openThread('elsewhere', 1)).rejects.toMatchObject({ code: 'forbidden' });
    expect(client.threadView(ROOM, 1)).toBeUndefined();
    void client.openThread(ROOM, 1);
    answer(ws, 'thread', { type: 'thread', room: ROOM, seq: 1, messages: [], has_more: false });
    answer(ws, 'history', { type: 'history', room: ROOM, has_more: false, messages: [msg(1)] });
    await flush();
    expect(client.threadView(ROOM, 1)!.loaded).toBe(true);
    ws.drop();
    await vi.advanceTimersByTimeAsync(1000);
    FakeWebSocket.last.welcome([{ room: ROOM, last_seq: 5000, read_seq: 1 }]); // too far behind to sync
    expect(client.threadView(ROOM, 1)!.loaded).toBe(false);
    client.closeThread(ROOM, 1);
    expect(client.threadView(ROOM, 1)).toBeUndefined();
  });

  it('message() gives a held message, or fetches it by itself', async () => {
    const { client, ws } = await connected({}, [{ room: ROOM, last_seq: 7, read_seq: 7 }]);
    ws.receive(live(msg(8)));
    await expect(client.message(ROOM, 8)).resolves.toMatchObject({ seq: 8, text: 'm8' });
    const p = client.message(ROOM, 5);
    answer(ws, 'history', { type: 'history', room: ROOM, has_more: true, messages: [msg(5, 'carol', 'pinned text')] });
    await expect(p).resolves.toMatchObject({ seq: 5, user: 'carol', text: 'pinned text' });
    expect(client.room(ROOM)!.messages.map((m) => m.seq)).toEqual([8]);
    const q = client.message(ROOM, 6);
    answer(ws, 'history', { type: 'history', room: ROOM, has_more: true, messages: [msg(4)] });
    await expect(q).resolves.toBeUndefined();
  });
});
