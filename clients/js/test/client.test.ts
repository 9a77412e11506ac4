import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage, type StorageAdapter } from '../src/storage.js';
import { FakeWebSocket, LoggingStorage, connected, deferredStorage, fakeToken, flush, makeClient, msg } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());

describe('connecting', () => {
  it('puts the token in the URL and takes the user from it', async () => {
    const { client, ws } = await connected();
    expect(ws.url).toMatch(/^ws:\/\/chat\.test\/ws\?token=ey/);
    expect(client.user).toBe('alice');
    expect(client.state).toBe('open');
  });

  it('re-joins rooms after welcome to learn presence', async () => {
    const { client, ws } = await connected();
    expect(ws.sentOf('join')).toEqual([{ type: 'join', room: 'general' }]);
    ws.receive({ type: 'joined', room: 'general', last_seq: 0, read_seq: 0, online: ['bob', 'carol'] });
    expect(client.room('general')!.online).toEqual(['bob', 'carol']);
    ws.receive({ type: 'presence', room: 'general', user: 'bob', status: 'offline' });
    ws.receive({ type: 'presence', room: 'general', user: 'dave', status: 'online' });
    expect(client.room('general')!.online).toEqual(['carol', 'dave']);
  });

  it('join resolves on joined and rejects on error', async () => {
    const { client, ws } = await connected();
    const p = client.join('random');
    const join = ws.sentOf('join').find((f) => f.room === 'random');
    ws.receive({ type: 'joined', room: 'random', last_seq: 5, read_seq: 2, online: [], ref: join.ref });
    await expect(p).resolves.toBeUndefined();
    expect(client.rooms()).toEqual(['general', 'random']);
    expect(client.room('random')!.unread).toBe(3);
    const q = client.join('other');
    const j2 = ws.sentOf('join').find((f) => f.room === 'other');
    ws.receive({ type: 'error', code: 'limit_exceeded', message: 'too many rooms', ref: j2.ref });
    await expect(q).rejects.toMatchObject({ code: 'limit_exceeded' });
    await expect(client.join('Bad Name')).rejects.toMatchObject({ code: 'bad_room' });
  });
});

