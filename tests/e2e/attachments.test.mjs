// End-to-end: files in messages, between Alice on a laptop and Bob on a phone through a real
// parleyd — an image dropped on the room (its upload's progress, one file taken out before
// sending), its preview and the full image on the other side; a text file pasted into the
// composer, shown as a chip with its size, downloaded; the attach button on a phone; and the
// errors people get for a file over the limit, a type the server refuses and a used-up quota.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, finish, launchBrowser, openRoom, say, signUp, startServer, waitForMessage, watchPage } from './harness.mjs';
import { landscape, png } from './png.mjs';

const LIMIT = 1024 * 1024; // --max-upload-bytes: 1 MB
const QUOTA = 2 * LIMIT; // --upload-quota-bytes

let server;
let browser;
let alice;
let bob;
const log = [];
const pages = {};

/** A noisy PNG (it hardly compresses): about 3 bytes a pixel. */
const noise = (w, h) => png(w, h, (x, y) => [(x * 7919 + y * 104729) % 251, (x * y + 17) % 253, (x * 31 + y * 17) % 255]);

/** The room-list message (not a reply) with this text. */
const messageWith = (page, text) => page.getByTestId('messages').locator('[data-testid=message]', { has: page.locator('.text', { hasText: text }) });

const asFile = (name, type, bytes) => ({ name, type, base64: Buffer.from(bytes).toString('base64') });

/** Dispatches a drop of `files` on the element `selector` (dragenter, dragover, drop), as from the desktop. */
async function dropFiles(page, selector, files) {
  await page.evaluate(
    ({ selector, files }) => {
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      const target = document.querySelector(selector);
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    },
    { selector, files },
  );
}

/** Pastes `files` into the composer `testid`, as from the clipboard. */
async function pasteFiles(page, testid, files) {
  await page.getByTestId(testid).evaluate((box, files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    box.focus();
    box.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: dt }));
  }, files);
}

/** The pending file `name` in the room's composer, once in `state`. */
const pending = (page, name, state) => page.locator(`[data-testid=pending-file][data-name="${name}"][data-state=${state}]`);

/** How far the page reaches past the window sideways (0: nothing overflows). */
const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

before(async () => {
  server = await startServer({ args: ['--max-upload-bytes', String(LIMIT), '--upload-quota-bytes', String(QUOTA)] });
  browser = await launchBrowser();
  const ctxA = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const ctxB = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  alice = pages.alice = await ctxA.newPage();
  bob = pages.bob = await ctxB.newPage();
  watchPage(alice, 'alice', log);
  watchPage(bob, 'bob', log);
});

after(() => finish({ name: 'attachments', pages, log, browser, server }));

