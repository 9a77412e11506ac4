// End-to-end: two users in two Chromium browser contexts chat through a real parleyd.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, launchBrowser, messageTexts, startServer, waitForMessage, watchPage } from './harness.mjs';

let server;
let browser;
let ctxA;
let ctxB;
let alice;
let bob;
const log = [];

async function signUp(page, user, password) {
  await page.goto(server.url);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await page.click('text=Create account');
  await page.getByTestId('whoami').filter({ hasText: user }).waitFor();
}

async function openRoom(page, room) {
  await page.getByTestId(`room-${room}`).click();
  await page.getByTestId('composer').waitFor();
}

async function say(page, text) {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // Alice on a laptop-sized window, Bob on a phone-sized one.
  ctxA = await browser.newContext({ viewport: { width: 900, height: 640 } });
  ctxB = await browser.newContext({ viewport: { width: 390, height: 640 }, isMobile: true, hasTouch: true });
  alice = await ctxA.newPage();
  bob = await ctxB.newPage();
  watchPage(alice, 'alice', log);
  watchPage(bob, 'bob', log);
});

after(async () => {
  if (log.length && process.exitCode) console.error(log.join('\n'));
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

test('text that looks like HTML is shown as text', async () => {
  const evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold?</b>';
  await say(alice, evil);
  await waitForMessage(bob, evil);
  const inside = await bob.$$eval('[data-testid=message] .text', (els) => els.at(-1).children.length);
  assert.equal(inside, 0, 'no elements were created from the text');
  assert.equal(await bob.evaluate(() => window.__pwned), undefined);
  assert.equal(await alice.evaluate(() => window.__pwned), undefined);
});

test('screenshot of the two-user conversation for the README', async () => {
  await say(bob, 'Got them all, in order. Nice!');
  await waitForMessage(alice, 'Got them all, in order. Nice!');
  await bob.getByTestId('composer').pressSequentially('Talk soon');
  await alice.waitForFunction(() => document.querySelector('[data-testid=typing]')?.textContent === 'bob is typing…');
  const [a, b] = await Promise.all([alice.screenshot(), bob.screenshot()]);
  const page = await ctxA.newPage();
  await page.setViewportSize({ width: 1376, height: 720 });
  await page.setContent(`<body style="margin:0;background:#dfe4ec;display:flex;gap:24px;padding:28px 28px 0;align-items:flex-start;font-family:sans-serif">
    <figure style="margin:0"><img style="border-radius:10px;box-shadow:0 4px 20px #0003;display:block" src="data:image/png;base64,${a.toString('base64')}"><figcaption style="text-align:center;color:#556;padding:8px">alice — laptop</figcaption></figure>
    <figure style="margin:0"><img style="border-radius:18px;box-shadow:0 4px 20px #0003;display:block" src="data:image/png;base64,${b.toString('base64')}"><figcaption style="text-align:center;color:#556;padding:8px">bob — phone</figcaption></figure>
  </body>`);
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs/screenshot.png') });
  await page.close();
});
