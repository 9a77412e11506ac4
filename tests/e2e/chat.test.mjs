// End-to-end: two users in two Chromium browser contexts chat through a real parleyd.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, launchBrowser, messageTexts, openRoom, say, signUp as signUpAt, startServer, waitForMessage, watchPage } from './harness.mjs';
import { landscape } from './png.mjs';

let server;
let browser;
let ctxA;
let ctxB;
let alice;
let bob;
const log = [];
const rateLimited = { alice: 0 };
// A tighter message rate than the default (10/s over a burst of 20), so that the burst test's
// sends outrun it even when a loaded machine types them slowly.
const RATE = ['--rate-per-sec', '5', '--rate-burst', '10'];

function signUp(page, user, password) {
  return signUpAt(page, server.url, user, password);
}

before(async () => {
  server = await startServer({ args: RATE });
  browser = await launchBrowser();
  // Alice on a laptop-sized window, Bob on a phone-sized one.
  ctxA = await browser.newContext({ viewport: { width: 900, height: 640 } });
  ctxB = await browser.newContext({ viewport: { width: 390, height: 640 }, isMobile: true, hasTouch: true });
  alice = await ctxA.newPage();
  bob = await ctxB.newPage();
  watchPage(alice, 'alice', log);
  alice.on('websocket', (ws) =>
    ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string' && f.payload.includes('"rate_limited"')) rateLimited.alice++;
    }),
  );
  watchPage(bob, 'bob', log);
});

after(async () => {
  if (log.length && process.exitCode) console.error(log.join('\n'));
  // The last state of each page, for looking into a failure.
  const dir = join(ROOT, 'tests/e2e/artifacts');
  mkdirSync(dir, { recursive: true });
  for (const [name, page] of [['alice', alice], ['bob', bob]]) {
    await page?.screenshot({ path: join(dir, `last-${name}.png`) }).catch(() => {});
  }
  await browser?.close();
  await server?.stop();
});

test('two users register, land in #general and chat both ways', async () => {
  await signUp(alice, 'alice', 'alice-password');
  await signUp(bob, 'bob', 'bob-password');
  // Wide screen: the first room opens by itself. Phone: the room list shows first.
  await alice.getByTestId('composer').waitFor();
  await openRoom(bob, 'general');

  await say(alice, 'Hi Bob! Are you there?');
  await waitForMessage(bob, 'Hi Bob! Are you there?');
  await say(bob, 'Hey Alice, yes — on my phone.');
  await waitForMessage(alice, 'Hey Alice, yes — on my phone.');
  await say(alice, 'Great, the train wifi keeps dropping though.');
  await waitForMessage(bob, 'Great, the train wifi keeps dropping though.');

  assert.deepEqual(await messageTexts(bob), [
    'Hi Bob! Are you there?',
    'Hey Alice, yes — on my phone.',
    'Great, the train wifi keeps dropping though.',
  ]);
  assert.deepEqual(await messageTexts(alice), await messageTexts(bob));
  // Presence: each sees the other online.
  await alice.locator('[data-testid=online] [data-user=bob]').waitFor();
  await bob.locator('[data-testid=online] [data-user=alice]').waitFor();
  assert.equal(await alice.getByTestId('online-count').textContent(), '2 online');
  // A day separator precedes the first message.
  assert.equal(await alice.getByTestId('day').first().textContent(), 'Today');
});