test('an image dropped on the room uploads with progress and goes with the text; the other sees its preview and opens it full size', async () => {
  await signUp(alice, server.url, 'alice', 'alice-password');
  await signUp(bob, server.url, 'bob', 'bob-password');
  await alice.getByTestId('composer').waitFor();
  await openRoom(bob, 'general');

  // Alice's uploads crawl (100 KB/s), so that the progress shows.
  const cdp = await alice.context().newCDPSession(alice);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 100 * 1024 });
  const valley = landscape(400, 300);
  const extra = noise(300, 300); // ~270 KB: about 3 s
  await dropFiles(alice, '[data-testid=messages]', [asFile('valley.png', 'image/png', valley), asFile('extra.png', 'image/png', extra)]);
  await pending(alice, 'valley.png', 'done').waitFor();
  const bar = pending(alice, 'extra.png', 'uploading').getByTestId('upload-progress');
  await alice.waitForFunction(() => {
    const v = Number(document.querySelector('[data-name="extra.png"] [data-testid=upload-progress]')?.getAttribute('aria-valuenow'));
    return v > 0 && v < 100;
  });
  assert.ok(Number(await bar.getAttribute('aria-valuenow')) < 100);
  assert.equal(await alice.getByTestId('send').textContent(), 'Uploading…');
  assert.equal(await alice.getByTestId('send').isDisabled(), true);
  // Taken out while it uploads: its upload stops, and it does not go.
  await pending(alice, 'extra.png', 'uploading').getByTestId('remove-file').click();
  await alice.locator('[data-testid=pending-file][data-name="extra.png"]').waitFor({ state: 'detached' });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  await say(alice, 'The valley from the ridge');
  await alice.getByTestId('composer-files').waitFor({ state: 'detached' });
  const sent = messageWith(alice, 'The valley from the ridge');
  await sent.getByTestId('attachment-thumb').waitFor();

  // Bob, on his phone: the preview is the server's thumbnail (at most 320 px), from a blob: URL.
  await waitForMessage(bob, 'The valley from the ridge');
  const m = messageWith(bob, 'The valley from the ridge');
  assert.equal(await m.getByTestId('attachment-image').count(), 1, 'only the file left in went');
  const thumb = m.getByTestId('attachment-thumb');
  await thumb.waitFor();
  await bob.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumb.elementHandle());
  const size = await thumb.evaluate((img) => [img.naturalWidth, img.naturalHeight, img.src.slice(0, 5)]);
  assert.deepEqual(size, [320, 240, 'blob:']);
  assert.ok((await overflow(bob)) <= 0, 'the room fits the phone');

  // A tap opens the full image over the whole screen.
  await m.getByTestId('attachment-image').click();
  const box = bob.getByTestId('lightbox');
  await box.waitFor();
  const full = bob.locator('[data-testid=lightbox-image][data-full=true]');
  await full.waitFor();
  await bob.waitForFunction((img) => img.complete && img.naturalWidth > 0, await full.elementHandle());
  assert.deepEqual(await full.evaluate((img) => [img.naturalWidth, img.naturalHeight]), [400, 300]);
  const rect = await box.boundingBox();
  assert.deepEqual([Math.round(rect.width), Math.round(rect.height)], [390, 844]);
  const shown = await full.boundingBox();
  assert.ok(shown.width <= 390 && shown.width >= 360, `the image is ${shown.width}px wide`);
  assert.match(await box.textContent(), /valley\.png.*400×300/);
  await bob.screenshot({ path: join(ROOT, 'tests/e2e/artifacts/attachment-lightbox-phone.png') });
  await bob.getByTestId('lightbox-close').click();
  await box.waitFor({ state: 'detached' });
});

test('a text file pasted into the composer goes alone, as a chip with its name and size that downloads it', async () => {
  const text = 'Agenda\n1. the valley trip\n2. the budget\n3. anything else\n';
  await pasteFiles(alice, 'composer', [asFile('agenda.txt', 'text/plain', Buffer.from(text))]);
  await pending(alice, 'agenda.txt', 'done').waitFor();
  await alice.getByTestId('composer').press('Enter'); // no text: the file alone
  const chip = (page) => page.getByTestId('messages').locator('[data-testid=file-chip]', { hasText: 'agenda.txt' });
  await chip(alice).waitFor();
  await chip(bob).waitFor();
  assert.equal(await chip(bob).textContent(), `agenda.txt · ${text.length} B`);
  const [download] = await Promise.all([bob.waitForEvent('download'), chip(bob).click()]);
  assert.equal(download.suggestedFilename(), 'agenda.txt');
  const { readFile } = await import('node:fs/promises');
  assert.equal(await readFile(await download.path(), 'utf8'), text);

  // Deleted, it is a tombstone for both, without its file.
  const msg = alice.getByTestId('messages').locator('[data-testid=message]', { has: alice.locator('[data-testid=file-chip]', { hasText: 'agenda.txt' }) });
  const id = await msg.getAttribute('data-id');
  await msg.getByTestId('msg-menu').click();
  await msg.getByTestId('delete').click();
  await msg.getByTestId('delete-confirm').click();
  const tomb = bob.locator(`[data-testid=message][data-id="${id}"][data-deleted=true]`);
  await tomb.waitFor();
  assert.equal(await tomb.getByTestId('file-chip').count(), 0);
});

