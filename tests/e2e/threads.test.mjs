// End-to-end: threads, mentions, pins and read ticks between two users in Chromium through a real
// parleyd, and the thread pane on a phone.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, finish, launchBrowser, logIn, openRoom, say, signUp, startServer, waitForMessage, watchPage } from './harness.mjs';

let server;
let browser;
let ctxA;
let ctxB;
let alice;
let bob;
const log = [];
const pages = {};

/** The room-list message (not a reply) with this text. */
const messageWith = (page, text) => page.getByTestId('messages').locator('[data-testid=message]', { has: page.locator('.text', { hasText: text }) });

/** Types into a composer one key at a time (so the @ popup sees each). */
async function type(page, testid, text) {
  await page.getByTestId(testid).pressSequentially(text);
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ctxA = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  ctxB = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  alice = pages.alice = await ctxA.newPage();
  bob = pages.bob = await ctxB.newPage();
  watchPage(alice, 'alice', log);
  watchPage(bob, 'bob', log);
});

after(() => finish({ name: 'threads', pages, log, browser, server }));

test('a reply in a thread: the other sees it in the thread pane, and the reply count on the message', async () => {
  await signUp(alice, server.url, 'alice', 'alice-password'); // the first in #general: its owner
  await signUp(bob, server.url, 'bob', 'bob-password');
  await alice.getByTestId('composer').waitFor();
  await openRoom(bob, 'general');

  await say(alice, 'Lunch at noon? Menu: https://example.org/menu.');
  await waitForMessage(bob, 'Lunch at noon? Menu: https://example.org/menu.');
  // The link is a link, opened safely; the full stop after it is not part of it.
  const link = messageWith(bob, 'Lunch at noon?').locator('a.link-out');
  assert.equal(await link.getAttribute('href'), 'https://example.org/menu');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await link.getAttribute('target'), '_blank');

  await messageWith(bob, 'Lunch at noon?').getByTestId('msg-menu').click();
  await bob.getByTestId('reply-in-thread').click();
  await bob.getByTestId('thread-pane').waitFor();
  await bob.getByTestId('thread-composer').fill('Yes, see you there');
  await bob.getByTestId('thread-composer').press('Enter');
  await bob.getByTestId('thread-replies').locator('.text', { hasText: 'Yes, see you there' }).waitFor();

  // Alice: the message counts one reply (the reply is not in the room's list); it opens the thread.
  const count = messageWith(alice, 'Lunch at noon?').getByTestId('reply-count');
  await count.filter({ hasText: '1 reply' }).waitFor();
  assert.equal(await alice.getByTestId('messages').locator('.text', { hasText: 'Yes, see you there' }).count(), 0);
  await count.click();
  await alice.getByTestId('thread-replies').locator('.text', { hasText: 'Yes, see you there' }).waitFor();

  // Alice replies in the thread: Bob's open pane shows it live, and the count moves to 2.
  await alice.getByTestId('thread-composer').fill('Great, booking a table');
  await alice.getByTestId('thread-composer').press('Enter');
  await bob.getByTestId('thread-replies').locator('.text', { hasText: 'Great, booking a table' }).waitFor();
  await bob.getByTestId('thread-reply-count').filter({ hasText: '2 replies' }).waitFor();
  await messageWith(bob, 'Lunch at noon?').getByTestId('reply-count').filter({ hasText: '2 replies' }).waitFor();
  const replies = await bob.getByTestId('thread-replies').locator('.text').allTextContents();
  assert.deepEqual(replies, ['Yes, see you there', 'Great, booking a table']);
  await bob.screenshot({ path: join(ROOT, 'tests/e2e/artifacts/thread-desktop.png') });
  await alice.getByTestId('thread-close').click();
  await bob.getByTestId('thread-close').click();
});

