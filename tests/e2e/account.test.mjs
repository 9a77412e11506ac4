// End-to-end: the user's account and slow mode through the real parleyd. The SDK (Node, over
// `ws`) logs out one of two sessions, changes the password, exports the user's data page by
// page, deletes the account, and sends through a room's slow mode; then the web app in Chromium
// logs out from the Account dialog, and an owner sets slow mode from the room's details while a
// member's composer counts down. docs/protocol.md → "Accounts and tokens", "Slow mode";
// docs/client.md → "Accounts", "Slow mode".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { MemoryStorage, ParleyClient, exportAccountPage, login } from '../../clients/js/dist/index.js';
import { finish, launchBrowser, logIn, registerUser, say, startServer, watchPage } from './harness.mjs';

let server;
let browser;
const pages = {};
const log = [];
const clients = [];
const raws = [];

before(async () => {
  // More registrations than the default burst of 5 per address.
  server = await startServer({ args: ['--register-ip-burst', '100', '--register-ip-per-hour', '1000'] });
});

after(async () => {
  for (const c of clients) c.close();
  for (const ws of raws) ws.terminate();
  await finish({ name: 'account', pages, log, browser, server });
});

const password = (user) => `${user}-password`;
const wsUrl = () => `${server.url.replace('http:', 'ws:')}/ws`;

/** Rejects with `what` if `promise` has not settled within `ms`. */
function within(promise, what, ms = 20000) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A `ws` WebSocket class that keeps every socket it makes: its URL, the frames it received and
 * how it closed (`done` resolves with `{ code, reason }`), whatever the SDK does with its handlers.
 */
function recorder() {
  const sockets = [];
  class Recorded extends WebSocket {
    constructor(url, ...rest) {
      super(url, ...rest);
      const rec = { url: String(url), frames: [], closed: null };
      rec.done = new Promise((resolve) =>
        this.on('close', (code, reason) => {
          rec.closed = { code, reason: String(reason) };
          resolve(rec.closed);
        }),
      );
      this.on('message', (d) => {
        try {
          rec.frames.push(JSON.parse(String(d)));
        } catch {
          /* not JSON */
        }
      });
      sockets.push(rec);
    }
  }
  return { WebSocket: Recorded, sockets };
}

function client(token, extra = {}) {
  const c = new ParleyClient({
    url: wsUrl(),
    token,
    WebSocket,
    network: null,
    fallback: false,
    storage: new MemoryStorage(),
    backoff: { baseMs: 50, maxMs: 400 },
    refreshPresence: false,
    ...extra,
  });
  clients.push(c);
  return c;
}