test('typing shows for the other user and clears', async () => {
  const typingLine = alice.getByTestId('typing');
  await bob.getByTestId('composer').pressSequentially('let me ch');
  await alice.waitForFunction(() => document.querySelector('[data-testid=typing]')?.textContent === 'bob is typing…');
  // Clearing the draft sends active:false at once.
  await bob.getByTestId('composer').fill('');
  await alice.waitForFunction(() => document.querySelector('[data-testid=typing]')?.textContent === '');
  // Typing, then sending, clears it too.
  await bob.getByTestId('composer').pressSequentially('No worries');
  await alice.waitForFunction(() => document.querySelector('[data-testid=typing]')?.textContent === 'bob is typing…');
  await bob.getByTestId('composer').press('Enter');
  await waitForMessage(alice, 'No worries');
  await alice.waitForFunction(() => document.querySelector('[data-testid=typing]')?.textContent === '');
  assert.equal(await typingLine.textContent(), '');
  // Typing, then stopping with a draft left: bob's client sends active:false after 3 s idle.
  await bob.getByTestId('composer').pressSequentially('hmm');
  await alice.waitForFunction(() => document.querySelector('[data-testid=typing]')?.textContent === 'bob is typing…');
  const shown = Date.now();
  await alice.waitForFunction(() => document.querySelector('[data-testid=typing]')?.textContent === '', null, { timeout: 10000 });
  const gone = Date.now() - shown;
  assert.ok(gone >= 2000 && gone < 6000, `cleared after ${gone} ms of idle (3 s expected)`);
  await bob.getByTestId('composer').fill('');
});

test('read ticks appear on the sender\'s messages once the other user has seen them', async () => {
  await say(alice, 'Did you get the slides?');
  await waitForMessage(bob, 'Did you get the slides?');
  // Every one of Alice's messages turns from sent (✓) to read (✓✓).
  await alice.waitForFunction(() => {
    const mine = [...document.querySelectorAll('[data-testid=message][data-user=alice]')];
    return mine.length === 3 && mine.every((m) => m.getAttribute('data-state') === 'read');
  });
  assert.equal(await alice.locator('[data-testid=message][data-user=alice] [data-testid=tick]').last().textContent(), '✓✓');
});

test('offline: three messages queue, then arrive exactly once and in order', async () => {
  await ctxA.setOffline(true);
  await alice.getByTestId('banner').filter({ hasText: 'Offline' }).waitFor();
  const texts = ['Tunnel. Sending anyway: one', 'two', 'three'];
  for (const t of texts) await say(alice, t);
  await alice.getByTestId('queued').filter({ hasText: '3 messages queued' }).waitFor();
  const pending = await alice.$$eval('[data-testid=message][data-state=pending] .text', (els) => els.map((e) => e.textContent));
  assert.deepEqual(pending, texts);

  await ctxA.setOffline(false);
  await alice.getByTestId('banner').waitFor({ state: 'detached' });
  // Alice's copies are acked (no longer pending) and Bob has all three.
  await alice.waitForFunction(() => document.querySelectorAll('[data-testid=message][data-state=pending]').length === 0);
  for (const t of texts) await waitForMessage(bob, t);

  const seen = await messageTexts(bob);
  for (const t of texts) assert.equal(seen.filter((s) => s === t).length, 1, `"${t}" exactly once`);
  assert.deepEqual(seen.slice(-3), texts);
  const seqs = await bob.$$eval('[data-testid=message]', (els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'bob holds seq 1..n without gaps or repeats');
  assert.deepEqual(await messageTexts(alice), seen);
});

test('after a reload the history is there', async () => {
  const before = await messageTexts(alice);
  await alice.reload();
  await waitForMessage(alice, 'three');
  assert.deepEqual(await messageTexts(alice), before);
});

test('screenshot of the two-user conversation for the README', async () => {
  // Alice shares a photo; Bob answers in its thread, then mentions her, then types on.
  await alice.getByTestId('composer-file').setInputFiles({ name: 'valley.png', mimeType: 'image/png', buffer: landscape() });
  await alice.locator('[data-testid=pending-file][data-state=done]').waitFor();
  await say(alice, 'The view from the train!');
  const photo = (page) => page.getByTestId('messages').locator('[data-testid=message]', { has: page.locator('.text', { hasText: 'The view from the train!' }) });
  await photo(bob).getByTestId('msg-menu').click();
  await bob.getByTestId('reply-in-thread').click();
  await bob.getByTestId('thread-composer').fill('Wow! Where is that?');
  await bob.getByTestId('thread-composer').press('Enter');
  await bob.getByTestId('thread-replies').locator('.text', { hasText: 'Wow! Where is that?' }).waitFor();
  await bob.getByTestId('thread-close').click();
  await photo(alice).getByTestId('reply-count').filter({ hasText: '1 reply' }).waitFor();
  await say(bob, '@alice got them all, in order. Nice!');
  await alice.locator('[data-testid=message][data-mention=true]', { hasText: 'got them all, in order' }).waitFor();
  for (const page of [alice, bob]) {
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=attachment-thumb]')].some((img) => img.complete && img.naturalWidth > 0));
  }
  await bob.getByTestId('composer').pressSequentially('Talk soon');
  await alice.waitForFunction(() => document.querySelector('[data-testid=typing]')?.textContent === 'bob is typing…');
  const [a, b] = await Promise.all([alice.screenshot(), bob.screenshot()]);
  const page = await ctxA.newPage();
  await page.setViewportSize({ width: 1376, height: 720 });
  await page.setContent(`<body style="margin:0;background:#dfe4ec;display:flex;gap:24px;padding:28px 28px 0;align-items:flex-start;font-family:sans-serif">
    <figure style="margin:0"><img style="border-radius:10px;box-shadow:0 4px 20px #0003;display:block" src="data:image/png;base64,${a.toString('base64')}"><figcaption style="text-align:center;color:#556;padding:8px">alice — laptop</figcaption></figure>
    <figure style="margin:0"><img style="border-radius:18px;box-shadow:0 4px 20px #0003;display:block" src="data:image/png;base64,${b.toString('base64')}"><figcaption style="text-align:center;color:#556;padding:8px">bob — phone</figcaption></figure>
  </body>`);
  // Kept out of the work tree unless asked for: PARLEY_SCREENSHOT=docs/screenshot.png
  const path = resolve(ROOT, process.env.PARLEY_SCREENSHOT ?? 'tests/e2e/artifacts/screenshot.png');
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path });
  await page.close();
});