test('mentions: the @ popup, a badge in the room list, the message highlighted', async () => {
  // Both also in #side, so that each can be elsewhere when mentioned in #general.
  for (const page of [alice, bob]) {
    await page.getByTestId('join-input').fill('side');
    await page.getByTestId('join-button').click();
    await page.locator('.room-header h2', { hasText: '#side' }).waitFor();
  }

  await openRoom(alice, 'general');
  await type(alice, 'composer', 'Hey @b');
  const popup = alice.getByTestId('composer-suggestions');
  await popup.locator('[data-user=bob]').waitFor();
  await alice.getByTestId('composer').press('Enter'); // takes the highlighted name
  await type(alice, 'composer', 'can you review the slides?'); // typed on at once: after the name
  assert.equal(await alice.getByTestId('composer').inputValue(), 'Hey @bob can you review the slides?');
  await alice.getByTestId('composer').press('Enter');

  // Bob is in #side: #general shows a mention badge; opening it shows the message highlighted.
  await bob.getByTestId('mentions-general').filter({ hasText: '@1' }).waitFor();
  await openRoom(bob, 'general');
  const mentioned = messageWith(bob, 'can you review the slides?');
  await mentioned.and(bob.locator('[data-mention=true]')).waitFor();
  assert.equal(await mentioned.getByTestId('mention-token').textContent(), '@bob');
  await bob.getByTestId('mentions-general').waitFor({ state: 'detached' });

  // And back: Bob names Alice (arrow keys in the popup), who is in #side now.
  await openRoom(alice, 'side');
  await type(bob, 'composer', '@');
  await bob.getByTestId('composer-suggestions').locator('[data-user=alice]').waitFor();
  const options = await bob.getByTestId('composer-suggestions').locator('[role=option]').evaluateAll((els) => els.map((e) => e.dataset.user));
  await bob.getByTestId('composer').press('ArrowDown');
  const chosen = options[1 % options.length];
  await bob.getByTestId('composer').press('Tab');
  assert.equal(await bob.getByTestId('composer').inputValue(), `@${chosen} `);
  await bob.getByTestId('composer').fill('@alice done, looks good');
  await bob.getByTestId('composer').press('Enter');
  await alice.getByTestId('mentions-general').filter({ hasText: '@1' }).waitFor();
  await openRoom(alice, 'general');
  await messageWith(alice, 'done, looks good').and(alice.locator('[data-mention=true]')).waitFor();
  // Opened with it unread: the "new messages" line stands right above it.
  const next = await alice.getByTestId('new-messages').evaluate((el) => el.nextElementSibling?.textContent ?? '');
  assert.match(next, /done, looks good/);
});

test('only http, https and mailto become links', async () => {
  await say(bob, 'javascript:alert(1) data:text/html,x https://ok.example/a?b=1 mailto:x@example.org');
  const m = messageWith(alice, 'javascript:alert(1)');
  await m.waitFor();
  const hrefs = await m.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs, ['https://ok.example/a?b=1', 'mailto:x@example.org']);
  assert.equal(await m.locator('.text').textContent(), 'javascript:alert(1) data:text/html,x https://ok.example/a?b=1 mailto:x@example.org');
});

test('desktop notifications while hidden: direct messages and mentions, as the notify level allows', async () => {
  // Alice on another device whose Notification API and page visibility the test controls.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  await ctx.addInitScript(() => {
    window.__notes = [];
    let hidden = false;
    window.__setHidden = (h) => (hidden = h);
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    window.Notification = class {
      static permission = 'default';
      static requestPermission() {
        window.Notification.permission = 'granted';
        return Promise.resolve('granted');
      }
      constructor(title, opts) {
        window.__notes.push(`${title}: ${opts?.body}`);
      }
      close() {}
    };
  });
  const page = (pages.notified = await ctx.newPage());
  watchPage(page, 'alice-notified', log);
  await logIn(page, server.url, 'alice', 'alice-password');
  await page.getByTestId('enable-notifications').click(); // the permission is asked from a click
  await page.getByTestId('enable-notifications').waitFor({ state: 'detached' });
  await page.evaluate(() => window.__setHidden(true));
  const notes = () => page.evaluate(() => window.__notes);
  const noteFor = (text) => page.waitForFunction((t) => window.__notes.some((n) => n.endsWith(t)), text);

  await bob.getByTestId('dm-input').fill('alice');
  await bob.getByTestId('dm-button').click();
  await bob.locator('.room-header h2', { hasText: 'alice' }).waitFor();
  await say(bob, 'psst, a direct message');
  await noteFor('psst, a direct message');
  await openRoom(bob, 'general');
  await say(bob, 'nothing for alice here');
  await say(bob, '@alice but this is for you');
  await noteFor('@alice but this is for you');
  assert.deepEqual(await notes(), ['bob: psst, a direct message', 'bob in #general: @alice but this is for you']);

  // Mentions only in the direct room: a plain message there no longer notifies.
  await page.getByTestId('dm-bob').click();
  await page.getByTestId('info-open').click();
  await page.getByTestId('notify-level').selectOption('mentions');
  await page.locator('[data-testid=notify-level][data-level=mentions]').waitFor();
  await bob.getByTestId('dm-alice').click();
  await bob.locator('.room-header h2', { hasText: 'alice' }).waitFor();
  await say(bob, 'quiet now');
  await say(bob, '@alice except this');
  await noteFor('@alice except this');
  assert.equal((await notes()).length, 3);
  // Nothing: not even a mention.
  await page.getByTestId('notify-level').selectOption('none');
  await page.locator('[data-testid=notify-level][data-level=none]').waitFor(); // the server's answer
  await say(bob, '@alice silent');
  await page.getByTestId('messages').locator('.text', { hasText: '@alice silent' }).waitFor();
  await openRoom(bob, 'general');
  await say(bob, '@alice one more in general');
  await noteFor('@alice one more in general');
  assert.deepEqual((await notes()).slice(2), ['bob: @alice except this', 'bob in #general: @alice one more in general']);
  delete pages.notified;
  await ctx.close();
});

