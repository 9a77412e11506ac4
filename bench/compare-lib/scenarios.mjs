// The scenarios bench/compare runs against every server, and how each one is searched:
// ladders for the room200 knee, the broadcast limit and the persist throughput, fixed loads
// for dm, idle and history. Every point is one parley-bench run against a fresh server.
import { spawn } from 'node:child_process';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './servers.mjs';
import { loadavg } from 'node:os';

export const KNEE_P99_MS = 50;
// Generator threads for the loaded scenarios, the same for every server: with one thread the
// generator's own reading (320k frames/s at room200 x8) became the latency being measured.
export const GEN_THREADS = ['--threads', '2'];
export const BROADCAST_P95_MS = 250;

// Sizes and durations of a full run and of --quick (a check that everything works).
export function plan({ quick, fdCap }) {
  const even = (n) => n - (n % 2);
  return quick ? {
    duration: 3,
    knee: { ladder: [0.5, 2, 8, 32], bisect: 0 },
    broadcast: { ladder: [250, 500, 1000], bisect: 0, connectTimeout: 60 },
    dm: { clients: 2000 },
    idle: { clients: 2000, duration: 2 },
    history: { clients: 50, historyRate: 2 },
    persist: { ladder: [1, 4] },
  } : {
    duration: 10,
    knee: { ladder: [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64], bisect: 2 },
    broadcast: { ladder: [1000, 2000, 4000, 8000, 16000, fdCap], bisect: 1, connectTimeout: 120 },
    dm: { clients: even(fdCap) },
    idle: { clients: fdCap, duration: 5 },
    history: { clients: 50, historyRate: 2 },
    persist: { ladder: [1, 2, 4, 8] },
  };
}

let runCounter = 0;

