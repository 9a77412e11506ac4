// The web app's service worker (web/public/sw.js) shows the Web Push a real parleyd sends:
// a push service started by this test receives the server's encrypted push for a user who is
// offline, decrypts it (RFC 8291, with the subscription keys this test made), and hands the
// plaintext to the worker through Chromium's DevTools (ServiceWorker.deliverPushMessage: the
// browser's own push service is out of reach here). The notification the worker shows is read
// back from the registration.
import assert from 'node:assert/strict';
import { createECDH, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { finish, launchBrowser, startServer, watchPage, registerUser } from './harness.mjs';

let server;
let browser;
let pushService;
const pages = {};
const log = [];
const b64url = (buf) => Buffer.from(buf).toString('base64url');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

/** RFC 8291 §3.4 and RFC 8188: the aes128gcm body opened with the user agent's keys. */
function decryptPush(body, ua, authSecret) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const ecdhSecret = ua.computeSecret(asPublic);
  const prkKey = hmac(authSecret, ecdhSecret);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic, Buffer.from([1])]);
  const ikm = hmac(prkKey, keyInfo);
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01', 'binary')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01', 'binary')).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  const end = padded.lastIndexOf(2); // the last record's delimiter, then zero padding
  return padded.subarray(0, end).toString('utf8');
}

/** A push service on loopback: each POST to /push/<name> is kept until `next()` takes it. */
function startPushService() {
  const waiting = [];
  const received = [];
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(201).end();
      const got = { url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
      const w = waiting.shift();
      if (w) w(got);
      else received.push(got);
    });
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${srv.address().port}`,
        next: (timeoutMs = 20000) =>
          received.length
            ? Promise.resolve(received.shift())
            : new Promise((ok, fail) => {
                const t = setTimeout(() => fail(new Error('no push arrived')), timeoutMs);
                waiting.push((r) => (clearTimeout(t), ok(r)));
              }),
        close: () => new Promise((r) => srv.close(r)),
      }),
    ),
  );
}

const register = (user) => registerUser(server, user);

/** A protocol connection for one command and its reply (matched by ref). */
async function connect(token) {
  const ws = new WebSocket(`${server.url.replace('http:', 'ws:')}/ws?token=${token}`);
  const frames = [];
  const waiters = [];
  ws.on('message', (d) => {
    const f = JSON.parse(String(d));
    const i = waiters.findIndex((w) => w.pred(f));
    if (i >= 0) waiters.splice(i, 1)[0].ok(f);
    else frames.push(f);
  });
  const expect = (pred) => {
    const i = frames.findIndex(pred);
    if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]);
    return new Promise((ok) => waiters.push({ pred, ok }));
  };
  await expect((f) => f.type === 'welcome');
  let ref = 0;
  return {
    ws,
    async call(cmd) {
      const r = ++ref;
      ws.send(JSON.stringify({ ...cmd, ref: r }));
      const reply = await expect((f) => f.ref === r);
      assert.notEqual(reply.type, 'error', JSON.stringify(reply));
      return reply;
    },
  };
}

before(async () => {
  pushService = await startPushService();
  server = await startServer();
});

after(async () => {
  await pushService?.close();
  await finish({ name: 'push', pages, log, browser, server });
});

test("the service worker shows the server's push for a direct message to an offline user", async () => {
  const [aliceToken, bobToken] = [await register('push_alice'), await register('push_bob')];
  // The subscription a browser's push service would have made, with keys this test holds.
  const ua = createECDH('prime256v1');
  ua.generateKeys();
  const authSecret = randomBytes(16);
  const alice = await connect(aliceToken);
  await alice.call({
    type: 'push_subscribe',
    endpoint: `${pushService.url}/push/alice-laptop`,
    p256dh: b64url(ua.getPublicKey()),
    auth: b64url(authSecret),
  });
  alice.ws.close();

  // Alice's browser: the app's origin with the shipped worker, logged out (no connection).
  browser = await launchBrowser();
  const ctx = await browser.newContext();
  await ctx.grantPermissions(['notifications'], { origin: server.url });
  const page = await ctx.newPage();
  pages.alice = page;
  watchPage(page, 'alice', log);
  const cdp = await ctx.newCDPSession(page);
  const registered = new Promise((resolve) =>
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const r = registrations.find((x) => x.scopeURL === `${server.url}/` && !x.isDeleted);
      if (r) resolve(r.registrationId);
    }),
  );
  await cdp.send('ServiceWorker.enable');
  await page.goto(server.url);
  await page.evaluate(async () => {
    await navigator.serviceWorker.register('/sw.js');
    await navigator.serviceWorker.ready;
  });
  const registrationId = await registered;

  // Bob writes to her while she is offline: the server pushes, the push service gets it.
  const bob = await connect(bobToken);
  const dm = await bob.call({ type: 'dm', to: 'push_alice' });
  await bob.call({ type: 'message', room: dm.room, id: 'dm-1', text: 'are you there?' });
  const push = await pushService.next();
  assert.equal(push.url, '/push/alice-laptop');
  assert.equal(push.headers['content-encoding'], 'aes128gcm');
  assert.match(push.headers.authorization, /^vapid t=[^,]+, k=/);
  const note = JSON.parse(decryptPush(push.body, ua, authSecret));
  assert.equal(note.from, 'push_bob');
  assert.equal(note.text, 'are you there?');
  assert.equal(note.direct, true);
  bob.ws.close();

  // The plaintext the browser would have decrypted, to the worker.
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: server.url,
    registrationId,
    data: JSON.stringify(note),
  });
  const shown = await page.waitForFunction(
    async () => {
      const r = await navigator.serviceWorker.ready;
      const list = await r.getNotifications();
      return list.length ? list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })) : null;
    },
    undefined,
    { timeout: 15000, polling: 100 },
  );
  const [n] = await shown.jsonValue();
  assert.equal(n.title, 'push_bob');
  assert.equal(n.body, 'are you there?');
  assert.equal(n.tag, `${dm.room}:${note.seq}`);
  assert.deepEqual(n.data, { room: dm.room });
});