test('on a phone the attach button picks the files; a reply in a thread can carry one', async () => {
  const [chooser] = await Promise.all([bob.waitForEvent('filechooser'), bob.getByTestId('composer-attach').click()]);
  await chooser.setFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: landscape(300, 400) });
  await pending(bob, 'sunset.png', 'done').waitFor();
  assert.ok((await overflow(bob)) <= 0, 'the pending file fits');
  await say(bob, 'Same place, at sunset');
  const m = messageWith(alice, 'Same place, at sunset');
  await m.getByTestId('attachment-thumb').waitFor();
  await alice.waitForFunction((img) => img.complete && img.naturalWidth > 0, await m.getByTestId('attachment-thumb').elementHandle());

  // Alice answers in its thread with a file.
  await m.getByTestId('msg-menu').click();
  await alice.getByTestId('reply-in-thread').click();
  const [pick] = await Promise.all([alice.waitForEvent('filechooser'), alice.getByTestId('thread-composer-attach').click()]);
  await pick.setFiles({ name: 'route.txt', mimeType: 'text/plain', buffer: Buffer.from('up the ridge, then left\n') });
  await alice.locator('[data-testid=thread-pane] [data-testid=pending-file][data-state=done]').waitFor();
  await alice.getByTestId('thread-composer').fill('The route we took');
  await alice.getByTestId('thread-composer').press('Enter');
  await messageWith(bob, 'Same place, at sunset').getByTestId('reply-count').filter({ hasText: '1 reply' }).click();
  await bob.getByTestId('thread-replies').locator('[data-testid=file-chip]', { hasText: 'route.txt · 24 B' }).waitFor();
  assert.ok((await overflow(bob)) <= 0, 'the thread fits');
  await bob.getByTestId('thread-close').click();
  await alice.getByTestId('thread-close').click();
});

test('a file over the limit, a type the server refuses and a used-up quota are told, and can be taken out', async () => {
  const big = Buffer.alloc(LIMIT + 100_000, 7);
  const tool = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256));
  await alice.getByTestId('composer-file').setInputFiles([
    { name: 'backup.zip', mimeType: 'application/zip', buffer: big },
    { name: 'tool.bin', mimeType: 'application/octet-stream', buffer: tool },
  ]);
  const tooLarge = pending(alice, 'backup.zip', 'failed').getByTestId('upload-error');
  await tooLarge.waitFor();
  assert.equal(await tooLarge.getAttribute('data-code'), 'too_large');
  assert.equal(await tooLarge.textContent(), 'Too large: files can be at most 1 MB');
  const refused = pending(alice, 'tool.bin', 'failed').getByTestId('upload-error');
  await refused.waitFor();
  assert.equal(await refused.getAttribute('data-code'), 'unsupported_type');
  assert.equal(await refused.textContent(), 'This type of file cannot be sent');
  assert.equal(await alice.getByTestId('send').isDisabled(), true, 'nothing to send');
  for (const name of ['backup.zip', 'tool.bin']) await pending(alice, name, 'failed').getByTestId('remove-file').click();
  await alice.getByTestId('composer-files').waitFor({ state: 'detached' });

  // Uploads of about 0.9 MB each, never sent, until the 2 MB quota is used up.
  const chunk = (i) => ({ name: `part${i}.txt`, mimeType: 'text/plain', buffer: Buffer.alloc(900_000, 97 + i) });
  await alice.getByTestId('composer-file').setInputFiles([chunk(1), chunk(2), chunk(3)]);
  // They go at once: the two that the server stored first fit, the third does not.
  await alice.waitForFunction(() => document.querySelectorAll('[data-testid=pending-file][data-state=uploading]').length === 0);
  assert.equal(await alice.locator('[data-testid=pending-file][data-state=done]').count(), 2);
  const quota = alice.locator('[data-testid=pending-file][data-state=failed] [data-testid=upload-error]');
  await quota.waitFor();
  assert.equal(await quota.getAttribute('data-code'), 'limit_exceeded');
  assert.equal(await quota.textContent(), 'Your upload quota is used up');
  await alice.screenshot({ path: join(ROOT, 'tests/e2e/artifacts/attachment-errors.png') });
});