// One parley-bench run against a freshly started server; resolves with its JSON (plus `cmd`,
// `server`, `label`), or with {failed: reason} when the server or the bench could not run.
export async function benchRun(ctx, server, args, label) {
  const n = ++runCounter;
  const jsonPath = join(ctx.resultsDir, `run-${String(n).padStart(4, '0')}.json`);
  const logPath = jsonPath.replace(/\.json$/, '.log');
  const load1 = loadavg()[0];  // the machine is shared: kept with every point, shown in the report
  let inst;
  try {
    inst = await server.start();
  } catch (e) {
    ctx.log(`  ${server.name} ${label}: server did not start: ${e.message.split('\n')[0]}`);
    return { failed: 'server did not start', server: server.name, label };
  }
  const argv = ['--protocol', server.protocol, ...inst.targets.flatMap((t) => ['--target', t]),
    '--jwt-secret', ctx.secret, '--server-pid', ...inst.pids.map(String), ...args, '--json', jsonPath];
  const cmdArgs = ['--protocol', server.protocol, ...inst.targets.map((_, i) => `--target $T${i + 1}`),
    '--jwt-secret $SECRET', ...args].join(' ');
  const code = await new Promise((resolve) => {
    const out = [];
    const child = spawn(BIN.bench, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('exit', (c) => {
      writeFileSync(logPath, Buffer.concat(out));
      resolve(c);
    });
  });
  await inst.stop();
  if (!existsSync(jsonPath)) {
    ctx.log(`  ${server.name} ${label}: parley-bench failed (exit ${code}, log ${logPath})`);
    return { failed: `parley-bench exit ${code}`, server: server.name, label };
  }
  const r = JSON.parse(readFileSync(jsonPath, 'utf8'));
  Object.assign(r, { cmd: `build/parley-bench ${cmdArgs}`, server: server.name, label, log: logPath, load1 });
  ctx.runs.push(r);
  return r;
}

const offered = (r) => r.rate_per_sender * r.connected;  // msg/s the senders were asked for (every member sends)

// Why a knee point does not count (empty: it passes).
export function kneeVerdict(r) {
  if (r.failed) return r.failed;
  if (r.connected < r.clients) return `${r.clients - r.connected} connections failed`;
  if (r.joined < r.connected) return 'join timed out';
  if (!r.drained) return 'deliveries still outstanding after the drain timeout';
  if (r.lost > 0 || r.duplicates > 0) return `lost ${r.lost}, duplicates ${r.duplicates}`;
  if (r.errors > 0) return `${r.errors} errors`;
  if (r.sent < 0.9 * offered(r) * r.duration_s) return 'the generator fell behind its schedule';
  if (r.latency.p99_ms > KNEE_P99_MS) return `p99 ${r.latency.p99_ms.toFixed(1)} ms > ${KNEE_P99_MS} ms`;
  return '';
}

export function broadcastVerdict(r) {
  if (r.failed) return r.failed;
  if (r.connected < r.clients) return `${r.clients - r.connected} connections failed`;
  if (r.joined < r.connected) return 'join phase timed out';
  if (!r.drained) return 'deliveries still outstanding after the drain timeout';
  if (r.lost > 0 || r.duplicates > 0) return `lost ${r.lost}, duplicates ${r.duplicates}`;
  if (r.errors > 0) return `${r.errors} errors`;
  if (r.latency.p95_ms > BROADCAST_P95_MS) return `p95 ${r.latency.p95_ms.toFixed(0)} ms > ${BROADCAST_P95_MS} ms`;
  return '';
}

// Climbs `ladder` until a point fails, then bisects (geometric mean for multipliers, rounded
// for client counts) between the last passing and the first failing value.
async function climb(ctx, server, ladder, bisect, argsFor, verdict, label, { integer = false } = {}) {
  const points = [];
  let good = null;
  let bad = null;
  const tryValue = async (v) => {
    const r = await benchRun(ctx, server, argsFor(v), `${label} ${v}`);
    const why = verdict(r);
    points.push({ value: v, run: r, verdict: why });
    ctx.log(`  ${server.name} ${label} ${v}: ${why || 'ok'}${r.latency ? ` (p50 ${r.latency.p50_ms.toFixed(2)}, ` +
      `p95 ${r.latency.p95_ms.toFixed(2)}, p99 ${r.latency.p99_ms.toFixed(2)} ms, ${Math.round(r.deliveries_per_s)} deliveries/s)` : ''}`);
    return !why;
  };
  for (const v of ladder) {
    if (await tryValue(v)) good = v; else { bad = v; break; }
  }
  // Failing at the first point: halve it (at most 3 times) to find a passing one.
  for (let i = 0, v = ladder[0]; i < 3 && good === null && bad !== null; i++) {
    v = integer ? Math.max(10, Math.round(v / 2 / 10) * 10) : v / 2;
    if (await tryValue(v)) good = v; else bad = v;
  }
  for (let i = 0; i < bisect && good !== null && bad !== null; i++) {
    let mid = integer ? Math.round((good + bad) / 2 / 100) * 100 : Math.sqrt(good * bad);
    if (!integer) mid = Number(mid.toPrecision(3));
    if (mid <= good || mid >= bad) break;
    if (await tryValue(mid)) good = mid; else bad = mid;
  }
  return { points, good, bad };
}

// room200: the highest deliveries/s with p99 <= 50 ms.
export async function knee(ctx, server) {
  const p = ctx.plan;
  const res = await climb(ctx, server, p.knee.ladder, p.knee.bisect,
    (m) => ['--scenario', 'room200', '--rate-multiplier', String(m), '--duration', String(p.duration), ...GEN_THREADS],
    kneeVerdict, 'room200 ×');
  const passing = res.points.filter((x) => !x.verdict);
  const best = passing.sort((a, b) => b.run.deliveries_per_s - a.run.deliveries_per_s)[0];
  return { kind: 'knee', points: res.points, best: best ?? null, firstBad: res.bad,
    lowest: Math.min(...res.points.map((x) => x.value)) };
}

// broadcast: the most clients in one room (4 broadcasters at 5 msg/s) with p95 <= 250 ms.
export async function broadcastLimit(ctx, server) {
  const p = ctx.plan;
  const ladder = p.broadcast.ladder.filter((n) => n <= ctx.fdCap);
  const res = await climb(ctx, server, ladder, p.broadcast.bisect,
    (n) => ['--scenario', 'broadcast', '--clients', String(n), '--duration', String(p.duration),
      '--connect-timeout', String(p.broadcast.connectTimeout), ...GEN_THREADS],
    broadcastVerdict, 'broadcast clients', { integer: true });
  const best = res.points.filter((x) => !x.verdict).sort((a, b) => b.value - a.value)[0];
  return { kind: 'broadcast', points: res.points, best: best ?? null, firstBad: res.bad,
    capped: res.bad === null && ladder.length > 0, lowest: Math.min(...res.points.map((x) => x.value)) };
}

// persist: every client in its own room, open loop; the store's acked messages/s is
// acked / (send phase + drain), the highest over the ladder of offered rates.
export async function persistMax(ctx, server) {
  const p = ctx.plan;
  const points = [];
  let prev = 0;
  for (const m of p.persist.ladder) {
    const r = await benchRun(ctx, server, ['--scenario', 'persist', '--rate-multiplier', String(m),
      '--duration', String(p.duration), ...GEN_THREADS], `persist × ${m}`);
    if (r.failed) { points.push({ value: m, run: r, verdict: r.failed }); break; }
    const tput = r.acked / (r.duration_s + r.drain_s);
    points.push({ value: m, run: r, tput, verdict: r.lost || r.duplicates ? 'lost or duplicated' : '' });
    ctx.log(`  ${server.name} persist × ${m}: ${Math.round(tput)} acked msg/s (offered ${Math.round(r.rate_per_sender * r.connected)}, ack p99 ${r.ack_latency.p99_ms.toFixed(1)} ms)`);
    if (tput < prev * 1.1) break;  // saturated: more offered load only queues
    prev = Math.max(prev, tput);
  }
  const best = points.filter((x) => x.tput !== undefined).sort((a, b) => b.tput - a.tput)[0];
  return { kind: 'persist', points, best: best ?? null };
}

// dm, idle, history: one fixed load.
export async function fixed(ctx, server, scenario) {
  const p = ctx.plan;
  let args;
  if (scenario === 'dm') args = ['--scenario', 'dm', '--clients', String(p.dm.clients), '--duration', String(p.duration),
    '--connect-timeout', '180'];
  else if (scenario === 'idle') args = ['--scenario', 'idle', '--clients', String(p.idle.clients), '--duration',
    String(p.idle.duration), '--connect-timeout', '180'];
  else args = ['--scenario', 'history', '--clients', String(p.history.clients), '--history-rate',
    String(p.history.historyRate), '--duration', String(p.duration)];
  const r = await benchRun(ctx, server, args, scenario);
  if (r.skipped) ctx.log(`  ${server.name} ${scenario}: skipped (${r.reason})`);
  else if (r.failed) ctx.log(`  ${server.name} ${scenario}: ${r.failed}`);
  else ctx.log(`  ${server.name} ${scenario}: ${r.connected}/${r.clients} connected, p99 ${r.latency.p99_ms.toFixed(2)} ms` +
    (scenario === 'idle' ? `, ${r.server_rss_kib_per_conn.toFixed(2)} KiB/conn` : '') +
    (scenario === 'history' ? `, page p99 ${r.history_latency.p99_ms.toFixed(3)} ms` : ''));
  return { kind: scenario, run: r };
}