test('read ticks come back after a reload, and on a new device, from the others\' read positions', async () => {
  await say(alice, 'Slides are in the drive');
  await waitForMessage(bob, 'Slides are in the drive');
  const tick = (page) => messageWith(page, 'Slides are in the drive').getByTestId('tick');
  await tick(alice).filter({ hasText: '✓✓' }).waitFor();
  await alice.reload();
  await openRoom(alice, 'general');
  await tick(alice).filter({ hasText: '✓✓' }).waitFor();
  // A fresh browser profile has no cache: the ticks come from the positions `joined` tells.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const fresh = (pages.aliceFresh = await ctx.newPage());
  watchPage(fresh, 'alice-fresh', log);
  await logIn(fresh, server.url, 'alice', 'alice-password');
  await openRoom(fresh, 'general');
  await tick(fresh).filter({ hasText: '✓✓' }).waitFor();
  assert.match(await tick(fresh).getAttribute('title'), /read by bob/);
  delete pages.aliceFresh;
  await ctx.close();
});

test('pins: the owner pins a message, both see the pinned bar', async () => {
  await messageWith(alice, 'Slides are in the drive').getByTestId('msg-menu').click();
  await alice.getByTestId('pin').click();
  for (const page of [alice, bob]) await page.getByTestId('pinned-text').filter({ hasText: 'Slides are in the drive' }).waitFor();
  // Bob is a member: no pin in his menu.
  await messageWith(bob, 'Slides are in the drive').getByTestId('msg-menu').click();
  assert.equal(await bob.getByTestId('pin').count(), 0);
  await messageWith(bob, 'Slides are in the drive').getByTestId('msg-menu').click();
  await messageWith(alice, 'Slides are in the drive').getByTestId('msg-menu').click();
  await alice.getByTestId('unpin').click();
  for (const page of [alice, bob]) await page.getByTestId('pinned-bar').waitFor({ state: 'detached' });
});

test('a status text set by one user shows beside their name in the other\'s member list', async () => {
  const editor = alice.getByTestId('status-editor');
  await editor.getByLabel('Status text').fill('in a meeting');
  await editor.getByLabel('Status text').press('Enter');
  await openRoom(bob, 'general');
  await bob.getByTestId('info-open').click();
  const entry = bob.getByTestId('info-pane').locator('[data-testid=member][data-user=alice]');
  await entry.getByTestId('member-status').filter({ hasText: 'in a meeting' }).waitFor();
  await editor.getByTestId('clear-status').click();
  await entry.getByTestId('member-status').waitFor({ state: 'detached' });
});

test('on a phone (390×844) the thread pane covers the screen and nothing overflows sideways', async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = (pages.phone = await ctx.newPage());
  watchPage(phone, 'bob-phone', log);
  await logIn(phone, server.url, 'bob', 'bob-password');
  const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok((await overflow()) <= 0, 'the room list fits');
  await openRoom(phone, 'general');
  assert.ok((await overflow()) <= 0, 'the room fits');
  await messageWith(phone, 'Lunch at noon?').getByTestId('reply-count').click();
  const pane = phone.getByTestId('thread-pane');
  await pane.locator('.text', { hasText: 'Great, booking a table' }).waitFor();
  const box = await pane.boundingBox();
  assert.equal(Math.round(box.width), 390);
  assert.ok(box.height >= 800, `the pane is ${box.height}px high`);
  assert.ok((await overflow()) <= 0, 'the thread fits');
  const wide = await phone.evaluate(() =>
    [...document.querySelectorAll('[data-testid=thread-pane] *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).length,
  );
  assert.equal(wide, 0, 'nothing in the pane reaches past the screen');
  await phone.getByTestId('thread-composer').fill('From my phone');
  await phone.getByTestId('thread-composer').press('Enter');
  await alice.getByTestId('messages').locator('[data-testid=reply-count]', { hasText: '3 replies' }).waitFor();
  await phone.screenshot({ path: join(ROOT, 'tests/e2e/artifacts/phone-thread.png') });
  await phone.getByTestId('thread-close').click();
  await pane.waitFor({ state: 'detached' });
  await phone.getByTestId('info-open').click();
  await phone.getByTestId('info-pane').locator('[data-testid=member][data-user=alice]').waitFor();
  assert.ok((await overflow()) <= 0, 'the details fit');
  await phone.screenshot({ path: join(ROOT, 'tests/e2e/artifacts/phone-details.png') });
  delete pages.phone;
  await ctx.close();
});
