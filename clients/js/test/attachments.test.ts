import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../src/storage.js';
import { AttachmentError, httpBase, type HttpFetch } from '../src/uploads.js';
import { FakeWebSocket, FakeXhr, connected, fakeToken, flush, makeClient, msg } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
  FakeXhr.reset();
});
afterEach(() => vi.useRealTimers());

const ID = 'AbCdEfGhIjKlMnOpQrStUv';
const ID2 = 'zyxwvutsrqponmlkjihg_-';
const cat = { id: ID, name: 'cat.png', type: 'image/png', size: 5, width: 640, height: 480, thumb: true };

/** A fetch answering each call with the next of `answers`, recording the calls. */
function fakeFetch(...answers: { status: number; body: BodyInit | object; headers?: Record<string, string> }[]) {
  const calls: { url: string; init: Parameters<HttpFetch>[1] }[] = [];
  const f: HttpFetch = async (url, init) => {
    calls.push({ url, init });
    const a = answers.shift();
    if (!a) throw new TypeError('fetch failed');
    const body = a.body instanceof Blob || typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    return new Response(body, { status: a.status, headers: a.headers });
  };
  return { f, calls };
}

describe('upload', () => {
  it('posts the bytes to /api/uploads with the name and the token, reports progress, resolves the attachment', async () => {
    const token = fakeToken('alice');
    const client = makeClient({ token, XMLHttpRequest: FakeXhr });
    const seen: [number, number][] = [];
    const file = new Blob([new Uint8Array([137, 80, 78, 71, 13])], { type: 'image/png' });
    const p = client.upload(file, { name: 'my cat & me.png', onProgress: (e) => seen.push([e.loaded, e.total]) });
    const xhr = FakeXhr.last;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('http://chat.test/api/uploads?name=my%20cat%20%26%20me.png');
    expect(xhr.headers).toEqual({ Authorization: `Bearer ${token}` });
    expect(xhr.body).toBe(file);
    xhr.progress(2, 5);
    xhr.answer(201, cat);
    await expect(p).resolves.toEqual(cat);
    expect(seen).toEqual([
      [0, 5],
      [2, 5],
      [5, 5],
    ]);
  });

  it('takes a File\'s own name, and the base URL from httpUrl', async () => {
    const client = makeClient({ XMLHttpRequest: FakeXhr, httpUrl: 'https://files.example/chat/' });
    const p = client.upload(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
    expect(FakeXhr.last.url).toBe('https://files.example/chat/api/uploads?name=notes.txt');
    FakeXhr.last.answer(201, { id: ID, name: 'notes.txt', type: 'text/plain', size: 5 });
    expect(await p).toEqual({ id: ID, name: 'notes.txt', type: 'text/plain', size: 5 });
  });

  it('derives the HTTP base from the WebSocket URL', () => {
    expect(httpBase('ws://chat.test/ws')).toBe('http://chat.test');
    expect(httpBase('wss://chat.example.com/parley/ws?x=1')).toBe('https://chat.example.com/parley');
    expect(httpBase('wss://chat.example.com/')).toBe('https://chat.example.com');
  });

  it.each([
    [413, { error: 'files are at most 10485760 bytes', code: 'too_large' }, 'too_large'],
    [415, { error: 'files of type application/x-executable are not accepted', code: 'unsupported_type' }, 'unsupported_type'],
    [409, { error: 'upload quota used up', code: 'limit_exceeded' }, 'limit_exceeded'],
    [400, { error: 'the body is the file, and it is empty', code: 'bad_request' }, 'bad_request'],
    [413, '<html>too big</html>', 'too_large'],
  ])('rejects a %i with the server\'s code and status', async (status, body, code) => {
    const client = makeClient({ XMLHttpRequest: FakeXhr });
    const p = client.upload(new Uint8Array(3), { name: 'x' });
    FakeXhr.last.answer(status, body);
    const e = await p.catch((x) => x);
    expect(e).toBeInstanceOf(AttachmentError);
    expect(e).toMatchObject({ code, status });
    if (typeof body === 'object') expect(e.message).toBe(body.error);
  });

  it('tells when to try again after a 503, and a network failure or an abort by their own codes', async () => {
    const client = makeClient({ XMLHttpRequest: FakeXhr });
    const busy = client.upload(new ArrayBuffer(4), { name: 'a.bin' });
    FakeXhr.last.answer(503, { error: 'too many uploads at once', code: 'unavailable' }, { 'Retry-After': '2' });
    await expect(busy).rejects.toMatchObject({ code: 'unavailable', status: 503, retryAfterMs: 2000 });

    const lost = client.upload(new ArrayBuffer(4), { name: 'a.bin' });
    FakeXhr.last.onerror!();
    await expect(lost).rejects.toMatchObject({ code: 'network', status: 0 });

    const ctl = new AbortController();
    const stopped = client.upload(new ArrayBuffer(4), { name: 'a.bin', signal: ctl.signal });
    ctl.abort();
    await expect(stopped).rejects.toMatchObject({ code: 'aborted' });
    expect(FakeXhr.last.aborted).toBe(true);
    await expect(client.upload(new ArrayBuffer(4), { signal: ctl.signal })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('asks for a fresh token once after a 401 and uploads again with it', async () => {
    const fresh = fakeToken('alice', 7200);
    const refreshToken = vi.fn(async () => fresh);
    const client = makeClient({ XMLHttpRequest: FakeXhr, refreshToken });
    const p = client.upload(new Uint8Array(5), { name: 'cat.png' });
    FakeXhr.last.answer(401, { error: 'token expired', code: 'unauthorized' });
    await flush();
    expect(FakeXhr.all).toHaveLength(2);
    expect(FakeXhr.last.headers.Authorization).toBe(`Bearer ${fresh}`);
    FakeXhr.last.answer(201, cat);
    await expect(p).resolves.toEqual(cat);
    expect(refreshToken).toHaveBeenCalledTimes(1);
  });

  it('goes by fetch where there is no XMLHttpRequest (Node), progress at the start and the end', async () => {
    const { f, calls } = fakeFetch({ status: 201, body: cat });
    const client = makeClient({ XMLHttpRequest: null, fetch: f });
    const seen: number[] = [];
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    await expect(client.upload(bytes, { name: 'cat.png', onProgress: (e) => seen.push(e.loaded) })).resolves.toEqual(cat);
    expect(calls[0]!.url).toBe('http://chat.test/api/uploads?name=cat.png');
    expect(calls[0]!.init).toMatchObject({ method: 'POST', body: bytes, headers: { Authorization: expect.stringMatching(/^Bearer ey/) } });
    expect(seen).toEqual([0, 5]);
    const { f: down } = fakeFetch();
    await expect(makeClient({ XMLHttpRequest: null, fetch: down }).upload(bytes)).rejects.toMatchObject({ code: 'network' });
  });
});

describe('fetchAttachment', () => {
  it('fetches the file or its thumbnail with the Authorization header, as a Blob', async () => {
    const { f, calls } = fakeFetch(
      { status: 200, body: new Blob(['thumbnail'], { type: 'image/jpeg' }) },
      { status: 404, body: { error: 'no such upload', code: 'not_found' } },
    );
    const token = fakeToken('alice');
    const client = makeClient({ token, fetch: f });
    const blob = await client.fetchAttachment(ID, { thumb: true });
    expect(await blob.text()).toBe('thumbnail');
    expect(blob.type).toBe('image/jpeg');
    expect(calls[0]!.url).toBe(`http://chat.test/api/uploads/${ID}/thumb`);
    expect(calls[0]!.init.headers).toEqual({ Authorization: `Bearer ${token}` });
    await expect(client.fetchAttachment(ID2)).rejects.toMatchObject({ code: 'not_found', status: 404 });
    expect(calls[1]!.url).toBe(`http://chat.test/api/uploads/${ID2}`);
    await expect(client.fetchAttachment('../../api/login')).rejects.toMatchObject({ code: 'bad_request' });
    expect(client.attachmentUrl(ID, { thumb: true })).toBe(`http://chat.test/api/uploads/${ID}/thumb`);
  });
});

describe('messages with attachments', () => {
  it('sends the upload ids with the text; the pending message shows what the upload told', async () => {
    const { client, ws } = await connected({ XMLHttpRequest: FakeXhr });
    const up = client.upload(new Uint8Array(5), { name: 'cat.png' });
    FakeXhr.last.answer(201, cat);
    const a = await up;
    const m = await client.send('general', 'look', { attachments: [a.id] });
    expect(ws.sentOf('message')[0]).toEqual({ type: 'message', room: 'general', id: m.id, text: 'look', attachments: [ID] });
    expect(m.attachments).toEqual([cat]);
    expect(client.room('general')!.messages[0]).toMatchObject({ state: 'pending', attachments: [cat] });
    // Acked before the echo: still shown with its files.
    ws.receive({ type: 'ack', id: m.id, room: 'general', seq: 1, ts: 1700000000001 });
    expect(client.room('general')!.messages[0]).toMatchObject({ state: 'sent', seq: 1, attachments: [cat] });
    ws.receive({ type: 'message', room: 'general', ...msg(1, 'alice', 'look', m.id), attachments: [cat] });
    expect(client.room('general')!.messages).toHaveLength(1);
    expect(client.room('general')!.messages[0]).toMatchObject({ state: 'sent', attachments: [cat] });
  });

  it('may have no text; takes attachments as given; refuses more than 10, bad ids and repeats', async () => {
    const { client, ws } = await connected();
    const other = { id: ID2, name: 'report.pdf', type: 'application/pdf', size: 1234 };
    const m = await client.send('general', '', { attachments: [other, ID] });
    expect(ws.sentOf('message')[0]).toMatchObject({ text: '', attachments: [ID2, ID] });
    // An id the client knows nothing of shows with its id only.
    expect(m.attachments).toEqual([other, { id: ID, name: '', type: '', size: 0 }]);
    const eleven = Array.from({ length: 11 }, (_, i) => `${'a'.repeat(20)}${String(i).padStart(2, '0')}`);
    await expect(client.send('general', 'x', { attachments: eleven })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.send('general', 'x', { attachments: ['short'] })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.send('general', 'x', { attachments: [ID, ID] })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.send('general', '', { attachments: [] })).rejects.toMatchObject({ code: 'bad_request' });
    expect(ws.sentOf('message')).toHaveLength(1);
  });

  it('keeps the ids in the outbox across a reload: the resend carries them', async () => {
    const storage = new MemoryStorage();
    const first = makeClient({ storage });
    await first.start();
    await first.send('general', 'offline photo', { attachments: [cat] });
    first.close();

    const again = makeClient({ storage });
    await again.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(again.queued).toBe(1);
    const ws = FakeWebSocket.last;
    ws.welcome([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    const [frame] = ws.sentOf('message');
    expect(frame).toMatchObject({ text: 'offline photo', attachments: [ID] });
    expect(again.room('general')!.messages[0]).toMatchObject({ state: 'pending', attachments: [cat] });
    // Refused (someone else's upload, or sent already): failed, and a retry sends the same ids.
    ws.receive({ type: 'error', code: 'not_found', message: 'no such upload', id: frame.id });
    expect(again.room('general')!.messages[0]).toMatchObject({ state: 'failed', error: 'not_found', attachments: [cat] });
    await again.retryFailed(frame.id);
    expect(ws.sentOf('message')[1]).toEqual(frame);
  });

  it('history and thread pages carry them; a deleted message loses them', async () => {
    const { client, ws } = await connected({}, [{ room: 'general', last_seq: 3, read_seq: 3 }]);
    const note = { id: ID2, name: 'a.txt', type: 'text/plain', size: 3 };
    const reply = { ...msg(3), reply_to: 1, attachments: [note] };
    const p = client.loadEarlier('general');
    const req = ws.sentOf('history').at(-1);
    ws.receive({ type: 'history', room: 'general', has_more: false, ref: req.ref, messages: [{ ...msg(1), attachments: [cat] }, msg(2), reply] });
    await p;
    expect(client.room('general')!.messages.map((m) => m.attachments)).toEqual([[cat], undefined, [note]]);
    const t = client.thread('general', 1);
    ws.receive({ type: 'thread', room: 'general', seq: 1, has_more: false, ref: ws.sentOf('thread').at(-1).ref, messages: [reply] });
    expect((await t).replies[0]!.attachments).toEqual([note]);
    ws.receive({ type: 'deleted', room: 'general', id: 'd1', seq: 4, ts: 1700000000004, user: 'bob', target: 1 });
    expect(client.room('general')!.messages[0]).toMatchObject({ deleted: true, text: '' });
    expect(client.room('general')!.messages[0]!.attachments).toBeUndefined();
    // A tombstone in a page shows none either, even where the page lists them.
    const older = client.thread('general', 1, { before: 3 });
    ws.receive({ type: 'thread', room: 'general', seq: 1, has_more: false, ref: ws.sentOf('thread').at(-1).ref, messages: [{ ...reply, deleted: true, text: '' }] });
    expect((await older).replies[0]).toMatchObject({ deleted: true });
    expect((await older).replies[0]!.attachments).toBeUndefined();
  });
});
