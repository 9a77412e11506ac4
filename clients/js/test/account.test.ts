// The account over HTTP: the requests themselves (http.ts), and what the client does around
// them — a password change that keeps it connected on the fresh token, a logout and an account
// deletion that end it and clear its storage, and the export followed through every page.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthError, changePassword, deleteAccount, exportAccount, exportAccountPage, login, logout, register } from '../src/http.js';
import { MemoryStorage } from '../src/storage.js';
import { FakeHttp, FakeWebSocket, connected, fakeToken, flush } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => vi.useRealTimers());

const BASE = 'http://chat.test';
const session = (token: string) => ({ token, user: 'alice', expires_in: 3600 });

function page(n: number, next: string | null, rooms = [{ room: 'general', last_seq: 9, read_seq: 9, role: 'owner' }]) {
  return {
    user: 'alice',
    rooms,
    messages: [{ room: 'general', seq: n, id: `m${n}`, ts: 1700000000000 + n, text: `text ${n}` }],
    next,
  };
}

describe('the account requests', () => {
  it('register and login post the credentials and answer the session', async () => {
    const http = new FakeHttp().answer(201, session('t1')).answer(200, session('t2'));
    expect(await register(`${BASE}/`, 'alice', 'password1', http.fetch)).toEqual(session('t1'));
    expect(http.last).toMatchObject({ url: `${BASE}/api/register`, method: 'POST', body: { user: 'alice', password: 'password1' } });
    expect(http.last.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(await login(BASE, 'alice', 'password1', http.fetch)).toEqual(session('t2'));
    expect(http.last.url).toBe(`${BASE}/api/login`);
  });

  it('a refusal is an AuthError with the server\'s status, message and wait; no answer is `network`', async () => {
    const http = new FakeHttp()
      .answer(401, { error: 'wrong user or password' })
      .answer(429, { error: 'too many failed logins', retry_after_ms: 4000 }, { 'Retry-After': '4' })
      .answer(503, { error: 'busy' }, { 'Retry-After': '1' })
      .failNext();
    const e = await login(BASE, 'alice', 'nope', http.fetch).catch((x) => x);
    expect(e).toBeInstanceOf(AuthError);
    expect(e).toMatchObject({ status: 401, code: 'unauthorized', message: 'wrong user or password' });
    await expect(login(BASE, 'alice', 'nope', http.fetch)).rejects.toMatchObject({ status: 429, code: 'rate_limited', retryAfterMs: 4000 });
    await expect(login(BASE, 'alice', 'nope', http.fetch)).rejects.toMatchObject({ status: 503, code: 'unavailable', retryAfterMs: 1000 });
    await expect(login(BASE, 'alice', 'nope', http.fetch)).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('changePassword posts both passwords with the bearer token; a short new one is refused before any request', async () => {
    const http = new FakeHttp().answer(200, session('fresh')).answer(403, { error: 'wrong password' });
    expect(await changePassword(BASE, 'old-token', 'current-pw', 'new-password', http.fetch)).toEqual(session('fresh'));
    expect(http.last).toEqual({
      url: `${BASE}/api/password`,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer old-token' },
      body: { password: 'current-pw', new_password: 'new-password' },
    });
    await expect(changePassword(BASE, 't', 'guess', 'new-password', http.fetch)).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    await expect(changePassword(BASE, 't', 'current-pw', 'short', http.fetch)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(changePassword(BASE, 't', 'current-pw', 'x'.repeat(1025), http.fetch)).rejects.toMatchObject({ code: 'bad_request' });
    expect(http.calls).toHaveLength(2);
  });

  it('logout posts the bearer token without a body; deleteAccount sends DELETE with the password', async () => {
    const http = new FakeHttp()
      .answer(200, { status: 'logged_out' })
      .answer(401, { error: 'token revoked' })
      .answer(200, { status: 'deleted', messages: 'erased' })
      .answer(403, { error: 'wrong password' });
    await logout(BASE, 'tok', http.fetch);
    expect(http.last).toEqual({ url: `${BASE}/api/logout`, method: 'POST', headers: { Authorization: 'Bearer tok' }, body: undefined });
    await expect(logout(BASE, 'tok', http.fetch)).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await deleteAccount(BASE, 'tok', 'my-password', http.fetch)).toBe('erased');
    expect(http.last).toMatchObject({ url: `${BASE}/api/account`, method: 'DELETE', body: { password: 'my-password' } });
    expect(http.last.headers.Authorization).toBe('Bearer tok');
    await expect(deleteAccount(BASE, 'tok', 'guess', http.fetch)).rejects.toMatchObject({ status: 403, code: 'forbidden', message: 'wrong password' });
  });

  it('exportAccountPage asks for a page after a cursor; exportAccount joins every page', async () => {
    const http = new FakeHttp().answer(200, page(1, 'c1')).answer(200, page(1, 'c1')).answer(200, page(2, 'c2')).answer(200, page(3, null));
    expect(await exportAccountPage(BASE, 'tok', { limit: 2 }, http.fetch)).toEqual(page(1, 'c1'));
    expect(http.last.url).toBe(`${BASE}/api/account/export?limit=2`);
    expect(http.last.headers).toEqual({ Authorization: 'Bearer tok' });
    const all = await exportAccount(BASE, 'tok', {}, http.fetch);
    expect(http.calls.slice(1).map((c) => c.url)).toEqual([
      `${BASE}/api/account/export?limit=500`,
      `${BASE}/api/account/export?after=c1&limit=500`,
      `${BASE}/api/account/export?after=c2&limit=500`,
    ]);
    expect(all.user).toBe('alice');
    expect(all.rooms).toEqual(page(1, null).rooms);
    expect(all.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    await expect(exportAccountPage(BASE, 'tok', { limit: 501 }, http.fetch)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(exportAccountPage(BASE, 'tok', { limit: 0 }, http.fetch)).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('client.changePassword', () => {
  it('keeps the client connected on the fresh token when the 4001 comes before the answer', async () => {
    const http = new FakeHttp();
    const refreshToken = vi.fn(() => null);
    const { client, ws } = await connected({ fetch: http.fetch, refreshToken });
    const auth = vi.fn();
    client.on('auth', auth);
    const old = http.calls.length;
    const fresh = fakeToken('alice', 7200);
    const p = client.changePassword('current-pw', 'new-password');
    expect(http.calls).toHaveLength(old + 1);
    expect(http.last.headers.Authorization).toMatch(/^Bearer ey/);
    ws.drop(4001, 'token revoked'); // every earlier token is revoked, this one too
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances).toHaveLength(1); // waits for the answer
    http.respond(200, session(fresh));
    await expect(p).resolves.toEqual(session(fresh));
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(FakeWebSocket.last.url).toContain(`token=${encodeURIComponent(fresh)}`);
    FakeWebSocket.last.welcome([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    expect(client.state).toBe('open');
    expect(auth).not.toHaveBeenCalled();
    expect(refreshToken).not.toHaveBeenCalled();
  });

  it('reconnects with the fresh token when the 4001 comes after the answer, and HTTP uses it too', async () => {
    const http = new FakeHttp();
    const { client, ws } = await connected({ fetch: http.fetch, XMLHttpRequest: null });
    const auth = vi.fn();
    client.on('auth', auth);
    http.answer(200, session('fresh-token'));
    await client.changePassword('current-pw', 'new-password');
    ws.drop(4001, 'token revoked');
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.last.url).toContain('token=fresh-token');
    expect(auth).not.toHaveBeenCalled();
    http.answer(200, 'file');
    await client.fetchAttachment('AbCdEfGhIjKlMnOpQrStUv');
    expect(http.last.headers.Authorization).toBe('Bearer fresh-token');
  });

  it('a refused change leaves the token as it was and a later 4001 is handled as usual', async () => {
    const http = new FakeHttp().answer(403, { error: 'wrong password' });
    const { client, ws } = await connected({ fetch: http.fetch });
    const auth = vi.fn();
    client.on('auth', auth);
    await expect(client.changePassword('guess', 'new-password')).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    await expect(client.changePassword('', 'new-password')).rejects.toMatchObject({ code: 'bad_request' });
    ws.drop(4001, 'token expired');
    await vi.advanceTimersByTimeAsync(0);
    expect(auth).toHaveBeenCalledWith('token expired');
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

/** A client with a queued message, a cached room and receipts in `storage`. */
async function withStoredState(http: FakeHttp, storage: MemoryStorage) {
  const c = await connected({ fetch: http.fetch, storage, refreshToken: vi.fn(() => 'another-token') });
  c.ws.receive({ type: 'message', room: 'general', id: 'b1', seq: 1, ts: 1, user: 'bob', text: 'hi' });
  c.ws.receive({ type: 'read', room: 'general', user: 'bob', seq: 1 });
  await c.client.send('general', 'not yet acked');
  await vi.advanceTimersByTimeAsync(1000); // the cache's debounced writes
  expect(Object.keys(Object.fromEntries(storage.data)).sort()).toEqual(['parley:v1:alice:outbox', 'parley:v1:alice:receipts', 'parley:v1:alice:rooms']);
  return c;
}

describe('client.logout', () => {
  it('revokes the token, closes for good without asking for a token, and clears storage', async () => {
    const http = new FakeHttp();
    const storage = new MemoryStorage();
    const { client, ws } = await withStoredState(http, storage);
    const auth = vi.fn();
    client.on('auth', auth);
    const p = client.logout();
    expect(http.last).toMatchObject({ url: `${BASE}/api/logout`, method: 'POST', body: undefined });
    ws.drop(4001, 'logged out');
    http.respond(200, { status: 'logged_out' });
    await p;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(client.state).toBe('offline');
    expect(client.queued).toBe(0);
    expect(client.rooms()).toEqual([]);
    expect(Object.fromEntries(storage.data)).toEqual({});
    expect(auth).not.toHaveBeenCalled();
    await expect(client.start()).rejects.toMatchObject({ code: 'closed' });
    await expect(client.logout()).rejects.toMatchObject({ code: 'closed' });
  });

  it('counts a token the server no longer takes (401) as logged out', async () => {
    const http = new FakeHttp().answer(401, { error: 'token revoked' });
    const { client } = await connected({ fetch: http.fetch });
    await client.logout();
    expect(client.state).toBe('offline');
  });

  it('when the server cannot be told, rejects and changes nothing; a 4001 meanwhile is reported then', async () => {
    const http = new FakeHttp().failNext();
    const storage = new MemoryStorage();
    const { client, ws } = await withStoredState(http, storage);
    await expect(client.logout()).rejects.toMatchObject({ code: 'network', status: 0 });
    expect(client.state).toBe('open');
    expect(client.queued).toBe(1);
    expect(Object.keys(Object.fromEntries(storage.data))).toHaveLength(3);

    const auth = vi.fn();
    client.on('auth', auth);
    const p = client.logout();
    ws.drop(4001, 'logged out'); // the logout was taken; its answer was lost
    http.fail();
    await expect(p).rejects.toMatchObject({ code: 'network' });
    await vi.advanceTimersByTimeAsync(0);
    // As any 4001: refreshToken is asked, and its token tried.
    expect(FakeWebSocket.last.url).toContain('token=another-token');
    expect(auth).not.toHaveBeenCalled();
  });
});

describe('client.deleteAccount', () => {
  it('deletes with the password, ends like a logout, and the 4003 it causes is no `account` event', async () => {
    const http = new FakeHttp();
    const storage = new MemoryStorage();
    const { client, ws } = await withStoredState(http, storage);
    const account = vi.fn();
    client.on('account', account);
    const p = client.deleteAccount('my-password');
    expect(http.last).toMatchObject({ url: `${BASE}/api/account`, method: 'DELETE', body: { password: 'my-password' } });
    ws.drop(4003, 'account closed');
    http.respond(200, { status: 'deleted', messages: 'kept' });
    expect(await p).toBe('kept');
    expect(account).not.toHaveBeenCalled();
    expect(client.state).toBe('offline');
    expect(Object.fromEntries(storage.data)).toEqual({});
  });

  it('a wrong password rejects (forbidden, as the server answers it) and leaves the client as it was', async () => {
    const http = new FakeHttp().answer(403, { error: 'wrong password' });
    const { client } = await connected({ fetch: http.fetch });
    await expect(client.deleteAccount('guess')).rejects.toMatchObject({ status: 403, code: 'forbidden', message: 'wrong password' });
    await expect(client.deleteAccount('')).rejects.toMatchObject({ code: 'bad_request' });
    expect(client.state).toBe('open');
    expect(http.calls).toHaveLength(1);
  });

  it('a 4003 during a deletion that then fails is reported as `account`', async () => {
    const http = new FakeHttp();
    const { client, ws } = await connected({ fetch: http.fetch });
    const account = vi.fn();
    client.on('account', account);
    const p = client.deleteAccount('my-password');
    ws.drop(4003, 'account closed');
    expect(account).not.toHaveBeenCalled();
    http.respond(503, { error: 'store unavailable' });
    await expect(p).rejects.toMatchObject({ code: 'unavailable' });
    expect(account).toHaveBeenCalledOnce();
  });
});

describe('client.exportAccount', () => {
  it('follows next through every page with the token, also page by page', async () => {
    const http = new FakeHttp().answer(200, page(1, 'a')).answer(200, page(2, 'b')).answer(200, page(3, null));
    const { client } = await connected({ fetch: http.fetch });
    const data = await client.exportAccount({ limit: 1 });
    expect(http.calls.map((c) => new URL(c.url).search)).toEqual(['?limit=1', '?after=a&limit=1', '?after=b&limit=1']);
    expect(http.last.headers.Authorization).toMatch(/^Bearer ey/);
    expect(data).toEqual({ user: 'alice', rooms: page(1, null).rooms, messages: [1, 2, 3].map((n) => page(n, null).messages[0]) });

    http.answer(200, page(1, 'a')).answer(200, page(2, null));
    const seen: (string | null)[] = [];
    for await (const p of client.exportPages()) seen.push(p.next);
    expect(seen).toEqual(['a', null]);
  });

  it('asks for a fresh token once after a 401; a cursor that repeats is an error, not a loop', async () => {
    const http = new FakeHttp().answer(200, page(1, 'a')).answer(401, { error: 'token expired' }).answer(200, page(2, null));
    const refreshToken = vi.fn(() => 'fresh');
    const { client } = await connected({ fetch: http.fetch, refreshToken });
    const data = await client.exportAccount();
    expect(refreshToken).toHaveBeenCalledOnce();
    expect(http.last.headers.Authorization).toBe('Bearer fresh');
    expect(http.last.url).toContain('after=a');
    expect(data.messages).toHaveLength(2);

    http.answer(200, page(1, 'a')).answer(200, page(2, 'a'));
    await expect(client.exportAccount()).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('an empty export is one page without messages', async () => {
    const http = new FakeHttp().answer(200, { user: 'alice', rooms: [], messages: [], next: null });
    const { client } = await connected({ fetch: http.fetch });
    expect(await client.exportAccount()).toEqual({ user: 'alice', rooms: [], messages: [] });
    await flush();
  });
});
