#!/usr/bin/env node
// parley's chaos run: many SDK clients, each through a fault-injecting proxy, send messages to
// a parleyd (or a 3-node cluster) that is killed with SIGKILL and restarted mid-run (in a
// cluster, PostgreSQL and Redis are restarted mid-run as well); then every outbox must drain
// and the store and every client's view must agree: nothing lost, nothing duplicated, no gap,
// same order. A share of the clients (--fallback) runs on the SDK's HTTP fallback transport (an
// event stream down, POSTs up) instead of WebSockets, under the same faults and the same checks.
// See docs/reliability.md.
//
//   node tests/chaos/chaos.mjs [--seed S] [--clients N] [--duration S] [--kills K] [--cluster] …
//   node tests/chaos/chaos.mjs --help
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readStore } from './audit.mjs';
import { check } from './check.mjs';
import { ChaosClient } from './clients.mjs';
import { Rng } from './prng.mjs';
import { FaultProxy } from './proxy.mjs';
import { ClusterBackend, SingleBackend } from './backends.mjs';
import { mintToken } from './server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const OPTIONS = {
  seed: { type: 'string', default: '1', help: 'PRNG seed: the room layout, send and fault schedules' },
  clients: { type: 'string', default: '60', help: 'SDK clients (one user each)' },
  rooms: { type: 'string', default: '8', help: 'rooms' },
  'rooms-per-client': { type: 'string', default: '2', help: 'rooms each user joins and writes to' },
  duration: { type: 'string', default: '25', help: 'seconds of sending (faults and kills happen meanwhile)' },
  rate: { type: 'string', default: '0.5', help: 'messages per second per client (mean; exponential gaps)' },
  kills: { type: 'string', default: '1', help: 'SIGKILL + restart of parleyd (a random node in a cluster) during the send phase' },
  'down-ms': { type: 'string', default: '300-1500', help: 'how long a killed server stays down (range)' },
  'store-restarts': { type: 'string', default: '1', help: 'cluster: PostgreSQL restarts (fast shutdown) during the send phase' },
  'bus-restarts': { type: 'string', default: '1', help: 'cluster: Redis restarts (SIGKILL, empty again) during the send phase' },
  'link-faults': { type: 'string', default: 'drop=1,stall=1', help: 'cluster: fault weights on every node\'s PostgreSQL and Redis links (a proxy on each); empty: none' },
  'link-mean-fault-ms': { type: 'string', default: '10000', help: 'cluster: mean time to the next fault on each proxied store or bus connection' },
  'link-stall-ms': { type: 'string', default: '200-1500', help: 'cluster: stall length on the store and bus links (range)' },
  'mean-fault-ms': { type: 'string', default: '8000', help: 'mean time to the next fault on each proxied connection' },
  faults: { type: 'string', default: 'drop=3,stall=3,half-up=2,half-down=2', help: 'relative weights of the fault kinds' },
  'stall-ms': { type: 'string', default: '300-3000', help: 'stall length (range)' },
  'heartbeat-ms': { type: 'string', default: '2000', help: "parleyd's ping interval (two missed pongs close)" },
  'ack-timeout-ms': { type: 'string', default: '6000', help: "the SDK's ackTimeoutMs" },
  'probe-idle-ms': { type: 'string', help: "the SDK's probeIdleMs (default: the SDK's, 2 × heartbeat-ms); 0 turns the idle probe off" },
  backoff: { type: 'string', default: '250-4000', help: "the SDK's reconnect backoff base-max (ms)" },
  fallback: { type: 'string', default: '0.25', help: 'share of the clients (0..1, drawn by the seed) on the HTTP fallback (SSE) for the whole run: they start on it, never move to WebSockets' },
  'fallback-posts': { type: 'string', default: 'spread', help: "where the fallback's POSTs go: origin (the stream's node) or spread (round-robin over every node's proxy, as a balancer; the same in single mode)" },
  'fallback-after': { type: 'string', default: '2', help: "the other clients: the SDK's fallbackAfter (WebSocket attempts in a row ending before welcome, then SSE); 0: never" },
  'upgrade-after-ms': { type: 'string', default: '5000', help: "the other clients: the SDK's upgradeAfterMs (on the fallback, a WebSocket probe after this long, then back to it)" },
  'lifecycle-ms': { type: 'string', default: '30000', help: "mean time between an app's restarts (close+start) and reloads (new client, same storage); 0: none" },
  'drain-timeout': { type: 'string', default: '90', help: 'seconds for every outbox to drain after sending stops' },
  'converge-timeout': { type: 'string', default: '20', help: 'seconds for live views to catch up before the final resync' },
  mode: { type: 'string', default: 'single', help: 'single: one parleyd on SQLite; cluster: --nodes parleyd on Redis and PostgreSQL (scripts/cluster-up.sh)' },
  cluster: { type: 'boolean', default: false, help: 'the same as --mode cluster' },
  nodes: { type: 'string', default: '3', help: 'cluster nodes' },
  parleyd: { type: 'string', default: join(ROOT, 'build/parleyd'), help: 'the server binary' },
  json: { type: 'string', help: 'write the figures and violations to this file' },
  tamper: { type: 'string', help: 'self-test of the checks: drop-stored | dup-stored | swap-view | forget-emit (must fail; the victim is a client kept on the HTTP fallback, or its message, when there is one)' },
  keep: { type: 'boolean', default: false, help: 'keep the temporary directory (always kept when the run fails)' },
  quiet: { type: 'boolean', default: false, help: 'only the summary' },
  help: { type: 'boolean', default: false, help: 'this text' },
};