test('text that looks like HTML is shown as text', async () => {
  const evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold?</b>';
  await say(alice, evil);
  await waitForMessage(bob, evil);
  const inside = await bob.$$eval('[data-testid=message] .text', (els) => els.at(-1).children.length);
  assert.equal(inside, 0, 'no elements were created from the text');
  assert.equal(await bob.evaluate(() => window.__pwned), undefined);
  assert.equal(await alice.evaluate(() => window.__pwned), undefined);
});

test('a new room, unread badges, and a burst past the rate limit arrives whole and in order', async () => {
  // Alice creates #busy from the join box; Bob joins it from his phone's room list.
  await alice.getByTestId('join-input').fill('busy');
  await alice.getByTestId('join-button').click();
  await alice.locator('.room-header h2', { hasText: '#busy' }).waitFor();
  await bob.getByLabel('Back to rooms').click();
  await bob.getByTestId('join-input').fill('busy');
  await bob.getByTestId('join-button').click();
  await bob.locator('.room-header h2', { hasText: '#busy' }).waitFor();
  await bob.getByLabel('Back to rooms').click();
  await bob.getByTestId('room-general').waitFor();

  // The server allows 5 messages/s over a burst of 10 (RATE): 60 sends within 10 s get
  // rate_limited errors, which the outbox backs off from and retries instead of dropping.
  const N = 60;
  const texts = Array.from({ length: N }, (_, i) => `burst ${i + 1}`);
  // Typed and sent through the composer from inside the page, faster than 10 per second.
  await alice.evaluate(async (all) => {
    const box = document.querySelector('[data-testid=composer]');
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
    const frame = () => new Promise((r) => setTimeout(r, 0));
    for (const t of all) {
      setValue.call(box, t);
      box.dispatchEvent(new Event('input', { bubbles: true }));
      await frame();
      box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
      await frame();
    }
  }, texts);
  await bob.getByTestId('unread-busy').filter({ hasText: String(N) }).waitFor({ timeout: 30000 });
  await alice.waitForFunction(() => document.querySelectorAll('[data-testid=message][data-state=pending]').length === 0, null, {
    timeout: 30000,
  });
  assert.ok(rateLimited.alice > 0, 'the burst went past the server rate limit');
  assert.deepEqual(await messageTexts(alice), texts);

  // Bob's client held the room while the messages came in: all 60, in order, once each.
  await openRoom(bob, 'busy');
  await waitForMessage(bob, `burst ${N}`);
  assert.deepEqual(await messageTexts(bob), texts);

  // Carol joins afterwards: the newest page (50) first, then "load earlier" for the rest.
  const ctxC = await browser.newContext({ viewport: { width: 390, height: 640 }, isMobile: true, hasTouch: true });
  const carol = await ctxC.newPage();
  watchPage(carol, 'carol', log);
  await signUp(carol, 'carol', 'carol-password');
  await carol.getByTestId('join-input').fill('busy');
  await carol.getByTestId('join-button').click();
  await waitForMessage(carol, `burst ${N}`);
  assert.deepEqual(await messageTexts(carol), texts.slice(N - 50));
  await carol.getByTestId('load-earlier').click();
  await waitForMessage(carol, 'burst 1');
  assert.deepEqual(await messageTexts(carol), texts);
  await carol.getByTestId('load-earlier').waitFor({ state: 'detached' });
  await ctxC.close();

  // Having seen the newest message, Bob has no unread left in #busy.
  await bob.getByLabel('Back to rooms').click();
  await bob.getByTestId('room-busy').waitFor();
  assert.equal(await bob.getByTestId('unread-busy').count(), 0);
});

