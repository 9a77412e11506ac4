// End-to-end: the operator console (/admin) in Chromium against a real parleyd with a server
// API key and a webhook endpoint. The operator logs in (a wrong key first), reads the health
// and metrics, sees an SDK client among the connections, finds the room, changes a member's
// role, deletes the SDK client's message, mutes and kicks the client (which hears of each),
// replays a dead webhook delivery to a receiver started here, disables a user, and logs out.
// docs/operations.md → "Operator console".
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { MemoryStorage, ParleyClient } from '../../clients/js/dist/index.js';
import { finish, launchBrowser, nextEvent, startServer, until, watchPage } from './harness.mjs';

const KEY = 'admin-console-key-7c2e9b41d0';
const ROOM = 'lobby';

let server;
let browser;
let page;
let receiver;
let bob;
let firstDelivery; // the webhook request the receiver refused
const pages = {};
const log = [];
const clients = [];

/**
 * A webhook receiver on loopback: answers 500 while `failing`, else 204; `next(pred)` resolves
 * with the first request ({ headers, body }) not taken yet that satisfies `pred`.
 */
function startReceiver() {
  const got = [];
  const waiting = [];
  const state = { failing: true };
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(state.failing ? 500 : 204).end();
      const r = { headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
      const i = waiting.findIndex((w) => w.pred(r));
      if (i >= 0) waiting.splice(i, 1)[0].ok(r);
      else got.push(r);
    });
  });
  const next = (pred = () => true, ms = 20000) => {
    const i = got.findIndex(pred);
    if (i >= 0) return Promise.resolve(got.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { pred, ok: (r) => (clearTimeout(t), resolve(r)) };
      const t = setTimeout(() => {
        waiting.splice(waiting.indexOf(w), 1);
        reject(new Error('no such webhook request arrived'));
      }, ms);
      waiting.push(w);
    });
  };
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        state,
        next,
        url: `http://127.0.0.1:${srv.address().port}/hook`,
        close: () => new Promise((r) => srv.close(r)),
      }),
    ),
  );
}

/** A server API call with the key; the parsed answer, or throws with the status and body. */
async function api(method, path, body) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { 'X-Parley-Api-Key': KEY, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw Object.assign(new Error(`${method} ${path}: ${res.status} ${text}`), { status: res.status });
  return text ? JSON.parse(text) : undefined;
}

/** An SDK client of `user` (Node, over `ws`) with a token the server API signs; open. */
async function connect(user) {
  const { token } = await api('POST', `/users/${user}/tokens`, {});
  const c = new ParleyClient({
    url: `${server.url.replace('http:', 'ws:')}/ws`,
    token,
    WebSocket,
    network: null,
    fallback: false,
    storage: new MemoryStorage(),
    backoff: { baseMs: 50, maxMs: 400 },
    refreshPresence: false,
  });
  clients.push(c);
  await c.start();
  await until(c, (x) => x.state === 'open', `${user} open`);
  return c;
}

