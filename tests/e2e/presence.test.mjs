// End-to-end: the online count in the room header, and a large room (here: over a presence
// limit of 1) that shows its count and a list fetched on demand instead of per-user presence,
// then goes back to per-user presence when it empties. docs/protocol.md → "Presence in large rooms".
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { finish, launchBrowser, startServer, watchPage } from './harness.mjs';

let server;
let browser;
const pages = {};
const log = [];

async function signUp(user) {
  const ctx = await browser.newContext({ viewport: { width: 900, height: 640 } });
  const page = await ctx.newPage();
  watchPage(page, user, log);
  await page.goto(server.url);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', `${user}-password`);
  await page.click('text=Create account');
  await page.getByTestId('whoami').filter({ hasText: user }).waitFor();
  await page.locator('.room-header h2', { hasText: '#general' }).waitFor(); // a wide screen opens it
  pages[user] = page;
  return page;
}

async function signIn(user) {
  const ctx = await browser.newContext({ viewport: { width: 900, height: 640 } });
  const page = await ctx.newPage();
  watchPage(page, `${user}-again`, log);
  await page.goto(server.url);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', `${user}-password`);
  await page.click('button:has-text("Log in")');
  await page.getByTestId('whoami').filter({ hasText: user }).waitFor();
  pages[`${user}-again`] = page;
  return page;
}

const online = (page, presence) => page.locator(`[data-testid=online][data-presence=${presence}]`);
const count = (page) => page.getByTestId('online-count');

before(async () => {
  server = await startServer({ args: ['--presence-limit', '1'] });
  browser = await launchBrowser();
});

after(() => finish({ name: 'presence', pages, log, browser, server }));

test('over the presence limit the header shows the count and lists who is online on demand', async () => {
  const alice = await signUp('alice');
  await online(alice, 'members').filter({ hasText: 'nobody else online' }).waitFor();

  const bob = await signUp('bob');
  // Two online in a room whose limit is one: both see the count, not per-user presence.
  for (const page of [alice, bob]) {
    await online(page, 'count').waitFor();
    await page.locator('[data-testid=online-count][data-count="2"]').waitFor();
    assert.equal(await count(page).textContent(), '2 online');
  }
  assert.equal(await alice.locator('[data-testid=online] [data-user]').count(), 0);

  await alice.getByTestId('online-list-toggle').click();
  const list = alice.getByTestId('online-list');
  await list.locator('[data-user=bob]').waitFor();
  assert.deepEqual(await list.locator('[data-user]').evaluateAll((els) => els.map((e) => e.getAttribute('data-user'))), ['alice', 'bob']);
  assert.match(await list.locator('[data-user=alice]').textContent(), /\(you\)/);
  assert.equal(await alice.getByTestId('online-more').count(), 0); // one page holds them

  // Bob leaves: back to the limit, per-user presence resumes and alice's list is fetched again.
  await bob.context().close();
  await online(alice, 'members').filter({ hasText: 'nobody else online' }).waitFor();
  assert.equal(await alice.getByTestId('online-list').count(), 0);

  // And back over it.
  const bob2 = await signIn('bob');
  await online(alice, 'count').waitFor();
  await alice.locator('[data-testid=online-count][data-count="2"]').waitFor();
  await online(bob2, 'count').waitFor();
});

/** An HS256 token for `user`, signed with the server's secret (as an application backend would). */
function token(user) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${body}.${createHmac('sha256', server.secret).update(body).digest('base64url')}`;
}

test('a crowd of more than a page: the list loads the next page on demand', async () => {
  const alice = pages.alice;
  const crowd = Array.from({ length: 110 }, (_, i) => `guest${String(i).padStart(3, '0')}`);
  // The crowd connects from a page of its own (same origin), each joining #general.
  const host = await (await browser.newContext()).newPage();
  pages.crowd = host;
  await host.goto(server.url);
  const joined = await host.evaluate(
    (tokens) =>
      Promise.all(
        tokens.map(
          (t) =>
            new Promise((resolve, reject) => {
              const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(t)}`);
              (window.crowd ??= []).push(ws);
              ws.onmessage = (e) => {
                const f = JSON.parse(e.data);
                if (f.type === 'welcome') ws.send(JSON.stringify({ type: 'join', room: 'general' }));
                if (f.type === 'joined') resolve(true);
              };
              ws.onerror = () => reject(new Error('socket failed'));
            }),
        ),
      ),
    crowd.map(token),
  );
  assert.equal(joined.length, crowd.length);
  const total = crowd.length + 2; // alice and bob
  await alice.locator(`[data-testid=online-count][data-count="${total}"]`).waitFor();
  assert.equal(await count(alice).textContent(), `${total.toLocaleString()} online`);

  assert.equal(await alice.getByTestId('online-list').count(), 0); // closed when the room went back to members
  await alice.getByTestId('online-list-toggle').click();
  const list = alice.getByTestId('online-list');
  const shown = () => list.locator('[data-user]').evaluateAll((els) => els.map((e) => e.getAttribute('data-user')));
  await alice.getByTestId('online-more').waitFor();
  assert.equal((await shown()).length, 100);
  await alice.getByTestId('online-more').click();
  await list.locator('[data-user=guest109]').waitFor();
  assert.deepEqual(await shown(), ['alice', 'bob', ...crowd].sort());
  assert.equal(await alice.getByTestId('online-more').count(), 0);

  // The crowd goes: the count follows.
  await host.evaluate(() => window.crowd.forEach((ws) => ws.close()));
  await alice.locator('[data-testid=online-count][data-count="2"]').waitFor();
});