test('the outbox survives a reload while the server is unreachable', async () => {
  // Make /ws unreachable for Alice's page (HTTP still loads): each attempt is closed at once.
  let reachable = false;
  await alice.routeWebSocket(/\/ws/, (ws) => {
    if (reachable) ws.connectToServer();
    else ws.close({ code: 4000, reason: 'unreachable (test)' });
  });
  await alice.reload();
  await alice.getByTestId('banner').filter({ hasText: 'Reconnecting' }).waitFor();
  // Rooms and recent history come from the client's cache.
  await openRoom(alice, 'general');
  await waitForMessage(alice, 'three');
  const text = 'written while the server was unreachable';
  await say(alice, text);
  await alice.getByTestId('queued').filter({ hasText: '1 message queued' }).waitFor();

  // Reload: the message is still there, pending, read back from storage.
  await alice.reload();
  await alice.locator('[data-testid=message][data-state=pending] .text', { hasText: text }).waitFor();
  await alice.getByTestId('queued').filter({ hasText: '1 message queued' }).waitFor();

  reachable = true;
  await alice.getByTestId('banner').waitFor({ state: 'detached', timeout: 15000 });
  await openRoom(bob, 'general');
  await waitForMessage(bob, text);
  await alice.locator('[data-testid=message][data-state=sent], [data-testid=message][data-state=read]').filter({ hasText: text }).waitFor();
  assert.equal((await messageTexts(bob)).filter((t) => t === text).length, 1);
  await alice.unrouteAll();
});

test('a server restart (close 1012): both reconnect, the queued message is delivered once', async () => {
  await openRoom(alice, 'general');
  await openRoom(bob, 'general');
  const before = await messageTexts(bob);
  const { port, dataDir, secret } = server;
  await server.stop({ keepData: true });
  await alice.getByTestId('banner').filter({ hasText: 'Reconnecting' }).waitFor();
  await bob.getByTestId('banner').filter({ hasText: 'Reconnecting' }).waitFor();
  const text = 'sent while the server restarted';
  await say(alice, text);
  await alice.getByTestId('queued').filter({ hasText: '1 message queued' }).waitFor();

  server = await startServer({ port, dataDir, secret, args: RATE });
  await alice.getByTestId('banner').waitFor({ state: 'detached', timeout: 20000 });
  await bob.getByTestId('banner').waitFor({ state: 'detached', timeout: 20000 });
  await waitForMessage(bob, text);
  assert.deepEqual(await messageTexts(bob), [...before, text]);
  await alice.waitForFunction(() => document.querySelectorAll('[data-testid=message][data-state=pending]').length === 0);
});