describe('outbox', () => {
  it('persists a message before sending it', async () => {
    let release!: () => void;
    const base = new MemoryStorage();
    const order: string[] = [];
    const slow: StorageAdapter = {
      getItem: (k) => base.getItem(k),
      removeItem: (k) => base.removeItem(k),
      setItem: (k, v) =>
        new Promise<void>((res) => {
          release = () => {
            order.push('stored');
            void base.setItem(k, v).then(res);
          };
        }),
    };
    const { client, ws } = await connected({ storage: slow });
    const origSend = ws.send.bind(ws);
    ws.send = (d: string) => {
      if (JSON.parse(d).type === 'message') order.push('sent');
      origSend(d);
    };
    const p = client.send('general', 'hello');
    await flush();
    expect(ws.sentOf('message')).toHaveLength(0); // not before it is stored
    expect(client.room('general')!.messages).toEqual([]); // nor shown as queued
    expect(client.queued).toBe(0);
    release();
    await p;
    expect(order).toEqual(['stored', 'sent']);
    expect(client.room('general')!.messages.map((m) => m.state)).toEqual(['pending']);
    expect(client.queued).toBe(1);
    const [frame] = ws.sentOf('message');
    expect(frame).toMatchObject({ room: 'general', text: 'hello' });
    expect(frame.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('shows a message as queued only once storage holds it: a reload after that never loses it', async () => {
    const { committed, writes, storage: slow } = deferredStorage();
    const client = makeClient({ storage: slow });
    await client.start();
    await vi.advanceTimersByTimeAsync(0); // the server is unreachable: nothing opens
    // A reload the moment the UI first shows the message queued finds what storage held then.
    let atQueued: Map<string, string> | null = null;
    client.on('change', () => {
      if (client.queued > 0 && !atQueued) atQueued = new Map(committed.data);
    });
    const sent = client.send('general', 'do not lose me');
    await flush();
    expect(client.queued).toBe(0);
    expect(atQueued).toBeNull();
    while (writes.length) writes.shift()!();
    await sent;
    expect(client.queued).toBe(1);
    const reloaded = new MemoryStorage();
    for (const [k, v] of atQueued!) reloaded.data.set(k, v);
    const again = makeClient({ storage: reloaded });
    await again.start();
    expect(again.queued).toBe(1);
    client.close();
    again.close();
  });

  it('an entry added while another write is in flight is in the next write, and queued in order', async () => {
    const { committed, writes, storage: slow } = deferredStorage();
    const { client, ws } = await connected({ storage: slow });
    const a = client.send('general', 'a');
    const b = client.send('general', 'b');
    await flush();
    expect(client.queued).toBe(0);
    writes.shift()!(); // the write with 'a' only
    await a;
    expect(client.room('general')!.messages.map((m) => m.text)).toEqual(['a']);
    expect(ws.sentOf('message').map((m) => m.text)).toEqual(['a']);
    writes.shift()!();
    await b;
    expect(client.room('general')!.messages.map((m) => m.text)).toEqual(['a', 'b']);
    expect(JSON.parse((await committed.getItem('parley:v1:alice:outbox'))!).map((e: { text: string }) => e.text)).toEqual(['a', 'b']);
  });

  it('message state goes pending → sent → read, and the entry leaves the outbox on ack', async () => {
    const storage = new MemoryStorage();
    const { client, ws } = await connected({ storage });
    await client.send('general', 'hi');
    const id = ws.sentOf('message')[0].id;
    expect(JSON.parse((await storage.getItem('parley:v1:alice:outbox'))!)).toHaveLength(1);
    ws.receive({ type: 'ack', id, room: 'general', seq: 1, ts: 1 });
    await flush();
    expect(client.queued).toBe(0);
    expect(await storage.getItem('parley:v1:alice:outbox')).toBeNull();
    let [m] = client.room('general')!.messages;
    expect(m).toMatchObject({ id, seq: 1, state: 'sent', mine: true });
    ws.receive({ type: 'message', room: 'general', ...msg(1, 'alice', 'hi', id) });
    expect(client.room('general')!.messages).toHaveLength(1); // the echo is not a second copy
    ws.receive({ type: 'read', room: 'general', user: 'alice', seq: 1 }); // my own read: not "read"
    expect(client.room('general')!.messages[0]!.state).toBe('sent');
    ws.receive({ type: 'read', room: 'general', user: 'bob', seq: 1 });
    [m] = client.room('general')!.messages;
    expect(m!.state).toBe('read');
  });

  it('resends unacked messages in order after a reconnect, one at a time', async () => {
    const { client, ws } = await connected();
    ws.drop(1006);
    expect(client.state).toBe('reconnecting');
    await client.send('general', 'one');
    await client.send('general', 'two');
    await client.send('general', 'three');
    expect(client.room('general')!.messages.map((m) => [m.text, m.state])).toEqual([
      ['one', 'pending'],
      ['two', 'pending'],
      ['three', 'pending'],
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    const ws2 = FakeWebSocket.last;
    expect(ws2).not.toBe(ws);
    ws2.welcome([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    const texts = () => ws2.sentOf('message').map((f) => f.text);
    expect(texts()).toEqual(['one']); // stop-and-wait: order can't be overtaken by a retry
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const f = ws2.sentOf('message')[i - 1];
      ids.push(f.id);
      ws2.receive({ type: 'ack', id: f.id, room: 'general', seq: i, ts: i });
      await flush();
    }
    expect(texts()).toEqual(['one', 'two', 'three']);
    expect(new Set(ids).size).toBe(3);
    expect(client.queued).toBe(0);
  });

  it('resends with the same id when the ack was lost in a drop', async () => {
    const { client, ws } = await connected();
    await client.send('general', 'once');
    const id = ws.sentOf('message')[0].id;
    ws.drop(1006);
    await vi.advanceTimersByTimeAsync(1000);
    FakeWebSocket.last.welcome([{ room: 'general', last_seq: 1, read_seq: 0 }]);
    expect(FakeWebSocket.last.sentOf('message')[0].id).toBe(id);
    expect(client.queued).toBe(1);
  });

  it('survives a reload: a new client with the same storage sends what was left', async () => {
    const storage = new MemoryStorage();
    const first = makeClient({ storage });
    await first.start();
    await vi.advanceTimersByTimeAsync(0); // never opens
    await first.send('general', 'left behind');
    await first.send('general', 'me too');
    first.close();

    const second = makeClient({ storage });
    await second.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(second.queued).toBe(2);
    const ws = FakeWebSocket.last;
    ws.welcome([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    expect(second.room('general')!.messages.map((m) => m.state)).toEqual(['pending', 'pending']);
    const f = ws.sentOf('message')[0];
    expect(f.text).toBe('left behind');
    ws.receive({ type: 'ack', id: f.id, room: 'general', seq: 1, ts: 1 });
    await flush();
    expect(ws.sentOf('message').map((m) => m.text)).toEqual(['left behind', 'me too']);
  });

  it('backs off and retries a rate-limited message instead of dropping it', async () => {
    const { client, ws } = await connected();
    await client.send('general', 'a');
    await client.send('general', 'b');
    const a = ws.sentOf('message')[0];
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow down', id: a.id });
    await vi.advanceTimersByTimeAsync(999);
    expect(ws.sentOf('message')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.sentOf('message').map((m) => m.text)).toEqual(['a', 'a']); // 'b' waits behind 'a'
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow down', id: a.id });
    await vi.advanceTimersByTimeAsync(1999);
    expect(ws.sentOf('message')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.sentOf('message')[2].id).toBe(a.id);
    ws.receive({ type: 'ack', id: a.id, room: 'general', seq: 1, ts: 1 });
    await flush();
    expect(ws.sentOf('message').map((m) => m.text)).toEqual(['a', 'a', 'a', 'b']);
    expect(client.queued).toBe(1);
  });

  it('sends a message refused by a store that is behind again after its retry_after_ms', async () => {
    const { client, ws } = await connected();
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // the jitter: a tenth more
    await client.send('general', 'a');
    const a = ws.sentOf('message')[0];
    ws.receive({ type: 'error', code: 'unavailable', message: 'behind', id: a.id, retry_after_ms: 3000 });
    await vi.advanceTimersByTimeAsync(3299);
    expect(ws.sentOf('message')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.sentOf('message').map((m) => m.id)).toEqual([a.id, a.id]); // the same id: stored once
    // Without a hint, backoff from 1 s as before.
    ws.receive({ type: 'error', code: 'unavailable', message: 'store failed', id: a.id });
    await vi.advanceTimersByTimeAsync(1000);
    expect(ws.sentOf('message')).toHaveLength(3);
    ws.receive({ type: 'ack', id: a.id, room: 'general', seq: 1, ts: 1 });
    await flush();
    expect(client.queued).toBe(0);
    vi.restoreAllMocks();
  });

  it('marks a refused message failed and goes on with the next', async () => {
    const { client, ws } = await connected();
    const failed = vi.fn();
    client.on('failed', failed);
    await client.send('general', 'x'.repeat(10));
    await client.send('general', 'ok');
    const f = ws.sentOf('message')[0];
    ws.receive({ type: 'error', code: 'too_large', message: 'too long', id: f.id });
    await flush();
    expect(failed).toHaveBeenCalledOnce();
    expect(ws.sentOf('message').map((m) => m.text)).toEqual(['x'.repeat(10), 'ok']);
    expect(client.room('general')!.messages.map((m) => m.state)).toEqual(['pending', 'failed']);
  });

  it('drops the outbox entry when the message shows up stored (ack missed)', async () => {
    const { client, ws } = await connected();
    await client.send('general', 'hi');
    const id = ws.sentOf('message')[0].id;
    ws.receive({ type: 'message', room: 'general', ...msg(1, 'alice', 'hi', id) });
    await flush();
    expect(client.queued).toBe(0);
    expect(client.room('general')!.messages).toHaveLength(1);
  });

  it('reconnects when an ack never comes', async () => {
    const { client, ws } = await connected({ ackTimeoutMs: 5000 });
    await client.send('general', 'hi');
    await vi.advanceTimersByTimeAsync(5000);
    expect(ws.closedByClient).not.toBeNull();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    expect(FakeWebSocket.last.sentOf('message')).toHaveLength(1);
  });

  it('sends a message that was in flight at close() again after start()', async () => {
    const { client, ws } = await connected();
    await client.send('general', 'hi');
    expect(ws.sentOf('message')).toHaveLength(1);
    client.close();
    await client.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.welcome([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    expect(FakeWebSocket.last.sentOf('message')).toEqual([ws.sentOf('message')[0]]);
    expect(client.queued).toBe(1);
  });

  it('writes the outbox with LoggingStorage before any send', async () => {
    const storage = new LoggingStorage();
    const { client, ws } = await connected({ storage });
    await client.send('general', 'x');
    expect(storage.log).toEqual(['set parley:v1:alice:outbox']);
    expect(ws.sentOf('message')).toHaveLength(1);
  });
});

describe('inbound ordering, dedup and sync', () => {
  it('dedups by seq and by id', async () => {
    const { client, ws } = await connected();
    ws.receive({ type: 'message', room: 'general', ...msg(1) });
    ws.receive({ type: 'message', room: 'general', ...msg(1) });
    ws.receive({ type: 'message', room: 'general', ...msg(2) });
    ws.receive({ type: 'message', room: 'general', ...msg(2, 'bob', 'other', 'bob-2b') }); // same seq
    ws.receive({ type: 'message', room: 'general', ...msg(3, 'bob', 'dup', 'bob-1') }); // same id
    expect(client.room('general')!.messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('a gap triggers sync from the last contiguous seq and the reply fills it in order', async () => {
    const { client, ws } = await connected({}, [{ room: 'general', last_seq: 10, read_seq: 10 }]);
    ws.receive({ type: 'message', room: 'general', ...msg(11) });
    ws.receive({ type: 'message', room: 'general', ...msg(14) });
    ws.receive({ type: 'message', room: 'general', ...msg(15) });
    const syncs = ws.sentOf('sync');
    expect(syncs).toHaveLength(1); // one sync in flight, not one per message
    expect(syncs[0]).toMatchObject({ room: 'general', after: 11 });
    expect(client.room('general')!.messages.map((m) => m.seq)).toEqual([11, 14, 15]);
    ws.receive({ type: 'history', room: 'general', messages: [msg(12), msg(13), msg(14), msg(15)], has_more: false, ref: syncs[0].ref });
    await flush();
    expect(client.room('general')!.messages.map((m) => m.seq)).toEqual([11, 12, 13, 14, 15]);
    expect(ws.sentOf('sync')).toHaveLength(1);
    ws.receive({ type: 'message', room: 'general', ...msg(16) });
    expect(ws.sentOf('sync')).toHaveLength(1);
  });

  it('keeps syncing while has_more', async () => {
    const { client, ws } = await connected({}, [{ room: 'general', last_seq: 0, read_seq: 0 }]);
    ws.receive({ type: 'message', room: 'general', ...msg(1) });
    ws.receive({ type: 'message', room: 'general', ...msg(5) });
    const s1 = ws.sentOf('sync')[0];
    ws.receive({ type: 'history', room: 'general', messages: [msg(2), msg(3)], has_more: true, ref: s1.ref });
    await flush();
    const s2 = ws.sentOf('sync')[1];
    expect(s2).toMatchObject({ after: 3 });
    ws.receive({ type: 'history', room: 'general', messages: [msg(4), msg(5)], has_more: false, ref: s2.ref });
    await flush();
    expect(client.room('general')!.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('after a reconnect, syncs each room from its last contiguous seq', async () => {
    const { client, ws } = await connected({}, [
      { room: 'general', last_seq: 2, read_seq: 0 },
      { room: 'quiet', last_seq: 7, read_seq: 7 },
    ]);
    ws.receive({ type: 'message', room: 'general', ...msg(3) });
    ws.drop(1013); // slow consumer
    await vi.advanceTimersByTimeAsync(1000);
    const ws2 = FakeWebSocket.last;
    ws2.welcome([
      { room: 'general', last_seq: 6, read_seq: 0 },
      { room: 'quiet', last_seq: 7, read_seq: 7 },
    ]);
    const [s] = ws2.sentOf('sync');
    expect(ws2.sentOf('sync')).toHaveLength(1);
    expect(s).toMatchObject({ room: 'general', after: 3 });
    ws2.receive({ type: 'history', room: 'general', messages: [msg(3), msg(4), msg(5), msg(6)], has_more: false, ref: s.ref });
    await flush();
    expect(client.room('general')!.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(client.room('general')!.unread).toBe(6);
  });

  it('pages history backwards with load earlier', async () => {
    const { client, ws } = await connected({ pageSize: 2 }, [{ room: 'general', last_seq: 5, read_seq: 5 }]);
    expect(client.room('general')!.hasMore).toBe(true);
    const p1 = client.loadEarlier('general');
    expect(client.loadEarlier('general')).toBe(p1); // one page at a time
    const h1 = ws.sentOf('history')[0];
    expect(h1).toMatchObject({ room: 'general', before: 6, limit: 2 });
    ws.receive({ type: 'history', room: 'general', messages: [msg(4), msg(5)], has_more: true, ref: h1.ref });
    await expect(p1).resolves.toBe(true);
    const p2 = client.loadEarlier('general');
    const h2 = ws.sentOf('history')[1];
    expect(h2).toMatchObject({ before: 4 });
    ws.receive({ type: 'history', room: 'general', messages: [msg(2), msg(3)], has_more: true, ref: h2.ref });
    await p2;
    const p3 = client.loadEarlier('general');
    ws.receive({ type: 'history', room: 'general', messages: [msg(1)], has_more: false, ref: ws.sentOf('history')[2].ref });
    await expect(p3).resolves.toBe(false);
    expect(client.room('general')!.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(client.room('general')!.hasMore).toBe(false);
    await expect(client.loadEarlier('general')).resolves.toBe(false);
  });
});

describe('cache', () => {
  it('rooms and recent messages show after a restart before any connection, then sync forward', async () => {
    const storage = new MemoryStorage();
    const { client, ws } = await connected({ storage, cacheSize: 2 }, [{ room: 'general', last_seq: 0, read_seq: 0 }]);
    for (let i = 1; i <= 3; i++) ws.receive({ type: 'message', room: 'general', ...msg(i) });
    client.markRead('general', 3);
    await vi.advanceTimersByTimeAsync(300);
    client.close();

    const again = makeClient({ storage, cacheSize: 2 });
    await again.start(); // the server is unreachable: nothing opens
    expect(again.rooms()).toEqual(['general']);
    const snap = again.room('general')!;
    expect(snap.messages.map((m) => m.seq)).toEqual([2, 3]);
    expect(snap.hasMore).toBe(true);
    expect(snap.unread).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome([{ room: 'general', last_seq: 5, read_seq: 3 }]);
    expect(FakeWebSocket.last.sentOf('sync')[0]).toMatchObject({ room: 'general', after: 3 });
  });

  it('a room left elsewhere disappears on the next welcome', async () => {
    const storage = new MemoryStorage();
    const { client } = await connected({ storage }, [{ room: 'general', last_seq: 0, read_seq: 0 }, { room: 'old', last_seq: 0, read_seq: 0 }]);
    await vi.advanceTimersByTimeAsync(300);
    client.close();
    const again = makeClient({ storage });
    await again.start();
    expect(again.rooms()).toEqual(['general', 'old']);
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.welcome([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    expect(again.rooms()).toEqual(['general']);
  });
});

describe('read receipts and unread', () => {
  it('unread is last_seq − read_seq; markRead sends read once per position', async () => {
    const { client, ws } = await connected({}, [{ room: 'general', last_seq: 4, read_seq: 1 }]);
    expect(client.room('general')!.unread).toBe(3);
    ws.receive({ type: 'message', room: 'general', ...msg(5) });
    expect(client.room('general')!.unread).toBe(4);
    client.markRead('general', 5);
    client.markRead('general', 5);
    client.markRead('general', 3);
    expect(ws.sentOf('read')).toEqual([{ type: 'read', room: 'general', seq: 5 }]);
    expect(client.room('general')!.unread).toBe(0);
  });

  it('a read made offline is sent after reconnect', async () => {
    const { client, ws } = await connected({}, [{ room: 'general', last_seq: 4, read_seq: 1 }]);
    ws.drop();
    client.markRead('general', 4);
    await vi.advanceTimersByTimeAsync(1000);
    FakeWebSocket.last.welcome([{ room: 'general', last_seq: 4, read_seq: 1 }]);
    expect(FakeWebSocket.last.sentOf('read')).toEqual([{ type: 'read', room: 'general', seq: 4 }]);
    expect(client.room('general')!.unread).toBe(0);
  });

  it('other members\' read positions persist across a restart', async () => {
    const storage = new MemoryStorage();
    const { client, ws } = await connected({ storage, cacheSize: 0 });
    await client.send('general', 'hi');
    const id = ws.sentOf('message')[0].id;
    ws.receive({ type: 'ack', id, room: 'general', seq: 1, ts: 1 });
    ws.receive({ type: 'message', room: 'general', ...msg(1, 'alice', 'hi', id) });
    ws.receive({ type: 'read', room: 'general', user: 'bob', seq: 1 });
    await vi.advanceTimersByTimeAsync(300);
    client.close();
    const again = makeClient({ storage, cacheSize: 0 });
    await again.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws2 = FakeWebSocket.last;
    ws2.welcome([{ room: 'general', last_seq: 1, read_seq: 1 }]);
    const h = ws2.sentOf('history');
    expect(h).toHaveLength(0);
    const p = again.loadEarlier('general');
    ws2.receive({ type: 'history', room: 'general', messages: [msg(1, 'alice', 'hi', id)], has_more: false, ref: ws2.sentOf('history')[0].ref });
    await p;
    expect(again.room('general')!.messages[0]!.state).toBe('read');
  });
});

describe('typing', () => {
  it('sends active:true once, refreshes after 3 s, and active:false after 3 s idle', async () => {
    const { client, ws } = await connected();
    const typing = () => ws.sentOf('typing').map((f) => f.active);
    client.typing('general');
    await vi.advanceTimersByTimeAsync(1000);
    client.typing('general');
    await vi.advanceTimersByTimeAsync(1000);
    client.typing('general');
    expect(typing()).toEqual([true]); // repeats suppressed
    await vi.advanceTimersByTimeAsync(1000);
    client.typing('general'); // 3 s after the first: refresh
    expect(typing()).toEqual([true, true]);
    await vi.advanceTimersByTimeAsync(2999);
    expect(typing()).toEqual([true, true]);
    await vi.advanceTimersByTimeAsync(1);
    expect(typing()).toEqual([true, true, false]);
    client.typing('general');
    expect(typing()).toEqual([true, true, false, true]);
  });

  it('sends active:false on send', async () => {
    const { client, ws } = await connected();
    client.typing('general');
    await client.send('general', 'done');
    expect(ws.sent.filter((f) => f.type !== 'join').map((f) => f.type + (f.type === 'typing' ? f.active : ''))).toEqual([
      'typingtrue',
      'typingfalse',
      'message',
    ]);
    await vi.advanceTimersByTimeAsync(10000);
    expect(ws.sentOf('typing')).toHaveLength(2);
  });

  it('shows others typing at most 5 s without a refresh, and aggregates', async () => {
    const { client, ws } = await connected();
    const text = () => client.room('general')!.typingText;
    const t = (user: string, active = true) => ws.receive({ type: 'typing', room: 'general', user, active });
    t('bob');
    expect(text()).toBe('bob is typing…');
    await vi.advanceTimersByTimeAsync(3000);
    t('carol');
    expect(text()).toBe('bob and carol are typing…');
    t('bob'); // refresh
    t('dave');
    expect(text()).toBe('3 people are typing…');
    t('dave', false);
    expect(text()).toBe('bob and carol are typing…');
    await vi.advanceTimersByTimeAsync(4999);
    expect(client.room('general')!.typing).toEqual(['bob', 'carol']);
    await vi.advanceTimersByTimeAsync(1);
    expect(text()).toBe('');
    t('bob');
    ws.receive({ type: 'message', room: 'general', ...msg(1, 'bob') }); // sending clears it
    expect(text()).toBe('');
  });

  it('ignores its own typing echo and clears on disconnect', async () => {
    const { client, ws } = await connected();
    ws.receive({ type: 'typing', room: 'general', user: 'alice', active: true });
    expect(client.room('general')!.typing).toEqual([]);
    ws.receive({ type: 'typing', room: 'general', user: 'bob', active: true });
    ws.drop();
    expect(client.room('general')!.typing).toEqual([]);
  });
});

describe('tokens', () => {
  it('asks the refresh hook for a fresh token when the current one expires', async () => {
    const refreshToken = vi.fn(async () => fakeToken('alice', 3600));
    const client = makeClient({ token: fakeToken('alice', 30), refreshToken });
    await client.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(refreshToken).toHaveBeenCalledOnce();
    expect(FakeWebSocket.last.url).toContain(encodeURIComponent(await refreshToken.mock.results[0]!.value));
  });

  it('answers a reauth on the open connection with a fresh token', async () => {
    const fresh = fakeToken('alice', 7200);
    const refreshToken = vi.fn(async () => fresh);
    const { ws } = await connected({ refreshToken });
    ws.receive({ type: 'reauth', expires_at: Date.now() + 30_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(refreshToken).toHaveBeenCalledOnce();
    expect(ws.sentOf('auth')).toEqual([{ type: 'auth', token: fresh }]);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('on 4001 refreshes once and reconnects; without a token, emits auth and stops', async () => {
    const tokens = [fakeToken('alice', 7200), null];
    const refreshToken = vi.fn(async () => tokens.shift() ?? null);
    const { client, ws } = await connected({ refreshToken });
    const auth = vi.fn();
    client.on('auth', auth);
    ws.drop(4001);
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.drop(4001); // still rejected before any welcome
    await vi.advanceTimersByTimeAsync(60000);
    expect(auth).toHaveBeenCalledOnce();
    expect(client.state).toBe('offline');
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('an expired token without a hook ends in auth, not in a retry loop', async () => {
    const client = makeClient({ token: fakeToken('alice', -10) });
    const auth = vi.fn();
    client.on('auth', auth);
    await client.start();
    await vi.advanceTimersByTimeAsync(60000);
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(auth).toHaveBeenCalledOnce();
  });
});

describe('system messages', () => {
  it('come without a user: kept with user "" and system true, never mine, in order with the rest', async () => {
    const { client, ws } = await connected();
    ws.receive({ type: 'joined', room: 'general', last_seq: 0, read_seq: 0, online: [] });
    const seen: unknown[] = [];
    client.on('message', (m) => seen.push(m));
    ws.receive({ type: 'message', room: 'general', ...msg(1) });
    const { user: _omitted, ...notice } = msg(2, 'x', 'Maintenance tonight', 'notice-1');
    ws.receive({ type: 'message', room: 'general', ...notice, system: true });
    ws.receive({ type: 'message', room: 'general', ...msg(3) });
    const shown = client.room('general')!.messages;
    expect(shown.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(shown[1]).toMatchObject({ id: 'notice-1', user: '', system: true, mine: false, text: 'Maintenance tonight' });
    expect(shown[0]!.system).toBeUndefined();
    expect(seen).toHaveLength(3);
    expect(seen[1]).toMatchObject({ system: true, user: '' });
  });

  it('in a sync reply are kept the same way', async () => {
    const { client, ws } = await connected({}, [{ room: 'general', last_seq: 0, read_seq: 0 }]);
    ws.receive({ type: 'message', room: 'general', ...msg(1) });
    ws.receive({ type: 'message', room: 'general', ...msg(3) });
    const sync = ws.sentOf('sync')[0];
    const { user: _omitted, ...notice } = msg(2, 'x', 'Welcome', 'notice-2');
    ws.receive({ type: 'history', room: 'general', has_more: false, ref: sync.ref, messages: [{ ...notice, system: true }, msg(3)] });
    await flush();
    const shown = client.room('general')!.messages;
    expect(shown.map((m) => [m.seq, m.user, m.system ?? false])).toEqual([[1, 'bob', false], [2, '', true], [3, 'bob', false]]);
  });
});

describe('web push', () => {
  it('registerPush sends the subscription keys and resolves on ok; bad subscriptions are refused here', async () => {
    const { client, ws } = await connected();
    const subscription = {
      endpoint: 'https://push.example.net/p/abc',
      toJSON: () => ({ endpoint: 'https://push.example.net/p/abc', keys: { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) } }),
    };
    const p = client.registerPush(subscription);
    const sent = ws.sentOf('push_subscribe')[0];
    expect(sent).toMatchObject({ endpoint: 'https://push.example.net/p/abc', p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) });
    ws.receive({ type: 'ok', ref: sent.ref });
    await expect(p).resolves.toBeUndefined();
    await expect(client.registerPush({ endpoint: 'https://x' })).rejects.toMatchObject({ code: 'bad_request' });
    const q = client.unregisterPush('https://push.example.net/p/abc');
    const off = ws.sentOf('push_unsubscribe')[0];
    expect(off.endpoint).toBe('https://push.example.net/p/abc');
    ws.receive({ type: 'ok', ref: off.ref });
    await expect(q).resolves.toBeUndefined();
  });
});
