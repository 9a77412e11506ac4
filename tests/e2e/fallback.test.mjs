// The HTTP fallback transport end to end, behind an nginx that refuses WebSocket upgrades (as
// a corporate proxy does): the SDK (Node, over `ws`) and the web app (Chromium) fall back to the
// event stream and POSTs by themselves and chat with users on WebSockets; once the proxy lets
// upgrades through, the SDK moves back to a WebSocket without losing or doubling a message.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { MemoryStorage, ParleyClient } from '../../clients/js/dist/index.js';
import { finish, launchBrowser, openRoom, say, signUp, startServer, waitForMessage, watchPage, registerUser } from './harness.mjs';
import { startNginx } from './nginx.mjs';

let server;
let proxy;
let browser;
const pages = {};
const log = [];
const clients = [];
const proxies = [];

before(async () => {
  server = await startServer();
  proxy = await startNginx({ upstream: server.port, refuseUpgrade: true });
});

after(async () => {
  for (const c of clients) c.close();
  for (const p of [proxy, ...proxies]) await p?.stop();
  await finish({ name: 'fallback', pages, log, browser, server });
});

const register = (user) => registerUser(server, user);

function client(url, token, extra = {}) {
  const c = new ParleyClient({
    url: `${url.replace('http:', 'ws:')}/ws`,
    token,
    WebSocket,
    network: null,
    storage: new MemoryStorage(),
    backoff: { baseMs: 50, maxMs: 400 },
    ...extra,
  });
  clients.push(c);
  return c;
}

/** Resolves once `pred(c)` holds, checked on every change of the client (20 s at most). */
function until(c, pred, what) {
  return new Promise((resolve, reject) => {
    if (pred(c)) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what} (state ${c.state}, transport ${c.transport})`));
    }, 20000);
    const off = c.on('change', () => {
      if (!pred(c)) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

const texts = (c, room) => (c.room(room)?.messages ?? []).map((m) => m.text);
const sent = (c, room, text) => (c.room(room)?.messages ?? []).some((m) => m.text === text && m.seq !== null);

test('the SDK falls back behind a proxy that refuses upgrades, chats, and moves back to a WebSocket when it can', async () => {
  const [aliceToken, bobToken] = [await register('sdk_alice'), await register('sdk_bob')];
  // A proxy of this test's own: it will let upgrades through later.
  const own = await startNginx({ upstream: server.port, refuseUpgrade: true });
  proxies.push(own);
  const bob = client(server.url, bobToken, { fallback: false });
  // Probing for a WebSocket every 300 ms (doubling while refused) keeps the test short.
  const alice = client(own.url, aliceToken, { upgradeAfterMs: 300 });
  const moves = [];
  alice.on('transport', (t) => moves.push(t));
  await Promise.all([bob.start(), alice.start()]);
  await until(alice, (c) => c.state === 'open', 'alice open');
  assert.equal(alice.transport, 'sse');
  assert.deepEqual(moves, ['sse']);
  await bob.join('general');
  await alice.join('general');

  await alice.send('general', 'from the fallback');
  await until(alice, (c) => sent(c, 'general', 'from the fallback'), "alice's ack");
  await until(bob, (c) => texts(c, 'general').includes('from the fallback'), 'bob receives');
  await bob.send('general', 'to the fallback');
  await until(alice, (c) => texts(c, 'general').includes('to the fallback'), 'alice receives');

  // The proxy starts to let upgrades through: the next probe gets one, and the client moves.
  own.allowUpgrades();
  await until(alice, (c) => c.transport === 'websocket' && c.state === 'open', 'alice back on a WebSocket');
  assert.deepEqual(moves, ['sse', 'websocket']);
  await alice.send('general', 'after the upgrade');
  await until(bob, (c) => texts(c, 'general').includes('after the upgrade'), 'bob receives after the upgrade');
  for (const c of [alice, bob]) {
    const all = texts(c, 'general');
    for (const t of ['from the fallback', 'to the fallback', 'after the upgrade']) {
      assert.equal(all.filter((x) => x === t).length, 1, `${c.user} holds "${t}" once: ${JSON.stringify(all)}`);
    }
  }
});

test('the web app in Chromium falls back behind the proxy and chats with a WebSocket user, across a reload', async () => {
  browser = await launchBrowser();
  const behind = await (await browser.newContext()).newPage();
  const direct = await (await browser.newContext()).newPage();
  pages.behind = behind;
  pages.direct = direct;
  watchPage(behind, 'behind', log);
  watchPage(direct, 'direct', log);
  // The page's own view of the upgrade: refused by the proxy.
  const upgrades = [];
  behind.on('websocket', (ws) => upgrades.push(ws.url()));

  await signUp(behind, proxy.url, 'web_alice', 'web-alice-password');
  await behind.locator('[data-transport=sse]').waitFor({ timeout: 30000 });
  assert.ok(upgrades.length >= 2, `the page tried WebSockets first: ${upgrades.length}`);
  await signUp(direct, server.url, 'web_bob', 'web-bob-password');
  assert.equal(await direct.locator('.app').getAttribute('data-transport'), 'websocket');
  await openRoom(behind, 'general');
  await openRoom(direct, 'general');

  await say(behind, 'typed behind the proxy');
  await waitForMessage(direct, 'typed behind the proxy');
  await say(direct, 'answered over a websocket');
  await waitForMessage(behind, 'answered over a websocket');

  // A reload starts over: WebSockets refused again, the stream again, the history back.
  await behind.reload();
  await behind.locator('[data-transport=sse]').waitFor({ timeout: 30000 });
  await openRoom(behind, 'general');
  await waitForMessage(behind, 'typed behind the proxy');
  await waitForMessage(behind, 'answered over a websocket');
  await say(behind, 'after the reload');
  await waitForMessage(direct, 'after the reload');
});
