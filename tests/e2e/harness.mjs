// Starts a real parleyd on an ephemeral port with a temporary data directory, serving the built
// web app (web/dist), and launches Debian's Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Starts parleyd. Pass the `port`, `dataDir` and `secret` of a stopped server to restart it
 * with the same address, database and tokens; `args`: more command-line options.
 */
export async function startServer({ port = 0, dataDir, secret, args = [] } = {}) {
  const bin = process.env.PARLEYD ?? join(ROOT, 'build/parleyd');
  const webRoot = process.env.PARLEY_WEB_ROOT ?? join(ROOT, 'web/dist');
  if (!existsSync(bin)) throw new Error(`${bin} not found: build it first (make build)`);
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`${webRoot}/index.html not found: run make web`);
  dataDir ??= mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  secret ??= randomBytes(24).toString('hex');
  const proc = spawn(
    bin,
    [
      '--host', '127.0.0.1',
      '--port', String(port),
      '--data-dir', dataDir,
      '--jwt-secret', secret,
      '--web-root', webRoot,
      '--store-sync', 'normal',
      '--log-level', process.env.PARLEY_LOG_LEVEL ?? 'warn',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
    if (process.env.PARLEY_E2E_VERBOSE) process.stderr.write(d);
  });
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`parleyd did not start in 15 s:\n${stderr}`)), 15000);
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /parleyd listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`parleyd exited with ${code}:\n${stderr}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    secret,
    stderr: () => stderr,
    /** SIGTERM (clients get close code 1012); `keepData` leaves the database for a restart. */
    async stop({ keepData = false } = {}) {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        let timer;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 12000)))]);
        clearTimeout(timer);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * After a file's tests: what the pages logged (when a test failed), the last view of each open
 * page in tests/e2e/artifacts/last-<name>-<page>.png, then the browser and the server closed.
 */
export async function finish({ name, pages, log, browser, server }) {
  if (log.length && process.exitCode) console.error(log.join('\n'));
  const dir = join(ROOT, 'tests/e2e/artifacts');
  mkdirSync(dir, { recursive: true });
  for (const [who, page] of Object.entries(pages)) {
    if (page && !page.isClosed()) await page.screenshot({ path: join(dir, `last-${name}-${who}.png`) }).catch(() => {});
  }
  await browser?.close();
  await server?.stop();
}

/** Collects page errors so a failing test can show them. */
export function watchPage(page, name, log) {
  page.on('pageerror', (e) => log.push(`[${name}] pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log.push(`[${name}] console.${m.type()}: ${m.text()}`);
  });
}

/** Texts of the messages in the open room, in display order. */
export function messageTexts(page) {
  return page.$$eval('[data-testid=message] .text', (els) => els.map((e) => e.textContent));
}

/** Waits until a message with exactly this text is shown. */
export function waitForMessage(page, text, timeout = 20000) {
  return page.waitForFunction(
    (t) => [...document.querySelectorAll('[data-testid=message] .text')].some((e) => e.textContent === t),
    text,
    { timeout },
  );
}

/** Registers `user` (password `<user>-password`) through the HTTP API of `server`; its token. */
export async function registerUser(server, user) {
  const res = await fetch(`${server.url}/api/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user, password: `${user}-password` }),
  });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`register ${user}: ${res.status} ${body}`);
  return JSON.parse(body).token;
}

/** Fills the login page at `url` and presses `button`; waits for the chat. */
async function enter(page, url, user, password, button) {
  await page.goto(url);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await page.click(button);
  await page.getByTestId('whoami').filter({ hasText: user }).waitFor();
}

/** Registers `user` on the login page at `url` and waits for the chat. */
export function signUp(page, url, user, password) {
  return enter(page, url, user, password, 'text=Create account');
}

/** Logs `user` in on the login page at `url` and waits for the chat. */
export function logIn(page, url, user, password) {
  return enter(page, url, user, password, 'button:text-is("Log in")');
}

/** Opens `room` from the room list (on a phone, going back to the list first). */
export async function openRoom(page, room) {
  const item = page.getByTestId(`room-${room}`);
  const title = page.locator('.room-header h2');
  await item.or(title).filter({ visible: true }).first().waitFor();
  if ((await title.isVisible()) && (await title.textContent()) === `#${room}`) return;
  // On a phone the room list and the room are separate screens.
  if (!(await item.isVisible())) await page.getByLabel('Back to rooms').click();
  await item.click();
  await page.locator('.room-header h2', { hasText: `#${room}` }).waitFor();
  await page.getByTestId('composer').waitFor();
}

/** Types `text` into the room's composer and sends it with Enter. */
export async function say(page, text) {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

/** Resolves once `pred(c)` holds for the SDK client `c`, checked on every change of it. */
export function until(c, pred, what, ms = 20000) {
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

/** The next `event` of the SDK client `c` whose arguments satisfy `pred`, as an array of its arguments. */
export function nextEvent(c, event, pred = () => true, ms = 20000) {
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
