#!/usr/bin/env node
// Smoke test of the bench peers (not part of `make test`): starts a throwaway redis-server
// (when a Redis peer is tested), then each peer, and checks the bench protocol end to end with
// two clients: welcome, join, one message delivered to both members with seq 1, the ack to the
// sender, the message persisted in Redis (Redis peers), a bad token refused, and a clean exit
// on SIGTERM. The Redis peers run two processes (fan-out across them through Redis); the bun
// peer runs one (its pub/sub is per process, its seq in memory).
// Needs `npm ci` in ws-redis/ (its `ws` is the client here) and in the folder of every peer
// tested, and redis-server on PATH for ws-redis and socketio.
// Usage: node bench/peers/smoke.mjs [ws-redis|socketio|bun ...]
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { signToken } from './common/jwt.mjs';

const here = new URL('.', import.meta.url).pathname;
const WebSocket = createRequire(join(here, 'ws-redis/package.json'))('ws');
const SECRET = 'smoke-secret-0123456789';
const children = new Set();
let failures = 0;
let passes = 0;

function check(cond, what) {
  if (cond) { passes++; console.log(`  ok   ${what}`); } else { failures++; console.log(`  FAIL ${what}`); }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

// Spawns a process and resolves with [child, match] once a stdout line matches `re`.
function start(cmd, args, re, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    children.add(child);
    child.on('exit', () => children.delete(child));
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 10_000);
    const onData = (d) => {
      out += d;
      const m = out.match(re);
      if (m) { clearTimeout(timer); resolve([child, m]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { out += d; process.stderr.write(`  [${cmd}] ${d}`); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited (${code}): ${out}`)); });
  });
}

function stop(child, ms = 6000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, ms);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve(signal ? signal : code); });
    child.kill('SIGTERM');
  });
}

// A client on top of a `ws` socket with a queue of decoded frames and an awaitable `next`.
class Client {
  constructor(url, decode) {
    this.decode = decode;
    this.queue = [];
    this.waiters = [];
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => {
      for (const frame of this.decode(data.toString(), this)) {
        const i = this.waiters.findIndex((w) => w.pred(frame));
        if (i >= 0) this.waiters.splice(i, 1)[0].resolve(frame); else this.queue.push(frame);
      }
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', resolve);
      this.ws.on('error', reject);
      this.ws.on('unexpected-response', (req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
    });
  }
  next(pred, what, ms = 5000) {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (f) => { clearTimeout(timer); resolve(f); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      this.waiters.push(w);
    });
  }
  close() { this.ws.terminate(); }
}

// Raw WebSocket bench protocol: one JSON object per text frame.
const rawProtocol = {
  url: (port, token) => `ws://127.0.0.1:${port}/ws?token=${token}`,
  decode: (text) => [JSON.parse(text)],
  send: (c, obj) => c.ws.send(JSON.stringify(obj)),
  async handshake() {},
};

// Socket.IO over Engine.IO v4, framed by hand exactly as README.md documents it:
// `0{...}` open, `40` connect, `40{"sid"}` connected, `42["event",payload]` events,
// `44{...}` connect error, `2` ping answered by `3` pong. Events decode to their payload.
const socketioProtocol = {
  url: (port, token) => `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&token=${token}`,
  decode(text, c) {
    if (text === '2') { c.ws.send('3'); return []; }
    if (text.startsWith('0')) return [{ eio: 'open', ...JSON.parse(text.slice(1)) }];
    if (text.startsWith('40')) return [{ eio: 'connected', ...JSON.parse(text.slice(2) || '{}') }];
    if (text.startsWith('44')) return [{ eio: 'connect_error', ...JSON.parse(text.slice(2)) }];
    if (text.startsWith('42')) {
      const [event, payload] = JSON.parse(text.slice(2));
      return [{ event, ...payload }];
    }
    return [{ eio: 'other', text }];
  },
  send: (c, { type, ...payload }) => c.ws.send(`42${JSON.stringify([type, payload])}`),
  async handshake(c) {
    const open = await c.next((f) => f.eio === 'open', 'Engine.IO open');
    check(typeof open.sid === 'string' && open.pingInterval > 0, `Engine.IO open packet (pingInterval ${open.pingInterval})`);
    c.ws.send('40');
    const first = await c.next((f) => f.eio === 'connected' || f.eio === 'connect_error', 'Socket.IO connect');
    if (first.eio !== 'connected') throw new Error(`connect refused: ${first.message}`);
  },
};

async function connect(proto, port, user) {
  const c = new Client(proto.url(port, signToken({ sub: user, exp: Math.floor(Date.now() / 1000) + 600 }, SECRET)), proto.decode);
  await c.opened;
  await proto.handshake(c);
  const welcome = await c.next((f) => f.type === 'welcome', 'welcome');
  check(welcome.user === user, `${user}: welcome {user:"${welcome.user}"}`);
  return c;
}

async function testPeer(name, { proto, procs: nprocs, runtime, redis: usesRedis }, redisPort) {
  console.log(`${name}:`);
  // Redis peers: two processes on the same Redis, as behind a balancer: alice and carol talk
  // to the first, bob to the second, so bob's copy crosses processes through Redis pub/sub.
  // bun: one process, everyone on it (--redis is passed all the same: it must be ignored).
  const procs = [];
  for (let i = 0; i < nprocs; i++) {
    const [proc, m] = await start(runtime,
      [join(here, name, 'server.mjs'), '--port', '0', '--redis', `redis://127.0.0.1:${redisPort ?? 1}`, '--jwt-secret', SECRET],
      /peer listening on http:\/\/127\.0\.0\.1:(\d+)/);
    procs.push({ proc, port: Number(m[1]) });
    check(procs[i].port > 0, `process ${i + 1} listening on ephemeral port ${procs[i].port}`);
  }
  const port = procs[0].port;
  const other = procs[procs.length - 1].port;
  const room = `smoke-${name}`;
  const clients = [];
  try {
    const alice = await connect(proto, port, 'alice');
    const bob = await connect(proto, other, 'bob');
    clients.push(alice, bob);
    for (const c of [alice, bob]) {
      proto.send(c, { type: 'join', room });
      const joined = await c.next((f) => f.type === 'joined', 'joined');
      check(joined.room === room && joined.last_seq === 0, `joined {room:"${joined.room}", last_seq:${joined.last_seq}}`);
    }
    proto.send(alice, { type: 'message', room, id: 'm-1', text: 'hello bench' });
    const ack = await alice.next((f) => f.type === 'ack', 'ack');
    check(ack.id === 'm-1' && ack.room === room && ack.seq === 1 && Number.isInteger(ack.ts), `sender got ack seq ${ack.seq}`);
    for (const [who, c] of [['alice', alice], ['bob', bob]]) {
      const msg = await c.next((f) => f.type === 'message', `message at ${who}`);
      check(msg.room === room && msg.id === 'm-1' && msg.seq === 1 && msg.user === 'alice' &&
        msg.text === 'hello bench' && msg.ts === ack.ts, `${who} got message seq ${msg.seq} from ${msg.user}${who === 'bob' && nprocs > 1 ? ' (via the other process)' : ''}`);
    }
    if (usesRedis) {
      const stored = execFileSync('redis-cli', ['-p', String(redisPort), 'LRANGE', `room:${room}:messages`, '0', '-1']).toString().trim().split('\n');
      check(stored.length === 1 && JSON.parse(stored[0]).seq === 1, `persisted: LRANGE room:${room}:messages has 1 entry`);
    }
    // The next message gets seq 2, and reaches both members once.
    proto.send(bob, { type: 'message', room, id: 'm-2', text: 'second' });
    const ack2 = await bob.next((f) => f.type === 'ack', 'ack 2');
    const got2 = await Promise.all([alice, bob].map((c) => c.next((f) => f.type === 'message', 'message 2')));
    check(ack2.seq === 2 && got2.every((f) => f.seq === 2 && f.user === 'bob'), `second message: seq ${ack2.seq} at ${got2.map((f) => f.seq).join(',')}`);
    // Errors: a message to a room not joined, and a frame that is not JSON.
    proto.send(alice, { type: 'message', room: 'not-joined', id: 'm-x', text: 'x' });
    const forbidden = await alice.next((f) => f.type === 'error', 'error forbidden');
    check(forbidden.code === 'forbidden' && forbidden.id === 'm-x', `message to a room not joined: error ${forbidden.code}`);
    if (proto === rawProtocol) {
      alice.ws.send('not json');
      const bad = await alice.next((f) => f.type === 'error', 'error bad_request');
      check(bad.code === 'bad_request', `frame that is not JSON: error ${bad.code}`);
    }

    // A late joiner sees last_seq 2.
    const carol = await connect(proto, port, 'carol');
    clients.push(carol);
    proto.send(carol, { type: 'join', room });
    const joined = await carol.next((f) => f.type === 'joined', 'joined');
    check(joined.last_seq === 2, `late join reports last_seq ${joined.last_seq}`);

    // A token signed with another secret is refused.
    const badToken = signToken({ sub: 'mallory' }, 'another-secret');
    const bad = new Client(proto.url(port, badToken), proto.decode);
    try {
      await bad.opened;
      await proto.handshake(bad);
      check(false, 'bad token refused');
    } catch (err) {
      check(err.status === 401 || /unauthorized/.test(err.message), `bad token refused (${err.status ? `HTTP ${err.status}` : err.message})`);
    } finally {
      bad.close();
    }
  } finally {
    // Stop the peer while its clients are still connected: it must close them and exit 0.
    const closed = clients.map((c) => new Promise((resolve) => {
      if (c.ws.readyState === WebSocket.CLOSED) resolve(null); else c.ws.once('close', (code) => resolve(code));
    }));
    const t0 = Date.now();
    const exits = await Promise.all(procs.map((p) => stop(p.proc)));
    const codes = await Promise.all(closed);
    check(exits.every((c) => c === 0), `SIGTERM with ${clients.length} clients connected: exited with ${exits.join(',')} in ${Date.now() - t0} ms, clients closed with ${[...new Set(codes)].join(',')}`);
    for (const c of clients) c.close();
  }
}

const peers = {
  'ws-redis': { proto: rawProtocol, procs: 2, runtime: process.execPath, redis: true },
  socketio: { proto: socketioProtocol, procs: 2, runtime: process.execPath, redis: true },
  bun: { proto: rawProtocol, procs: 1, runtime: join(here, 'bun/node_modules/.bin/bun'), redis: false },
};
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(peers);
const dir = mkdtempSync(join(tmpdir(), 'peers-smoke-'));
let redis;
try {
  for (const name of wanted) if (!peers[name]) throw new Error(`unknown peer ${name}`);
  let redisPort = null;
  if (wanted.some((name) => peers[name].redis)) {
    redisPort = await freePort();
    [redis] = await start('redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      /Ready to accept connections/);
  }
  for (const name of wanted) {
    try {
      await testPeer(name, peers[name], redisPort);
    } catch (err) {
      check(false, `${name}: ${err.message}`);
    }
  }
} catch (err) {
  check(false, err.message);
} finally {
  if (redis) await stop(redis);
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`smoke: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