test('an ack lost with the connection: the resend is deduplicated, the message shows once', async () => {
  // Alice's socket goes through a proxy that cuts the connection at the first reply about her
  // next message (its ack, or its echo), as if the network dropped right after the server
  // stored it: the client never learns that it was stored.
  let cutArmed = false;
  let cuts = 0;
  const sends = [];
  let ackedAfterCut;
  const resendAcked = new Promise((r) => (ackedAfterCut = r));
  await alice.routeWebSocket(/\/ws/, (page) => {
    const upstream = page.connectToServer();
    page.onMessage((m) => {
      if (typeof m === 'string' && m.includes('"type":"message"')) sends.push(JSON.parse(m));
      upstream.send(m);
    });
    upstream.onMessage((m) => {
      const f = typeof m === 'string' ? JSON.parse(m) : {};
      if (cutArmed && (f.type === 'ack' || (f.type === 'message' && f.user === 'alice'))) {
        cutArmed = false;
        cuts++;
        page.close({ code: 4002, reason: 'cut (test)' });
        upstream.close();
        return;
      }
      if (cuts && f.type === 'ack') ackedAfterCut(f);
      page.send(m);
    });
  });
  await alice.reload();
  await openRoom(alice, 'general');
  await alice.getByTestId('banner').waitFor({ state: 'detached' });
  await openRoom(bob, 'general');

  cutArmed = true;
  const text = 'stored, but the ack never arrived';
  await say(alice, text);
  await waitForMessage(bob, text);
  const ack = await resendAcked;
  await alice.locator('[data-testid=message][data-state=sent], [data-testid=message][data-state=read]').filter({ hasText: text }).waitFor();
  assert.equal(cuts, 1);
  const attempts = sends.filter((f) => f.text === text);
  assert.equal(attempts.length, 2, 'sent, then re-sent after the reconnect');
  assert.equal(attempts[0].id, attempts[1].id, 'with the same client id');
  assert.equal(ack.id, attempts[0].id, 'the server acked the resend (with the original seq)');

  await say(bob, 'and after it');
  await waitForMessage(alice, 'and after it');
  for (const page of [alice, bob]) {
    const texts = await messageTexts(page);
    assert.equal(texts.filter((t) => t === text).length, 1);
    assert.deepEqual(texts.slice(-2), [text, 'and after it']);
  }
  // The room's list leaves the thread replies out (they show in their threads): with them, 1..n.
  const seqs = await bob.$$eval('[data-testid=messages] [data-testid=message]', (els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  const replies = await bob.$$eval('[data-testid=messages] [data-testid=reply-count]', (els) => els.reduce((n, e) => n + Number(e.dataset.count), 0));
  assert.equal(seqs[0], 1);
  assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), 'ascending, no repeats');
  assert.equal(seqs.at(-1), seqs.length + replies, 'no gaps but the thread replies');
  await alice.unrouteAll();
});

/** Opens the direct conversation with `peer`, which the room list shows under the peer's name. */
async function openDm(page, peer) {
  const back = page.getByLabel('Back to rooms');
  if (await back.isVisible()) await back.click();
  const item = page.getByTestId(`dm-${peer}`);
  await item.waitFor();
  assert.equal(await item.locator('.room-name').textContent(), peer);
  await item.click();
  await page.locator('.room-header h2', { hasText: peer }).waitFor();
  await page.getByTestId('composer').waitFor();
}

/** The message with this client id, on `page`. */
const byId = (page, id) => page.locator(`[data-testid=message][data-id="${id}"]`);