function usage() {
  const lines = Object.entries(OPTIONS).map(([k, o]) => {
    const d = o.type === 'boolean' ? '' : ` (default ${o.default ?? 'none'})`;
    return `  --${k.padEnd(18)} ${o.help}${d}`;
  });
  return `usage: node tests/chaos/chaos.mjs [options]\n${lines.join('\n')}\n`;
}

const parsed = parseArgs({ options: Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type, default: o.default }])) });
const a = parsed.values;
if (a.help) {
  process.stdout.write(usage());
  process.exit(0);
}
const num = (name) => {
  const v = Number(a[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: not a number: ${a[name]}`);
  return v;
};
const range = (name) => {
  const m = /^(\d+)-(\d+)$/.exec(a[name]);
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--${name}: expected LO-HI, got ${a[name]}`);
  return [Number(m[1]), Number(m[2])];
};
const cfg = {
  seed: a.seed,
  clients: num('clients'),
  rooms: num('rooms'),
  roomsPerClient: Math.min(num('rooms-per-client'), num('rooms')),
  durationMs: num('duration') * 1000,
  rate: num('rate'),
  kills: num('kills'),
  downMs: range('down-ms'),
  storeRestarts: num('store-restarts'),
  linkWeights: Object.fromEntries(
    a['link-faults'].split(',').filter(Boolean).map((kv) => {
      const [k, v] = kv.split('=');
      if (!['drop', 'stall'].includes(k) || !Number.isFinite(Number(v))) throw new Error(`--link-faults: drop and stall only, not ${kv}`);
      return [k, Number(v)];
    }),
  ),
  linkMeanFaultMs: num('link-mean-fault-ms'),
  linkStallMs: range('link-stall-ms'),
  busRestarts: num('bus-restarts'),
  meanFaultMs: num('mean-fault-ms'),
  weights: Object.fromEntries(
    a.faults.split(',').filter(Boolean).map((kv) => {
      const [k, v] = kv.split('=');
      if (!['drop', 'stall', 'half-up', 'half-down'].includes(k) || !Number.isFinite(Number(v))) throw new Error(`--faults: bad entry ${kv}`);
      return [k, Number(v)];
    }),
  ),
  stallMs: range('stall-ms'),
  heartbeatMs: num('heartbeat-ms'),
  ackTimeoutMs: num('ack-timeout-ms'),
  probeIdleMs: a['probe-idle-ms'] === undefined ? undefined : num('probe-idle-ms'),
  backoff: range('backoff'),
  fallback: num('fallback'),
  fallbackPosts: a['fallback-posts'],
  fallbackAfter: num('fallback-after'),
  upgradeAfterMs: num('upgrade-after-ms'),
  lifecycleMs: num('lifecycle-ms'),
  drainMs: num('drain-timeout') * 1000,
  convergeMs: num('converge-timeout') * 1000,
  cluster: a.cluster || a.mode === 'cluster',
  nodes: num('nodes'),
  tamper: a.tamper ?? null,
};
if (!['single', 'cluster'].includes(a.mode)) throw new Error(`--mode: single or cluster, not ${a.mode}`);
if (cfg.tamper && !['drop-stored', 'dup-stored', 'swap-view', 'forget-emit'].includes(cfg.tamper)) throw new Error(`--tamper: unknown ${cfg.tamper}`);
if (cfg.clients < 1 || cfg.rooms < 1) throw new Error('need at least one client and one room');
if (cfg.fallback > 1) throw new Error(`--fallback: a share from 0 to 1, not ${a.fallback}`);
if (!['origin', 'spread'].includes(cfg.fallbackPosts)) throw new Error(`--fallback-posts: origin or spread, not ${cfg.fallbackPosts}`);
if (cfg.upgradeAfterMs < 1) throw new Error('--upgrade-after-ms: at least 1');

const say = (...x) => {
  if (!a.quiet) console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`, ...x);
};
const t0 = Date.now();
const rng = new Rng(cfg.seed);
const dir = mkdtempSync(join(tmpdir(), 'parley-chaos-'));
let backend = null;
const proxies = [];
const linkProxies = [];  // cluster: between the nodes and PostgreSQL / Redis
const clients = [];
let failedRun = false;

// Whatever happens, the servers go down with us.
let cleaning = null;
async function cleanup() {
  cleaning ??= (async () => {
    for (const c of clients) c.close();
    await Promise.all([...proxies, ...linkProxies].map((p) => p.close().catch(() => {})));
    if (backend) await backend.stop().catch((e) => console.error(`chaos: stopping the servers: ${e.message}`));
  })();
  return cleaning;
}
process.on('exit', () => backend?.killNow());
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`chaos: ${sig}, stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

// A hard limit on the whole run: setup, sending, drain, audit, resync, with margin.
const limitMs = 60_000 + cfg.durationMs + cfg.drainMs + cfg.convergeMs + 120_000 + cfg.clients * 200;
const hardLimit = setTimeout(() => {
  console.error(`chaos: the run exceeded its ${Math.round(limitMs / 1000)} s limit; stopping (directory kept: ${dir})`);
  cleanup().finally(() => process.exit(3));
}, limitMs);

const sdkOptions = {
  backoff: { baseMs: cfg.backoff[0], maxMs: cfg.backoff[1], jitter: 0.3 },
  ackTimeoutMs: cfg.ackTimeoutMs,
  // The clients not kept on the fallback: the SDK moves them to it (and back) on its own.
  fallbackAfter: cfg.fallbackAfter === 0 ? Infinity : cfg.fallbackAfter,
  upgradeAfterMs: cfg.upgradeAfterMs,
  ...(cfg.probeIdleMs === undefined ? {} : { probeIdleMs: cfg.probeIdleMs }),
};
const serverArgs = ['--heartbeat-ms', String(cfg.heartbeatMs), '--log-level', 'info'];

async function main() {
  // Run a copy of the binary: a rebuild during the run must not mix two versions of parleyd
  // (a node restarted mid-run would run the new one next to old ones).
  mkdirSync(join(dir, 'bin'));
  const parleyd = join(dir, 'bin', 'parleyd');
  copyFileSync(a.parleyd, parleyd);
  chmodSync(parleyd, 0o755);
  say(`seed ${cfg.seed}: ${cfg.clients} clients, ${cfg.rooms} rooms, ${cfg.durationMs / 1000} s of sending, ${cfg.kills} kill(s), ${cfg.cluster ? `${cfg.nodes}-node cluster` : 'single node'}; directory ${dir}`);
  backend = cfg.cluster
    ? new ClusterBackend({ root: ROOT, dir, nodes: cfg.nodes, parleyd, args: serverArgs, say })
    : new SingleBackend({ dir, parleyd, args: serverArgs });
  await backend.start();
  for (let i = 0; i < backend.nodes.length; i++) {
    const p = new FaultProxy({
      name: `node${i + 1}`,
      targetPort: backend.nodes[i].port,
      rng: rng.fork(`proxy/${i}`),
      meanFaultMs: cfg.meanFaultMs,
      weights: cfg.weights,
      stallMs: cfg.stallMs,
    });
    await p.listen();
    proxies.push(p);
  }
  say(`servers on ${backend.nodes.map((n) => n.port).join(', ')}; proxies on ${proxies.map((p) => p.port).join(', ')}`);
  // Cluster: every node reaches PostgreSQL and Redis through proxies of its own as well, which
  // drop and stall those links during the send phase.
  if (cfg.cluster && Object.keys(cfg.linkWeights).length > 0) {
    for (let i = 0; i < backend.nodes.length; i++) {
      const made = {};
      for (const [what, port] of [['pg', backend.pgPort], ['redis', backend.redisPort]]) {
        const p = new FaultProxy({
          name: `node${i + 1}-${what}`,
          targetPort: port,
          rng: rng.fork(`link/${what}/${i}`),
          meanFaultMs: cfg.linkMeanFaultMs,
          weights: cfg.linkWeights,
          stallMs: cfg.linkStallMs,
        });
        made[what] = await p.listen();
        linkProxies.push(p);
      }
      await backend.relink(i, { pgPort: made.pg, redisPort: made.redis });
    }
    say(`store and bus links through ${linkProxies.length} proxies`);
  }

  // Users, rooms and who writes where: user i is in room i mod R and rooms-per-client − 1 others.
  const roomNames = Array.from({ length: cfg.rooms }, (_, i) => `chaos-${String(i).padStart(2, '0')}`);
  const layout = rng.fork('layout');
  // Who is on the HTTP fallback for the whole run (its own stream: the layout stays the same).
  const onFallback = new Set(
    rng.fork('fallback').sample([...Array(cfg.clients).keys()], Math.round(cfg.fallback * cfg.clients)),
  );
  for (let i = 0; i < cfg.clients; i++) {
    const user = `u${String(i + 1).padStart(3, '0')}`;
    const own = roomNames[i % cfg.rooms];
    const rooms = [own, ...layout.sample(roomNames.filter((r) => r !== own), cfg.roomsPerClient - 1)].sort();
    const node = i % backend.nodes.length;
    clients.push(
      new ChaosClient({
        user,
        token: mintToken(backend.secret, user),
        url: `ws://127.0.0.1:${proxies[node].port}/ws`,
        rooms,
        rng: rng.fork(`client/${user}`),
        sdkOptions,
        fallback: onFallback.has(i),
        postPorts: cfg.fallbackPosts === 'spread' ? proxies.map((_, k) => proxies[(node + k) % proxies.length].port) : null,
      }),
    );
  }
  // Connect and join before any fault: every room's window then starts at seq 1 for everyone.
  await Promise.all(clients.map((c) => c.start(30_000)));
  say(`${clients.length} clients connected and joined (${clients.filter((c) => c.client.transport === 'sse').length} on the HTTP fallback)`);

  // ---- send phase: faults on, kills scheduled, every client sending at `rate`.
  for (const p of [...proxies, ...linkProxies]) p.storm();
  const kills = [];
  const killRng = rng.fork('kills');
  for (let k = 0; k < cfg.kills; k++) {
    const slot = cfg.durationMs / cfg.kills;
    kills.push({ at: slot * k + killRng.range(0.25, 0.75) * slot, node: killRng.int(0, backend.nodes.length - 1), downMs: killRng.range(...cfg.downMs) });
  }
  // Cluster: the shared servers fail too, each at its own times (PostgreSQL, Redis).
  const restarts = [];
  if (cfg.cluster) {
    const rr = rng.fork('restarts');
    for (const [what, n] of [['store', cfg.storeRestarts], ['bus', cfg.busRestarts]]) {
      for (let k = 0; k < n; k++) restarts.push({ at: (cfg.durationMs / n) * (k + rr.range(0.2, 0.8)), what });
    }
    restarts.sort((x, y) => x.at - y.at);
  }
  const tSend = Date.now();
  let sending = true;
  const restartsDone = (async () => {
    for (const r of restarts) {
      const wait = tSend + r.at - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      say(`restarting ${r.what === 'store' ? 'PostgreSQL' : 'Redis'}`);
      await (r.what === 'store' ? backend.restartStore() : backend.restartBus());
      say(`${r.what === 'store' ? 'PostgreSQL' : 'Redis'} is back`);
    }
  })();
  const killsDone = (async () => {
    for (const k of kills) {
      const wait = tSend + k.at - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      say(`SIGKILL node ${k.node + 1} (down for ${Math.round(k.downMs)} ms)`);
      await backend.kill9(k.node);
      await new Promise((r) => setTimeout(r, k.downMs));
      await backend.restart(k.node);
      say(`node ${k.node + 1} restarted on port ${backend.nodes[k.node].port}`);
    }
  })();
  let seqNo = 0;
  // Each client's next send is a timer; stopping clears them all at once.
  const sleeping = new Map();
  const nap = (c, ms) =>
    new Promise((res) => {
      sleeping.set(c, { res, timer: setTimeout(res, ms) });
    });
  const loops = clients.map(async (c) => {
    const r = c.rng.fork('send');
    let n = 0;
    for (;;) {
      await nap(c, Math.max(20, r.exp(1000 / cfg.rate)));
      if (!sending) return;
      if (c.busy) continue; // the app is restarting or reloading
      const room = r.pick(c.rooms);
      const long = r.next() < 0.05; // a few over 1 KiB, which the server compresses
      const filler = 'x'.repeat(long ? r.int(1100, 3000) : r.int(0, 60));
      n++;
      seqNo++;
      void c.send(room, `${c.user} #${n} in ${room} ${filler}`);
    }
  });
  // The apps' own life cycle: restarts and reloads at random.
  const lifecycles = cfg.lifecycleMs > 0
    ? clients.map(async (c) => {
        const r = c.rng.fork('lifecycle');
        for (;;) {
          await new Promise((res) => setTimeout(res, r.exp(cfg.lifecycleMs)));
          if (!sending) return;
          if (r.next() < 0.5) await c.restart(r.range(0, 1500));
          else await c.reload(r.range(0, 1500));
        }
      })
    : [];
  const progress = setInterval(() => {
    const queued = clients.reduce((s, c) => s + c.queued, 0);
    const open = clients.filter((c) => c.client.state === 'open').length;
    const sse = clients.filter((c) => c.client.state === 'open' && c.client.transport === 'sse').length;
    say(`sent ${seqNo}, queued ${queued}, open ${open}/${clients.length} (${sse} on SSE), faults ${faultSummary()}`);
  }, 5000);
  await new Promise((r) => setTimeout(r, cfg.durationMs));
  sending = false;
  for (const { res, timer } of sleeping.values()) {
    clearTimeout(timer);
    res();
  }
  await Promise.all(loops);
  await Promise.all(clients.flatMap((c) => [...c.sending]));
  await Promise.all(clients.map((c) => c.busy));
  await killsDone;
  await restartsDone;
  for (const p of [...proxies, ...linkProxies]) p.calm();
  const sendMs = Date.now() - tSend;
  say(`sending stopped: ${seqNo} messages; faults off; draining`);

  // ---- drain: every outbox empties (each client's change events, bounded).
  const tDrain = Date.now();
  const drainFailures = [];
  await Promise.all(
    clients.map((c) => c.until(() => c.queued === 0, Math.max(1, cfg.drainMs - (Date.now() - tDrain)), 'empty outbox').catch((e) => drainFailures.push(e.message))),
  );
  const drainMs = Date.now() - tDrain;
  clearInterval(progress);
  const reconnects = clients.reduce((s, c) => s + c.reconnects, 0);
  say(`drained in ${(drainMs / 1000).toFixed(1)} s${drainFailures.length ? ` — ${drainFailures.length} outbox(es) did not drain` : ''}`);

  // ---- the store, read straight from a server (no proxy, no SDK).
  const auditToken = mintToken(backend.secret, 'auditor');
  const stored = await readStore({ url: backend.auditUrl, token: auditToken, rooms: roomNames });
  // In a cluster, every node must return the same history.
  const nodeDisagreements = [];
  for (let i = 1; i < backend.nodes.length; i++) {
    const other = await readStore({ url: `ws://127.0.0.1:${backend.nodes[i].port}/ws`, token: auditToken, rooms: roomNames });
    for (const r of roomNames)
      if (JSON.stringify(other[r].messages) !== JSON.stringify(stored[r].messages))
        nodeDisagreements.push({ check: 'h: every node returns the same history', room: r, detail: `node ${i + 1}: ${other[r].messages.length} messages, node 1: ${stored[r].messages.length}` });
  }
  const lastSeq = Object.fromEntries(roomNames.map((r) => [r, stored[r].messages.length]));
  say(`store: ${Object.values(lastSeq).reduce((s, n) => s + n, 0)} messages in ${roomNames.length} rooms`);

  // ---- live views: how many clients caught up on their own (the rest sit on a dead link).
  const tConv = Date.now();
  const stale = [];
  await Promise.all(
    clients.map((c) =>
      c.until(() => c.caughtUp(lastSeq), Math.max(1, cfg.convergeMs - (Date.now() - tConv)), 'live view').catch(() => {
        c.lag = c.lagReport(lastSeq);
        stale.push(c);
      }),
    ),
  );
  say(`live views: ${clients.length - stale.length}/${clients.length} caught up${stale.length ? ` (behind: ${stale.slice(0, 10).map((c) => c.user).join(', ')}${stale.length > 10 ? ', …' : ''})` : ''}`);

  // ---- final resync of every client, then its view.
  const resyncFailures = [];
  await Promise.all(clients.map((c) => c.resync(lastSeq, 30_000).catch((e) => resyncFailures.push(e.message))));
  for (const c of clients) {
    c.finalView = {};
    for (const r of c.rooms) {
      const v = c.view(r);
      if (v) c.finalView[r] = v;
    }
  }

  const tampered = tamper(stored, clients);
  const result = check({ stored, clients });
  result.violations.push(...nodeDisagreements);
  for (const m of drainFailures) result.violations.push({ check: 'e: outbox drained', detail: m });
  for (const m of resyncFailures) result.violations.push({ check: 'd: final view equals the store', detail: m });
  for (const c of stale)
    result.violations.push({ check: 'd: live view catches up on its own', user: c.user, detail: `${cfg.convergeMs / 1000} s after the store was read: ${c.lag}` });

  const faults = {};
  for (const k of ['drop', 'stall', 'half-up', 'half-down']) faults[k] = proxies.reduce((s, p) => s + p.counts[k], 0);
  const errors = {};
  for (const c of clients) for (const [k, v] of Object.entries(c.errors)) errors[k] = (errors[k] ?? 0) + v;
  // The HTTP fallback: who used it, what went over it, and what the checks saw of those clients.
  const sum = (f) => clients.reduce((s, c) => s + f(c), 0);
  const sseUsers = clients.filter((c) => c.usedSse);
  const sseNames = new Set(sseUsers.map((c) => c.user));
  const fallback = {
    share: cfg.fallback,
    pinned: clients.filter((c) => c.pinnedSse).length,
    pinnedOnSseOnly: clients.filter((c) => c.pinnedSse && c.welcomesBy.websocket === 0 && c.usedSse).length,
    movedThere: clients.filter((c) => !c.pinnedSse && c.usedSse).length,
    movesToSse: sum((c) => c.switches.sse),
    movesToWebSocket: sum((c) => c.switches.websocket),
    usedIt: sseUsers.length,
    welcomes: { websocket: sum((c) => c.welcomesBy.websocket), sse: sum((c) => c.welcomesBy.sse) },
    acks: { websocket: sum((c) => c.acksBy.websocket), sse: sum((c) => c.acksBy.sse) },
    streams: sum((c) => c.sse.streams),
    posts: sum((c) => c.sse.posts),
    postsNotTaken: sum((c) => c.sse.refused),
    postsNotTakenBy: clients.reduce((m, c) => {
      for (const [k, v] of Object.entries(c.sse.notTaken)) m[k] = (m[k] ?? 0) + v;
      return m;
    }, {}),
    messageLinesPosted: sum((c) => c.sse.messageLines),
    posted: cfg.fallbackPosts,
    upgrades: sumCloses('upgrade'),
    sdkDetections: sum((c) => c.sse.closes.reconnect ?? 0),
    sdkConnectTimeouts: sum((c) => c.sse.closes['connect timeout'] ?? 0),
    // The checks ran over every client; these are the fallback users' share of what they covered.
    checked: {
      clients: sseUsers.length,
      sent: sseUsers.reduce((s, c) => s + c.sent.length, 0),
      pinnedSent: clients.filter((c) => c.pinnedSse).reduce((s, c) => s + c.sent.length, 0),
      roomViews: sseUsers.reduce((s, c) => s + c.rooms.length, 0),
      violations: result.violations.filter((v) => sseNames.has(v.user)).length,
    },
  };
  const figures = {
    seed: cfg.seed,
    mode: cfg.cluster ? `cluster of ${cfg.nodes}` : 'single node',
    clients: clients.length,
    rooms: roomNames.length,
    sent: result.figures.sent,
    acked: result.figures.acked,
    settledByEcho: result.figures.settledByEcho,
    resent: clients.reduce((s, c) => s + [...c.wireSends.values()].filter((n) => n > 1).length, 0),
    wireSends: clients.reduce((s, c) => s + [...c.wireSends.values()].reduce((x, n) => x + n, 0), 0),
    stored: result.figures.stored,
    lost: result.figures.lost,
    duplicated: result.figures.duplicated,
    unackedAfterDrain: clients.reduce((s, c) => s + c.queued, 0),
    reconnects,
    proxiedConnections: proxies.reduce((s, p) => s + p.counts.connections, 0),
    refusedWhileDown: proxies.reduce((s, p) => s + p.counts.refused, 0),
    faults,
    faultsTotal: Object.values(faults).reduce((s, n) => s + n, 0),
    serverKills: kills.length,
    linkFaults: Object.fromEntries(['drop', 'stall'].map((k) => [k, linkProxies.reduce((s, p) => s + p.counts[k], 0)])),
    linkConnections: linkProxies.reduce((s, p) => s + p.counts.connections, 0),
    storeRestarts: restarts.filter((r) => r.what === 'store').length,
    busRestarts: restarts.filter((r) => r.what === 'bus').length,
    // Dead links noticed by the SDK: no ack or no answer to its idle probe ('reconnect'), no
    // welcome ('connect timeout'); and by parleyd's heartbeat (from its log).
    sdkDetections: sumCloses('reconnect'),
    sdkConnectTimeouts: sumCloses('connect timeout'),
    serverHeartbeatCloses: backend.countLog(/closed: heartbeat/),
    appRestarts: clients.reduce((s, c) => s + c.restarts, 0),
    appReloads: clients.reduce((s, c) => s + c.reloads, 0),
    serverErrors: errors,
    maxOutboxDepth: Math.max(...clients.map((c) => c.maxQueued)),
    staleLiveViews: stale.length,
    sendSeconds: +(sendMs / 1000).toFixed(1),
    drainSeconds: +(drainMs / 1000).toFixed(1),
    durationSeconds: +((Date.now() - t0) / 1000).toFixed(1),
    fallback,
    violations: result.violations.length,
    tamper: cfg.tamper,
    tampered,
  };
  report(figures, result.violations);
  if (a.json) writeFileSync(a.json, JSON.stringify({ figures, violations: result.violations }, null, 2) + '\n');
  failedRun = result.violations.length > 0;
}

function sumCloses(reason) {
  return clients.reduce((s, c) => s + (c.closes[reason] ?? 0), 0);
}

function faultSummary() {
  const f = {};
  for (const k of ['drop', 'stall', 'half-up', 'half-down']) f[k] = proxies.reduce((s, p) => s + p.counts[k], 0);
  return Object.entries(f).map(([k, v]) => `${k} ${v}`).join(', ');
}

/**
 * --tamper: break the observations on purpose, to show that the checks catch it. The victim is
 * a client kept on the HTTP fallback (or its message) when there is one, so that the self-test
 * also shows the checks catching a fault on that transport. Returns what was tampered with.
 */
function tamper(stored, clients) {
  if (!cfg.tamper) return null;
  const pinned = clients.filter((c) => c.pinnedSse);
  const pool = pinned.length ? pinned : clients;
  const users = new Set(pool.map((c) => c.user));
  const onFallback = (user) => (clients.find((c) => c.user === user)?.pinnedSse ? ' (on the HTTP fallback)' : '');
  let room, user, what;
  switch (cfg.tamper) {
    case 'drop-stored': // as if the server had lost one acked message
    case 'dup-stored': { // as if a resend had been stored a second time
      room = Object.keys(stored).find((r) => stored[r].messages.length > 2 && stored[r].messages.some((m) => users.has(m.user)));
      if (!room) throw new Error('--tamper: no room with messages');
      const msgs = stored[room].messages;
      const mine = msgs.filter((m) => users.has(m.user));
      const victim = mine[Math.floor(mine.length / 2)];
      user = victim.user;
      const acks = clients.find((c) => c.user === user)?.acks.get(victim.id)?.length ?? 0;
      what = `${user}${onFallback(user)}: message #${victim.seq} (id ${victim.id}, ${acks} ack(s) seen)`;
      if (cfg.tamper === 'drop-stored') msgs.splice(msgs.indexOf(victim), 1);
      else {
        msgs.push({ ...victim, seq: msgs.length + 1 });
        stored[room].lastSeq++;
      }
      break;
    }
    case 'swap-view': { // as if one client showed two messages out of order
      const c = pool.find((x) => Object.values(x.finalView).some((v) => v.length > 2));
      if (!c) throw new Error('--tamper swap-view: no view with messages');
      room = Object.keys(c.finalView).find((r) => c.finalView[r].length > 2);
      user = c.user;
      const v = c.finalView[room];
      [v[0], v[1]] = [v[1], v[0]];
      what = `${user}${onFallback(user)}: final view (first two messages swapped)`;
      break;
    }
    case 'forget-emit': { // as if one client had never told the app about one message
      const c = pool.find((x) => x.instances.length === 1 && x.rooms.some((r) => x.instances[0].emitted[r].length > 2));
      if (!c) throw new Error('--tamper forget-emit: every client reloaded');
      room = c.rooms.find((r) => c.instances[0].emitted[r].length > 2);
      user = c.user;
      const [gone] = c.instances[0].emitted[room].splice(1, 1);
      what = `${user}${onFallback(user)}: the emit of #${gone.seq}`;
      break;
    }
  }
  const line = `${what} in room ${room}`;
  say(`tampered (${cfg.tamper}) with ${line}`);
  return line;
}

function report(f, violations) {
  const rows = [
    ['mode', f.mode],
    ['seed', f.seed],
    ['clients / rooms', `${f.clients} / ${f.rooms}`],
    ['messages sent', f.sent],
    ['acked (ack frame seen)', f.acked],
    ['settled by own echo only', f.settledByEcho],
    ['sent again after a fault', `${f.resent} messages (${f.wireSends} message frames written in all)`],
    ['stored', f.stored],
    ['lost', f.lost],
    ['duplicated', f.duplicated],
    ['unacked after drain', f.unackedAfterDrain],
    ['reconnects', f.reconnects],
    ['proxied connections', `${f.proxiedConnections} (${f.refusedWhileDown} refused while a server was down)`],
    ['faults injected', `${f.faultsTotal}: ${Object.entries(f.faults).map(([k, v]) => `${k} ${v}`).join(', ')}`],
    ['dead links detected', `SDK ${f.sdkDetections} (ack timeout or idle probe) + ${f.sdkConnectTimeouts} (no welcome), ${f.fallback.sdkDetections} + ${f.fallback.sdkConnectTimeouts} of them on SSE; parleyd heartbeat ${f.serverHeartbeatCloses}`],
    ['server kills (SIGKILL)', f.serverKills],
    ...(cfg.cluster
      ? [
          ['PostgreSQL / Redis restarts', `${f.storeRestarts} / ${f.busRestarts}`],
          ['store and bus link faults', `drop ${f.linkFaults.drop}, stall ${f.linkFaults.stall} over ${f.linkConnections} proxied connections`],
        ]
      : []),
    ['HTTP fallback (SSE) clients', `${f.fallback.usedIt} connected over it: ${f.fallback.pinned} kept on it (--fallback ${f.fallback.share}; ${f.fallback.pinnedOnSseOnly} never on WebSocket), ${f.fallback.movedThere} moved there by the SDK (${f.fallback.movesToSse} moves to SSE, ${f.fallback.movesToWebSocket} back to WebSocket)`],
    ['connections by transport', `WebSocket ${f.fallback.welcomes.websocket}, SSE ${f.fallback.welcomes.sse} (welcomes)`],
    ['over the fallback', `${f.fallback.acks.sse} acks read off ${f.fallback.streams} event streams; ${f.fallback.messageLinesPosted} message commands in ${f.fallback.posts} POSTs (${f.fallback.postsNotTaken} not taken${f.fallback.postsNotTaken ? `: ${Object.entries(f.fallback.postsNotTakenBy).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}), posts ${f.fallback.posted}`],
    ['checks over fallback clients', `${f.fallback.checked.clients} clients, ${f.fallback.checked.sent} messages sent (${f.fallback.checked.pinnedSent} by those kept on SSE), ${f.fallback.checked.roomViews} room views: ${f.fallback.checked.violations} violation(s)`],
    ['app restarts / reloads', `${f.appRestarts} / ${f.appReloads}`],
    ['server errors', Object.entries(f.serverErrors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'],
    ['deepest outbox', f.maxOutboxDepth],
    ['live views behind at the end', f.staleLiveViews],
    ['send / drain / total', `${f.sendSeconds} s / ${f.drainSeconds} s / ${f.durationSeconds} s`],
    ...(f.tampered ? [['tampered (--tamper ' + f.tamper + ')', f.tampered]] : []),
  ];
  console.log('\nparley chaos run');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(30)} ${v}`);
  if (violations.length) {
    console.log(`\nFAILED: ${violations.length} violation(s)`);
    const byCheck = new Map();
    for (const v of violations) byCheck.set(v.check, (byCheck.get(v.check) ?? 0) + 1);
    for (const [k, n] of byCheck) console.log(`  ${n} × ${k}`);
    for (const v of violations.slice(0, 30)) console.log(`  - [${v.check}]${v.room ? ` ${v.room}` : ''}${v.user ? ` ${v.user}` : ''}: ${v.detail}`);
    if (violations.length > 30) console.log(`  … ${violations.length - 30} more`);
  } else {
    console.log(`\nOK: every acked message stored exactly once, seqs gap-free, every view equal to the store (WebSocket and HTTP fallback clients alike: ${f.fallback.usedIt} used the fallback)`);
  }
}

main()
  .catch((e) => {
    failedRun = true;
    console.error(`chaos: ${e.stack ?? e}`);
  })
  .finally(async () => {
    clearTimeout(hardLimit);
    await cleanup();
    if (failedRun || a.keep) console.error(`chaos: directory kept: ${dir} (server logs: ${backend?.logs?.join(', ') ?? 'none'})`);
    else rmSync(dir, { recursive: true, force: true });
    process.exit(failedRun ? 1 : 0);
  });