/** Confirms the open dialog named `title` with its button `confirm`. */
async function confirmDialog(title, confirm, fill) {
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  await fill?.(dialog);
  await dialog.getByRole('button', { name: confirm, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

const status = (text) => page.getByRole('status').filter({ hasText: text }).waitFor();
const memberOf = async (room, user) => (await api('GET', `/rooms/${room}/members`)).members.find((m) => m.user === user);

before(async () => {
  receiver = await startReceiver();
  server = await startServer({
    args: [
      '--api-keys', KEY,
      '--webhooks', `sink=${receiver.url} room.created`,
      '--webhook-secret', 'admin-console-webhook-secret',
      '--webhook-max-attempts', '1',
      '--webhook-poll-ms', '50',
    ],
  });
  // The room's room.created is refused by the receiver: with one attempt, a dead delivery.
  await api('POST', '/rooms', { room: ROOM });
  firstDelivery = await receiver.next();
  assert.equal(firstDelivery.body.room, ROOM);
  receiver.state.failing = false;
  for (const user of ['bob', 'carol']) {
    await api('POST', '/users', { user });
    await api('PUT', `/rooms/${ROOM}/members/${user}`);
  }
  bob = await connect('bob');
  await until(bob, (c) => !!c.room(ROOM), 'bob in the room');
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  pages.operator = page;
  watchPage(page, 'operator', log);
});

after(async () => {
  for (const c of clients) c.close();
  await receiver?.close();
  await finish({ name: 'admin', pages, log, browser, server });
});

test('parleyd serves the console at /admin, /admin/ and below', async () => {
  for (const path of ['/admin', '/admin/', '/admin/rooms/lobby']) {
    const res = await fetch(`${server.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(await res.text(), /<title>parley console<\/title>/, path);
  }
});

test('log in: a wrong key is refused, the right one opens the overview with health and metrics', async () => {
  await page.goto(`${server.url}/admin`);
  const keyField = page.getByLabel('Server API key');
  await keyField.fill('not-the-key-0123456789');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'missing or wrong X-Parley-Api-Key header' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('parley.admin.key')), null);

  await keyField.fill(KEY);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('parley.admin.key')), KEY);
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
  await page.getByTestId('health-ready').filter({ hasText: /^ready$/ }).waitFor();
  await page.getByTestId('health-live').filter({ hasText: /^ok$/ }).waitFor();
  // bob's SDK client is this node's one connection.
  const connections = page.getByRole('group', { name: 'Connections' });
  await connections.getByTestId('metric-value').filter({ hasText: /^1$/ }).waitFor();
  await page.getByRole('group', { name: 'Delivery latency' }).waitFor();
  await page.getByRole('img', { name: /^Connections: / }).waitFor();
});

test('Connections lists the SDK client by user', async () => {
  await page.getByRole('link', { name: 'Connections' }).click();
  const row = page.getByRole('row', { name: /bob/ });
  await row.getByRole('cell', { name: '1', exact: true }).waitFor();
  await page.getByTestId('connections-total').filter({ hasText: /^1 connection of 1 user on node node-/ }).waitFor();
});

test('Rooms: create a room, open one by name, see the member count, open the room', async () => {
  await page.getByRole('link', { name: 'Rooms' }).click();
  await page.getByLabel('Room name').fill('town');
  await page.getByRole('button', { name: 'Create room' }).click();
  await status('Created public room town.');
  assert.deepEqual(await api('GET', '/rooms/town'), { room: 'town', last_seq: 0, kind: 'public', slow_mode_s: 0 });
  await page.getByTestId('room-row-town').getByTestId('room-members').filter({ hasText: /^0$/ }).waitFor();

  await page.getByLabel('Room', { exact: true }).fill('town');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByRole('heading', { name: 'Room town' }).waitFor();
  await page.getByText('No members.').waitFor();
  await page.getByRole('link', { name: 'Rooms', exact: true }).last().click();

  await page.getByTestId(`room-row-${ROOM}`).getByTestId('room-members').filter({ hasText: /^2$/ }).waitFor();
  await page.getByRole('link', { name: ROOM, exact: true }).click();
  await page.getByRole('heading', { name: `Room ${ROOM}` }).waitFor();
  await page.getByTestId('member-bob').waitFor();
  await page.getByTestId('member-carol').waitFor();
});

test("a room: a member's role changes", async () => {
  await page.getByLabel('Role of carol').selectOption('moderator');
  await status('carol is now moderator of lobby.');
  assert.equal((await memberOf(ROOM, 'carol')).role, 'moderator');
  // The roster is read again after the change.
  await page.waitForFunction(() => document.querySelector('select[aria-label="Role of carol"]')?.value === 'moderator');
});

test("a room: deleting the SDK client's message reaches it", async () => {
  const text = 'please delete me';
  const { id } = await bob.send(ROOM, text);
  const stored = (c) => c.room(ROOM)?.messages.find((m) => m.id === id && m.seq !== null);
  await until(bob, stored, "bob's message stored");
  const { seq } = stored(bob);
  await page.getByRole('region', { name: 'Recent messages' }).getByRole('button', { name: 'Refresh' }).click();
  const row = page.getByTestId(`message-${seq}`);
  await row.filter({ hasText: text }).waitFor();
  await page.getByRole('button', { name: `Delete message ${seq}` }).click();
  await confirmDialog(`Delete message ${seq}?`, 'Delete');
  await status(`Message ${seq} was deleted.`);
  await until(bob, (c) => c.room(ROOM)?.messages.find((m) => m.seq === seq)?.deleted === true, 'bob sees the deletion');
  await row.filter({ hasText: 'deleted' }).waitFor();
  assert.equal(await page.getByRole('button', { name: `Delete message ${seq}` }).count(), 0);
});

test('a room: a mute the SDK client hears of; a refusal shows the server error and code', async () => {
  const muted = nextEvent(bob, 'member', (e) => e.action === 'muted' && e.user === 'bob');
  await page.getByRole('button', { name: 'Mute bob', exact: true }).click();
  await confirmDialog('Mute bob in lobby', 'Mute', (d) => d.getByLabel('For').selectOption({ label: '1 hour' }));
  await status('bob is muted in lobby for 1 hour.');
  const [event] = await muted;
  assert.ok(event.until > Date.now() + 3500_000 && event.until <= Date.now() + 3600_000, `until ${event.until}`);
  await until(bob, (c) => (c.room(ROOM)?.mutedUntil ?? 0) > Date.now(), "bob's room muted");

  // Cancel asks nothing of the server.
  await page.getByRole('button', { name: 'Kick carol' }).click();
  await page.getByRole('dialog', { name: 'Kick carol from lobby?' }).getByRole('button', { name: 'Cancel' }).click();
  assert.ok(await memberOf(ROOM, 'carol'));

  await page.getByLabel('User name').fill('not a name');
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.getByRole('alert').filter({ hasText: /\(bad_request, 400\)$/ }).waitFor();
});

test('a room: kicking the SDK client reaches it', async () => {
  const left = nextEvent(bob, 'left', (room) => room === ROOM);
  await page.getByRole('button', { name: 'Kick bob' }).click();
  await confirmDialog('Kick bob from lobby?', 'Kick');
  await status('bob was kicked from lobby.');
  const [, reason] = await left;
  assert.equal(reason, 'kicked');
  assert.equal(await memberOf(ROOM, 'bob'), undefined);
  await page.getByTestId('member-bob').waitFor({ state: 'detached' });
});

test('Webhooks: the dead delivery is replayed to the receiver', async () => {
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByTestId('endpoint-sink').getByTestId('endpoint-dead').filter({ hasText: /^1$/ }).waitFor();
  await page.getByLabel('State').selectOption('dead');
  const [dead] = (await api('GET', '/webhooks/deliveries?state=dead')).deliveries;
  assert.equal(dead.id, firstDelivery.headers['webhook-id']);
  await page.getByRole('button', { name: `Replay delivery ${dead.seq} to sink` }).click();
  await confirmDialog('Replay dead deliveries?', 'Replay');
  await status('Replayed 1.');
  // The same event again, under the same id (receivers deduplicate by it).
  const again = await receiver.next((r) => r.headers['webhook-id'] === dead.id);
  assert.deepEqual(again.body, firstDelivery.body);
  await page.getByLabel('State').selectOption('delivered');
  await page.getByTestId(`delivery-sink-${dead.seq}`).getByTestId('delivery-state').filter({ hasText: 'delivered' }).waitFor();
  await page.getByTestId('endpoint-sink').getByTestId('endpoint-dead').filter({ hasText: /^0$/ }).waitFor();
});

test('Users: look a user up, see their rooms, disable them', async () => {
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByLabel('User name').fill('carol');
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.getByTestId('user-state').filter({ hasText: 'active' }).waitFor();
  await page.getByRole('row', { name: new RegExp(`^${ROOM} public moderator`) }).waitFor();
  await page.getByRole('button', { name: 'Disable' }).click();
  await confirmDialog('Disable carol?', 'Disable');
  await page.getByTestId('user-state').filter({ hasText: 'disabled' }).waitFor();
  assert.equal((await api('GET', '/users/carol')).disabled, true);
});

test('log out clears the key from the tab', async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('Server API key').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('parley.admin.key')), null);
  await page.reload();
  await page.getByLabel('Server API key').waitFor();
});

test('a server with the API off says so at login', async () => {
  const off = await startServer();
  try {
    await page.goto(`${off.url}/admin/`);
    await page.getByLabel('Server API key').fill(KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The server API is off on this server' }).waitFor();
  } finally {
    await off.stop();
  }
});