async function waitForTombstone(page, id) {
  await byId(page, id).and(page.locator('[data-deleted=true]')).locator('.text', { hasText: 'message deleted' }).waitFor();
}

test('a direct message from the UI, listed under the sender\'s name; deleted, it is a tombstone for both', async () => {
  await alice.getByTestId('dm-input').fill('bob');
  await alice.getByTestId('dm-button').click();
  await alice.locator('.room-header h2', { hasText: 'bob' }).waitFor();
  assert.match(new URL(alice.url()).hash, /^#\/dm-[0-9a-f]{32}$/);
  const text = 'psst — just between us';
  await say(alice, text);
  const sent = alice.locator('[data-testid=message][data-state=sent], [data-testid=message][data-state=read]').filter({ hasText: text });
  await sent.waitFor();
  const id = await sent.getAttribute('data-id');

  await openDm(bob, 'alice');
  await waitForMessage(bob, text);
  assert.deepEqual(await messageTexts(bob), [text]);
  await alice.getByTestId('dm-bob').waitFor(); // alice's list names it by bob

  await byId(alice, id).getByTestId('msg-menu').click();
  await byId(alice, id).getByTestId('delete').click();
  await byId(alice, id).getByTestId('delete-confirm').click();
  await waitForTombstone(alice, id);
  await waitForTombstone(bob, id);
  assert.deepEqual(await messageTexts(bob), ['message deleted']);

  // After a reload (cache, then sync) and on a fresh device (history from the server only).
  await bob.reload();
  await waitForTombstone(bob, id);
  const ctx = await browser.newContext({ viewport: { width: 900, height: 640 } });
  const laptop = await ctx.newPage();
  watchPage(laptop, 'bob-laptop', log);
  await laptop.goto(server.url);
  await laptop.fill('input[name=user]', 'bob');
  await laptop.fill('input[name=password]', 'bob-password');
  await laptop.click('button:has-text("Log in")');
  await openDm(laptop, 'alice');
  await waitForTombstone(laptop, id);
  assert.deepEqual(await messageTexts(laptop), ['message deleted']);
  await ctx.close();
});

test('an edit and a reaction in the direct conversation reach the other side', async () => {
  await openDm(bob, 'alice');
  await say(alice, 'see you at 5');
  await waitForMessage(bob, 'see you at 5');
  const id = await alice.locator('[data-testid=message]', { hasText: 'see you at 5' }).getAttribute('data-id');

  await byId(alice, id).getByTestId('msg-menu').click();
  await byId(alice, id).getByTestId('edit').click();
  await alice.getByTestId('edit-input').fill('see you at 6');
  await alice.getByTestId('edit-input').press('Enter');
  await waitForMessage(bob, 'see you at 6');
  await byId(bob, id).getByTestId('edited').waitFor();

  await byId(bob, id).getByTestId('msg-menu').click();
  await byId(bob, id).locator('[data-testid=react][data-emoji="👍"]').click();
  const thumbs = (page) => byId(page, id).locator('[data-testid=reaction][data-emoji="👍"]');
  await thumbs(alice).filter({ hasText: '1' }).waitFor();
  assert.equal(await thumbs(bob).getAttribute('data-mine'), 'true');
  assert.equal(await thumbs(alice).getAttribute('data-mine'), null);
  // Toggled off by bob: gone on both sides.
  await thumbs(bob).click();
  await thumbs(alice).waitFor({ state: 'detached' });
  await thumbs(bob).waitFor({ state: 'detached' });

  // Bob was looking at the conversation: the events did not leave it unread. (A message after
  // them, delivered in order, shows that bob has them all.)
  await say(alice, 'ok');
  await waitForMessage(bob, 'ok');
  await bob.getByLabel('Back to rooms').click();
  await bob.getByTestId('dm-alice').waitFor();
  assert.equal(await bob.locator('[data-testid=dm-alice] .badge').count(), 0);
});