/** Resolves once `pred(c)` holds, checked on every change of the client. */
function until(c, pred, what, ms = 20000) {
  return new Promise((resolve, reject) => {
    if (pred(c)) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what} (${c.user}: state ${c.state})`));
    }, ms);
    const off = c.on('change', () => {
      if (!pred(c)) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** The next `event` of `c` whose arguments satisfy `pred`, as an array of its arguments. */
function nextEvent(c, event, pred = () => true, ms = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${c.user}'s ${event} event`));
    }, ms);
    const off = c.on(event, (...args) => {
      if (!pred(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

async function started(c) {
  await c.start();
  await until(c, (x) => x.state === 'open', `${c.user} open`);
  return c;
}

/**
 * A plain WebSocket with `token`: `{ status }` when the upgrade is refused, else, once welcomed,
 * `{ ws, welcome, closed }` (`closed` resolves with `{ code, reason }`).
 */
function connectRaw(token) {
  return within(
    new Promise((resolve) => {
      const ws = new WebSocket(`${wsUrl()}?token=${encodeURIComponent(token)}`);
      raws.push(ws);
      ws.on('error', () => {});
      const closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
      ws.on('unexpected-response', (req, res) => {
        res.resume();
        req.destroy();
        resolve({ status: res.statusCode });
      });
      ws.on('message', (d) => {
        const f = JSON.parse(String(d));
        if (f.type === 'welcome') resolve({ ws, welcome: f, closed });
      });
    }),
    'a raw connection to answer',
    10000,
  );
}

/** How the server answers a request made with `token`: the export's first page, or its refusal. */
async function exportStatus(token) {
  try {
    await exportAccountPage(server.url, token, { limit: 1 });
    return 200;
  } catch (e) {
    assert.ok(typeof e.status === 'number', `an AuthError: ${e}`);
    return e.status;
  }
}

const texts = (c, room) => (c.room(room)?.messages ?? []).map((m) => m.text);
const stored = (c, room, text) => (c.room(room)?.messages ?? []).some((m) => m.text === text && m.seq !== null);
const received = (c, room, text) => (c.room(room)?.messages ?? []).find((m) => m.text === text);

test('SDK: logout ends one of two sessions; the other goes on; the logged-out token is refused', async () => {
  await registerUser(server, 'lena');
  const peerToken = await registerUser(server, 'lena_peer');
  // Two devices of lena's: two logins, two tokens.
  const phone = await login(server.url, 'lena', password('lena'));
  const laptop = await login(server.url, 'lena', password('lena'));
  assert.notEqual(phone.token, laptop.token);

  // The logout's answer reaches the client only once its socket has closed: the close is then
  // certainly the server's (4001 while the logout runs), not the client's own as it finishes.
  const rec = recorder();
  const holdAnswer = async (url, init) => {
    const res = await fetch(url, init);
    if (url.endsWith('/api/logout')) await within(rec.sockets.at(-1).done, "the server's close of the logged-out connection");
    return res;
  };
  const a = client(phone.token, { WebSocket: rec.WebSocket, fetch: holdAnswer });
  const b = client(laptop.token);
  const peer = client(peerToken);
  await Promise.all([started(a), started(b), started(peer)]);
  for (const c of [a, b, peer]) await c.join('lobby');
  await a.send('lobby', 'from the phone, before');
  await until(peer, (c) => texts(c, 'lobby').includes('from the phone, before'), 'peer receives the phone');
  // Another connection with the phone's token, which no client closes.
  const extra = await connectRaw(phone.token);
  assert.equal(extra.welcome.user, 'lena');
  const authEvents = [];
  a.on('auth', (reason) => authEvents.push(reason));

  await a.logout();
  assert.deepEqual(rec.sockets.at(-1).closed, { code: 4001, reason: 'logged out' });
  assert.deepEqual(await within(extra.closed, 'the extra connection to close'), { code: 4001, reason: 'logged out' });
  assert.equal(a.state, 'offline');
  assert.deepEqual(authEvents, [], 'the expected close is no news: no auth event');
  assert.deepEqual(a.rooms(), [], 'the rooms held for lena are dropped');
  await assert.rejects(a.start(), { code: 'closed' });

  // The laptop's session is untouched: it sends and receives.
  await b.send('lobby', 'from the laptop, after');
  await until(peer, (c) => texts(c, 'lobby').includes('from the laptop, after'), 'peer receives the laptop');
  await until(b, (c) => stored(c, 'lobby', 'from the laptop, after'), "the laptop's ack");
  await peer.send('lobby', 'to lena, after');
  await until(b, (c) => texts(c, 'lobby').includes('to lena, after'), 'the laptop receives');
  assert.equal(b.state, 'open');

  // The phone's token is refused everywhere from now on; the laptop's is not.
  assert.deepEqual(await connectRaw(phone.token), { status: 401 });
  assert.equal(await exportStatus(phone.token), 401);
  assert.equal(await exportStatus(laptop.token), 200);
  const again = await connectRaw(laptop.token);
  assert.equal(again.welcome.user, 'lena');
  again.ws.close();
  // The logged-out client made no connection after its first: it did not try to reconnect.
  assert.equal(rec.sockets.length, 1);
});

test('SDK: changePassword keeps the client working on the fresh token; older tokens are refused', async () => {
  const first = await registerUser(server, 'pia');
  const peerToken = await registerUser(server, 'pia_peer');
  const other = await login(server.url, 'pia', password('pia')); // another device of pia's
  const rec = recorder();
  const c = client(first, { WebSocket: rec.WebSocket });
  const peer = client(peerToken);
  await Promise.all([started(c), started(peer)]);
  await c.join('pw_room');
  await peer.join('pw_room');
  const otherDevice = await connectRaw(other.token);
  const authEvents = [];
  c.on('auth', (reason) => authEvents.push(reason));

  const s = await c.changePassword(password('pia'), 'a much better password');
  assert.equal(s.user, 'pia');
  assert.ok(s.token && s.token !== first && s.token !== other.token);
  // Every connection with an earlier token closes with 4001; the client reconnects with the fresh one.
  assert.equal((await within(rec.sockets[0].done, "the client's first connection to close")).code, 4001);
  assert.equal((await within(otherDevice.closed, "the other device's connection to close")).code, 4001);
  await until(c, (x) => x.state === 'open' && rec.sockets.length >= 2, 'the client reconnected');
  assert.ok(rec.sockets.at(-1).url.endsWith(`token=${encodeURIComponent(s.token)}`), 'with the fresh token');

  await c.send('pw_room', 'sent after the password change');
  await until(peer, (p) => texts(p, 'pw_room').includes('sent after the password change'), 'peer receives');
  await until(c, (x) => stored(x, 'pw_room', 'sent after the password change'), "the client's ack");
  await peer.send('pw_room', 'and an answer');
  await until(c, (x) => texts(x, 'pw_room').includes('and an answer'), 'the client receives');
  assert.deepEqual(authEvents, [], 'no auth event: the client had the fresh token');

  for (const old of [first, other.token]) {
    assert.deepEqual(await connectRaw(old), { status: 401 });
    assert.equal(await exportStatus(old), 401);
  }
  assert.equal(await exportStatus(s.token), 200);
  await assert.rejects(login(server.url, 'pia', password('pia')), { status: 401 });
  assert.equal((await login(server.url, 'pia', 'a much better password')).user, 'pia');
});

test("SDK: exportAccount returns all of the user's messages across rooms, page by page, and the rooms", async () => {
  const token = await registerUser(server, 'exa');
  const peerToken = await registerUser(server, 'exa_peer');
  const c = await started(client(token));
  const peer = await started(client(peerToken));
  for (const room of ['ex_one', 'ex_two', 'ex_three']) await c.join(room);
  await peer.join('ex_one');
  const sent = [];
  for (let i = 1; i <= 8; i++) {
    const room = ['ex_one', 'ex_two', 'ex_three'][i % 3];
    sent.push({ room, text: `export me ${i}`, id: (await c.send(room, `export me ${i}`)).id });
  }
  await peer.send('ex_one', 'not exa’s');
  // A deleted message is not exported.
  const gone = await c.send('ex_two', 'deleted before the export');
  await until(c, (x) => x.queued === 0 && sent.every((m) => stored(x, m.room, m.text)) && stored(x, 'ex_two', 'deleted before the export'), 'every ack');
  await until(c, (x) => texts(x, 'ex_one').includes('not exa’s'), "the peer's message");
  await c.deleteMessage('ex_two', received(c, 'ex_two', 'deleted before the export').seq);
  await until(c, (x) => x.queued === 0 && received(x, 'ex_two', gone.text) === undefined, 'the deletion');

  // Three messages a page: three pages, the rooms on the first.
  const pageSizes = [];
  for await (const page of c.exportPages({ limit: 3 })) pageSizes.push(page.messages.length);
  assert.deepEqual(pageSizes, [3, 3, 2]);

  const data = await c.exportAccount({ limit: 3 });
  assert.equal(data.user, 'exa');
  assert.deepEqual(data.rooms.map((r) => r.room).sort(), ['ex_one', 'ex_three', 'ex_two']);
  assert.ok(data.rooms.every((r) => typeof r.last_seq === 'number' && r.role), 'rooms as welcome lists them');
  // Each message once, with the client's id, its room and seq; none of anyone else's.
  const byId = new Map(data.messages.map((m) => [m.id, m]));
  assert.equal(byId.size, data.messages.length, 'no message twice');
  const ids = (list) => list.map((m) => m.id).sort();
  assert.deepEqual(ids(data.messages), ids(sent));
  for (const m of sent) {
    const e = byId.get(m.id);
    assert.equal(e.room, m.room);
    assert.equal(e.text, m.text);
    assert.equal(e.seq, received(c, m.room, m.text).seq);
    assert.equal(e.user, 'exa');
  }
  // The pages are in the order of the messages' ids (the paging key): the SDK keeps it.
  assert.deepEqual(
    data.messages.map((m) => m.id),
    ids(data.messages),
  );
  // The same in one page of the default size.
  assert.deepEqual(ids((await c.exportAccount()).messages), ids(sent));
});

test('SDK: deleteAccount: a wrong password changes nothing; the right one deletes, messages kept', async () => {
  const token = await registerUser(server, 'dora');
  const peerToken = await registerUser(server, 'dan');
  const rec = recorder();
  const dora = client(token, { WebSocket: rec.WebSocket });
  const dan = client(peerToken);
  await Promise.all([started(dora), started(dan)]);
  await dora.join('farewell');
  await dan.join('farewell');
  await dora.send('farewell', 'before I go');
  await until(dan, (c) => texts(c, 'farewell').includes('before I go'), 'dan receives');
  const accountEvents = [];
  dora.on('account', () => accountEvents.push(true));

  await assert.rejects(dora.deleteAccount('not the password'), { status: 403, code: 'forbidden' });
  // Nothing changed: the client goes on, the account logs in.
  assert.equal(dora.state, 'open');
  await dora.send('farewell', 'still here');
  await until(dan, (c) => texts(c, 'farewell').includes('still here'), 'dan receives after the wrong password');
  const tablet = await login(server.url, 'dora', password('dora'));
  const other = await connectRaw(tablet.token);
  assert.equal(rec.sockets.length, 1);

  assert.equal(await dora.deleteAccount(password('dora')), 'kept');
  assert.equal((await within(other.closed, "the other device's connection to close")).code, 4003);
  assert.equal(dora.state, 'offline');
  assert.deepEqual(accountEvents, [], 'no account event for the client that deleted it');
  await assert.rejects(dora.start(), { code: 'closed' });

  // Dan still sees her messages, in his client and in a fresh one that loads the history.
  await until(dan, (c) => texts(c, 'farewell').includes('still here'), 'dan holds her messages');
  const later = await started(client(peerToken));
  await until(later, (c) => c.room('farewell') !== undefined, "the fresh client's rooms");
  await later.loadEarlier('farewell');
  await until(later, (c) => texts(c, 'farewell').includes('before I go') && texts(c, 'farewell').includes('still here'), 'the history');
  const kept = received(later, 'farewell', 'before I go');
  assert.equal(kept.user, 'dora');
  assert.ok(!kept.deleted);

  // She cannot log in again, her tokens are refused, and the name is not given again.
  await assert.rejects(login(server.url, 'dora', password('dora')), { status: 401 });
  assert.deepEqual(await connectRaw(tablet.token), { status: 403 });
  await assert.rejects(registerUser(server, 'dora'), /409/);
});

test('SDK: slow mode holds a member’s second message until the wait is over, in its room only', async () => {
  const olga = await started(client(await registerUser(server, 'olga')));
  const rec = recorder();
  const mia = await started(client(await registerUser(server, 'mia'), { WebSocket: rec.WebSocket }));
  await olga.createRoom('slow_lane');
  await olga.createRoom('fast_lane');
  await mia.join('slow_lane');
  await mia.join('fast_lane');
  assert.equal(mia.room('slow_lane').slowModeS, 0);
  await assert.rejects(mia.setSlowMode('slow_lane', 2), { code: 'forbidden' });

  const told = nextEvent(mia, 'slowMode');
  await olga.setSlowMode('slow_lane', 2);
  assert.deepEqual(await told, ['slow_lane', 2, 'olga']);
  assert.equal(mia.room('slow_lane').slowModeS, 2);
  assert.equal(mia.room('fast_lane').slowModeS, 0);
  assert.equal(olga.room('slow_lane').slowModeS, 2);

  const arrivals = [];
  olga.on('message', (m) => arrivals.push({ room: m.room, text: m.text, seq: m.seq, ts: m.ts, at: Date.now() }));
  const first = await mia.send('slow_lane', 'slow one');
  const second = await mia.send('slow_lane', 'slow two');
  await mia.send('fast_lane', 'meanwhile, elsewhere');
  // The second is refused for now; the outbox waits with it while the other room's goes.
  await until(mia, (c) => c.room('slow_lane')?.retry?.code === 'rate_limited', 'the second to wait');
  await until(olga, (c) => texts(c, 'fast_lane').includes('meanwhile, elsewhere'), 'the other room’s message');
  assert.equal(received(olga, 'slow_lane', 'slow two'), undefined, 'the second is still held back');
  await until(mia, (c) => stored(c, 'fast_lane', 'meanwhile, elsewhere'), 'the other room’s ack');
  assert.equal(received(mia, 'slow_lane', 'slow two').state, 'pending');

  await until(olga, (c) => texts(c, 'slow_lane').includes('slow two'), 'the second, after the wait', 10000);
  await until(mia, (c) => c.queued === 0 && !c.room('slow_lane').retry, 'mia’s outbox empty');
  const refusals = rec.sockets.flatMap((s) => s.frames).filter((f) => f.type === 'error' && f.id !== undefined); // about messages
  assert.equal(refusals.length, 1, `one refusal: ${JSON.stringify(refusals)}`);
  assert.equal(refusals[0].code, 'rate_limited');
  assert.equal(refusals[0].id, second.id);
  assert.ok(refusals[0].retry_after_ms > 0 && refusals[0].retry_after_ms <= 2000, `retry_after_ms ${refusals[0].retry_after_ms}`);

  const slow = arrivals.filter((m) => m.room === 'slow_lane');
  assert.deepEqual(slow.map((m) => m.text), ['slow one', 'slow two'], 'both, in order');
  assert.ok(slow[1].seq > slow[0].seq);
  // 2 s apart on the server's clock (a little less allowed for its rounding; at once without slow mode).
  assert.ok(slow[1].ts - slow[0].ts >= 1950, `${slow[1].ts - slow[0].ts} ms apart on the server`);
  const elsewhere = arrivals.find((m) => m.text === 'meanwhile, elsewhere');
  assert.ok(elsewhere.at < slow[1].at, 'the other room was not held up');
  assert.deepEqual(texts(mia, 'slow_lane'), ['slow one', 'slow two']);
  assert.equal(received(mia, 'slow_lane', 'slow one').id, first.id);

  // Owners are exempt; turning it off reaches the member too.
  await olga.send('slow_lane', 'owner one');
  await olga.send('slow_lane', 'owner two');
  await until(mia, (c) => texts(c, 'slow_lane').includes('owner two'), 'the owner’s quick messages');
  const off = nextEvent(mia, 'slowMode');
  await olga.setSlowMode('slow_lane', 0);
  assert.deepEqual(await off, ['slow_lane', 0, 'olga']);
  assert.equal(mia.room('slow_lane').slowModeS, 0);
});

/** A Chromium page logged in as a freshly registered `user`. */
async function browserUser(user) {
  browser ??= await launchBrowser();
  await registerUser(server, user);
  const page = await (await browser.newContext({ viewport: { width: 900, height: 640 } })).newPage();
  pages[user] = page;
  watchPage(page, user, log);
  await logIn(page, server.url, user, password(user));
  return page;
}

test('web: log out from the Account dialog; an owner sets slow mode and a member’s composer counts down', async () => {
  const wendy = await browserUser('wendy');
  const token = await wendy.evaluate(() => JSON.parse(localStorage.getItem('parley.session')).token);
  assert.equal(await exportStatus(token), 200);
  await wendy.getByTestId('account-open').click();
  const dialog = wendy.getByTestId('account');
  await dialog.locator('#account-title', { hasText: 'Account · wendy' }).waitFor();
  await dialog.getByTestId('account-logout').click();
  await wendy.locator('input[name=user]').waitFor();
  assert.equal(await wendy.getByTestId('whoami').count(), 0);
  assert.equal(await wendy.getByTestId('account').count(), 0);
  assert.equal(await wendy.evaluate(() => localStorage.getItem('parley.session')), null);
  assert.equal(await exportStatus(token), 401, 'the token was revoked on the server');

  // Slow mode from the room's details: the owner creates #slowweb and sets 5 s.
  const oscar = await browserUser('oscar');
  await oscar.getByTestId('join-input').fill('slowweb');
  await oscar.getByTestId('join-button').click();
  await oscar.locator('.room-header h2', { hasText: '#slowweb' }).waitFor();
  await oscar.getByTestId('info-open').click();
  await oscar.getByTestId('slow-mode-select').selectOption('5');
  await oscar.locator('[data-testid=slow-mode-select][data-seconds="5"]').waitFor();
  await oscar.locator('[data-testid=slow-mode][data-seconds="5"]').waitFor();

  const mona = await browserUser('mona');
  await mona.getByTestId('join-input').fill('slowweb');
  await mona.getByTestId('join-button').click();
  await mona.locator('.room-header h2', { hasText: '#slowweb' }).waitFor();
  await mona.locator('[data-testid=slow-mode][data-seconds="5"]').waitFor();
  await mona.getByTestId('info-open').click();
  await mona.getByTestId('slow-mode-info').filter({ hasText: 'Slow mode' }).waitFor();
  assert.equal(await mona.getByTestId('slow-mode-select').count(), 0, 'a member cannot set it');

  await say(mona, 'quick one');
  await say(mona, 'quick two');
  const wait = mona.locator('[data-testid=composer-wait][data-code=rate_limited]');
  await wait.waitFor();
  const shown = Number(await wait.getAttribute('data-seconds'));
  assert.ok(shown >= 1 && shown <= 6, `the countdown starts at ${shown} s`);
  assert.match(await wait.textContent(), /^Slow down: your message goes in \d s$/);
  // It counts down, then goes once the message is sent.
  await mona.waitForFunction(
    (s) => Number(document.querySelector('[data-testid=composer-wait]')?.getAttribute('data-seconds') ?? -1) < s && document.querySelector('[data-testid=composer-wait]'),
    shown,
    { timeout: 10000 },
  );
  await wait.waitFor({ state: 'detached', timeout: 10000 });
  await mona.waitForFunction(() => document.querySelectorAll('[data-testid=message][data-state=pending]').length === 0);
  await oscar.waitForFunction(() => [...document.querySelectorAll('[data-testid=message] .text')].some((e) => e.textContent === 'quick two'), null, { timeout: 10000 });
  const seen = await oscar.$$eval('[data-testid=message] .text', (els) => els.map((e) => e.textContent));
  assert.deepEqual(seen, ['quick one', 'quick two']);
});
