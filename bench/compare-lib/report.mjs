// Turns bench/compare's results into the generated section of docs/benchmarks.md (between
// the markers below; the rest of the file is hand-written and left alone) and one SVG plot
// per scenario in docs/bench/ (gnuplot).
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative, dirname } from 'node:path';
import { KNEE_P99_MS, BROADCAST_P95_MS } from './scenarios.mjs';

export const BEGIN = '<!-- bench/compare: begin (generated; edit outside these markers) -->';
export const END = '<!-- bench/compare: end -->';
const PEERS = ['ws-redis', 'socketio', 'bun'];
// No knee target against bun: it is the ceiling (WebSocket fan-out and nothing else), not a rival.
const TARGETS = { knee: { 'ws-redis': 5, socketio: 3 }, historyP99: 1, persist: 50_000 };

// ---------------------------------------------------------------- number formatting
const int = (x) => (x === null || x === undefined || Number.isNaN(x)) ? '–' : Math.round(x).toLocaleString('en-US');
const msf = (x) => {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (x >= 100) return `${Math.round(x)} ms`;
  if (x >= 10) return `${x.toFixed(1)} ms`;
  if (x >= 1) return `${x.toFixed(2)} ms`;
  return `${x.toFixed(3)} ms`;
};
// µs of server CPU per delivery in one run: the server's CPU seconds during the send phase
// (server_cpu_pct: utime + stime from /proc/<pid>/stat of the --server-pid processes, summed)
// over the deliveries counted for that phase (deliveries_per_s × duration_s), i.e. the two
// figures of the "server CPU" and deliveries/s columns: pct/100 × T / (dps × T) × 1e6.
const cpuPerDelivery = (r) => (r && r.server_cpu_pct >= 0 && r.deliveries_per_s > 0) ? r.server_cpu_pct * 1e4 / r.deliveries_per_s : null;
const usf = (x) => {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return `${x >= 100 ? Math.round(x) : x.toFixed(x >= 10 ? 1 : 2)} µs`;
};
const ratio = (a, b) => (a > 0 && b > 0) ? `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×` : '–';
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
// "median [min–max]" when there is more than one value
function spread(xs, f) {
  const v = xs.filter((x) => typeof x === 'number');
  if (!v.length) return '–';
  const m = f(median(v));
  return v.length > 1 ? `${m} [${f(Math.min(...v))}–${f(Math.max(...v))}]` : m;
}
// The repetition whose value is the median (for the figures reported alongside it).
function medianRep(reps, value) {
  const scored = reps.map((r) => ({ r, v: value(r) })).filter((x) => typeof x.v === 'number').sort((a, b) => a.v - b.v);
  return scored.length ? scored[Math.floor((scored.length - 1) / 2)].r : null;
}

// ---------------------------------------------------------------- per-scenario summaries
const kneeValue = (rep) => rep.best ? rep.best.run.deliveries_per_s : 0;
const bcastValue = (rep) => rep.best ? rep.best.value : 0;
const persistValue = (rep) => rep.best ? rep.best.tput : 0;
const fixedRun = (rep) => (rep.run && !rep.run.failed && !rep.run.skipped) ? rep.run : null;

function summarize(reps, scenario) {
  if (!reps || !reps.length) return null;
  if (scenario === 'knee') {
    const m = medianRep(reps, kneeValue);
    return { values: reps.map(kneeValue), rep: m, run: m?.best?.run ?? null, main: median(reps.map(kneeValue)) };
  }
  if (scenario === 'broadcast') {
    const m = medianRep(reps, bcastValue);
    return { values: reps.map(bcastValue), rep: m, run: m?.best?.run ?? null, main: median(reps.map(bcastValue)) };
  }
  if (scenario === 'persist') {
    const m = medianRep(reps, persistValue);
    return { values: reps.map(persistValue), rep: m, run: m?.best?.run ?? null, main: median(reps.map(persistValue)) };
  }
  const runs = reps.map(fixedRun).filter(Boolean);
  if (!runs.length) return { skipped: reps[0].run?.skipped ? reps[0].run.reason : (reps[0].run?.failed ?? 'no run'), runs };
  const p99 = (r) => scenario === 'history' ? r.history_latency.p99_ms : r.latency.p99_ms;
  const mid = runs.slice().sort((a, b) => p99(a) - p99(b))[Math.floor((runs.length - 1) / 2)];
  return { runs, run: mid };
}

const col = (runs, f) => runs.map(f);
// The first failing point of the median repetition (or of the first one that has one).
const firstBadText = (reps, medRep) => {
  const bad = [medRep, ...reps].filter(Boolean).map((rep) => rep.points?.find((p) => p.verdict)).filter(Boolean)[0];
  return bad ? `${bad.value}: ${bad.verdict}` : 'none in the ladder';
};

// ---------------------------------------------------------------- plots (gnuplot → SVG)
const COLORS = { parley: '#1b6ac9', 'parley-cluster': '#6a3d9a', 'ws-redis': '#d95f02', socketio: '#1b9e77', bun: '#e7298a' };
const LABEL = { parley: 'parley', 'parley-cluster': 'parley, 3-node cluster', 'ws-redis': 'ws + Redis', socketio: 'Socket.IO + Redis',
  bun: 'Bun pub/sub (uWebSockets)' };
// Whose CPU (and RSS) the server figures are: the --server-pid processes of each server.
const CPU_NOTE = 'parleyd: its one process; ws + Redis and Socket.IO + Redis: the sum over their Node processes, ' +
  'Redis not included; Bun pub/sub: its one bun process, which has no Redis (nothing else runs)';

function gnuplot(script, file) {
  try {
    execFileSync('gnuplot', [], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
    return true;
  } catch (e) {
    console.error(`gnuplot failed for ${file}: ${e.stderr?.toString() ?? e.message}`);
    return false;
  }
}

let FORMAT = 'svg';
function header(out, title, xlabel, ylabel) {
  const term = FORMAT === 'png' ? 'pngcairo size 760,430 font "sans,10"' : 'svg size 760,430 dynamic font "sans,12" background "#ffffff"';
  return `set terminal ${term}
set output "${out}"
set title "${title}"
set xlabel "${xlabel}"
set ylabel "${ylabel}"
set grid
set key top left
`;
}

// Ladder plot: a latency percentile against the offered load, one line per server.
function ladderPlot(dir, dataDir, name, title, series, { x, y, xlabel, ylabel, threshold, logx }) {
  const lines = [];
  const dat = [];
  for (const [server, reps] of series) {
    const byValue = new Map();
    for (const rep of reps) for (const p of rep.points ?? []) {
      if (!p.run || p.run.failed || !p.run.latency?.count) continue;
      (byValue.get(p.value) ?? byValue.set(p.value, []).get(p.value)).push(p.run);
    }
    const rows = [...byValue.entries()].map(([, runs]) => [median(runs.map(x)), median(runs.map(y))]).sort((a, b) => a[0] - b[0]);
    if (!rows.length) continue;
    const f = join(dataDir, `${name}-${server}.dat`);
    writeFileSync(f, rows.map((r) => r.join(' ')).join('\n') + '\n');
    dat.push(f);
    lines.push(`"${f}" using 1:2 with linespoints lw 2 pt 7 lc rgb "${COLORS[server]}" title "${LABEL[server]}"`);
  }
  if (!lines.length) return null;
  const out = join(dir, `${name}.${FORMAT}`);
  const s = header(out, title, xlabel, ylabel) + `set logscale y\n${logx ? 'set logscale x\n' : ''}` +
    `set format x "%.0s%c"\n` +
    `plot ${lines.join(', ')}, ${threshold} with lines dt 2 lc rgb "#888888" title "${threshold} ms"\n`;
  return gnuplot(s, out) ? out : null;
}

// Percentile plot: p50 … max of one scenario, one line per server.
function percentilePlot(dir, dataDir, name, title, series, pick) {
  const keys = [['p50', 'p50_ms'], ['p95', 'p95_ms'], ['p99', 'p99_ms'], ['p99.9', 'p999_ms'], ['max', 'max_ms']];
  const lines = [];
  for (const [server, run] of series) {
    if (!run) continue;
    const h = pick(run);
    if (!h?.count) continue;
    const f = join(dataDir, `${name}-${server}.dat`);
    writeFileSync(f, keys.map(([label, k], i) => `${i} ${label} ${Math.max(h[k], 0.001)}`).join('\n') + '\n');
    lines.push(`"${f}" using 1:3:xtic(2) with linespoints lw 2 pt 7 lc rgb "${COLORS[server]}" title "${LABEL[server]}"`);
  }
  if (!lines.length) return null;
  const out = join(dir, `${name}.${FORMAT}`);
  const s = header(out, title, 'percentile', 'latency (ms)') + `set logscale y\nset xrange [-0.3:4.3]\nplot ${lines.join(', ')}\n`;
  return gnuplot(s, out) ? out : null;
}

function barPlot(dir, dataDir, name, title, ylabel, bars) {
  const rows = bars.filter(([, v]) => typeof v === 'number' && v > 0);
  if (!rows.length) return null;
  const f = join(dataDir, `${name}.dat`);
  writeFileSync(f, rows.map(([s, v], i) => `${i} "${LABEL[s]}" ${v} 0x${COLORS[s].slice(1)}`).join('\n') + '\n');
  const out = join(dir, `${name}.${FORMAT}`);
  const s = header(out, title, '', ylabel) + `set style fill solid 0.8\nset boxwidth 0.6\nset yrange [0:*]\nset xrange [-0.6:${rows.length - 0.4}]\nunset key\n` +
    `plot "${f}" using 1:3:4:xtic(2) with boxes lc rgb variable, "" using 1:3:(sprintf("%.1f", $3)) with labels offset 0,0.7 notitle\n`;
  return gnuplot(s, out) ? out : null;
}

// ---------------------------------------------------------------- the markdown section
export function renderSection(results, plots) {
  const S = results.single;
  const C = results.cluster;
  const servers = Object.keys(results.servers).filter((s) => s !== 'parley-cluster' && Object.values(S).some((x) => x[s]));
  const L = [];
  const p = (s = '') => L.push(s);
  const m = results.machine;
  const v = results.versions;
  const minutes = ((new Date(results.finished) - new Date(results.started)) / 60000).toFixed(0);
  const img = (key, alt) => plots[key] ? p(`![${alt}](${plots[key]})\n`) : null;
  const sum = Object.fromEntries(Object.entries(S).map(([sc, byServer]) =>
    [sc, Object.fromEntries(Object.entries(byServer).map(([s, reps]) => [s, summarize(reps, sc)]))]));
  const csum = Object.fromEntries(Object.entries(C).map(([sc, byServer]) =>
    [sc, Object.fromEntries(Object.entries(byServer).map(([s, reps]) => [s, summarize(reps, sc)]))]));

  p('## parley against Node `ws` + Redis, Socket.IO and Bun pub/sub (bench/compare)');
  p();
  if (results.mode === 'quick')
    p('> **Quick run** (`--quick`: 3 s per point, short ladders, one repetition, small client counts). It checks that the comparison works; its figures are indicative only, not the report of a full run.\n');
  p(`Generated by \`${results.commandLine}\` on ${results.started.slice(0, 10)} (${results.mode} run, ` +
    `${results.repeat} repetition${results.repeat > 1 ? 's' : ''} of every scenario, ${minutes} min, parley ${v.parley_commit}` +
    `${results.parleydBuilt ? `, build/parleyd built ${results.parleydBuilt.slice(0, 16).replace('T', ' ')} UTC` : ''}). ` +
    `Medians of the repetitions, the range in brackets. Every point is a fresh server: started, loaded by one ` +
    `\`parley-bench\` run, stopped. Raw JSON of every run: the directory printed at the end of the run.`);
  p();
  p('| machine | |');
  p('|---|---|');
  p(`| CPU | ${m.nproc} × ${m.cpu}${m.mhz ? ` (${m.mhz} MHz)` : ''} |`);
  p(`| RAM | ${m.ram_gib} GiB |`);
  p(`| OS, kernel | ${m.os}, Linux ${m.kernel} |`);
  const loads = results.runs.map((r) => r.load1).filter((x) => typeof x === 'number');
  p(`| load average (1, 5, 15 min) | at start ${results.load_start.map((x) => x.toFixed(2)).join(', ')}; at end ${results.load_end.map((x) => x.toFixed(2)).join(', ')}` +
    (loads.length ? `; 1-min load before each point: median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)} (the machine is shared; this includes the previous point's own load)` : '') + ' |');
  p(`| file descriptors | hard limit ${results.fdHard ?? '?'} per process: at most ${int(results.fdCap)} connections per run (the generator holds one fd per connection, and so does the server) |`);
  p();
  p('| software | version |');
  p('|---|---|');
  p(`| g++ | ${v.gxx} |`);
  p(`| Boost | ${v.boost} |`);
  p(`| SQLite (libsqlite3-0) | ${v.sqlite} |`);
  p(`| Node.js | ${v.node} |`);
  p(`| ws / node-redis | ${v.ws} / ${v.node_redis} |`);
  p(`| socket.io / @socket.io/redis-adapter | ${v.socketio} / ${v.redis_adapter} |`);
  if (v.bun) p(`| Bun (bench/peers/bun, npm \`bun\`) | ${v.bun} |`);
  p(`| redis-server | ${v.redis_server} |`);
  p(`| PostgreSQL (cluster rows) | ${v.postgres} |`);
  p();
  p('| server | what runs | command |');
  p('|---|---|---|');
  for (const [name, s] of Object.entries(results.servers)) p(`| ${LABEL[name]} | ${s.describe} | \`${s.command}\` |`);
  p();
  p(`The load generator is \`build/parley-bench\` for every server (two threads for room200, broadcast and persist; one for the rest), on the same ${m.nproc} cores as the ` +
    `server(s) and Redis/PostgreSQL. The Node peers run ${results.peerProcs} Node processes each (one per core, ` +
    `connections spread round-robin over them, fan-out between them through Redis), as the write-ups deploy them ` +
    `behind nginx; parleyd runs one process with one I/O thread per core. Their "persisted" is a Redis list in ` +
    `memory (no AOF); parley's is SQLite with \`synchronous=full\` (fsync per group commit).`);
  p();
  if (results.servers.bun) {
    p('Bun pub/sub is the **ceiling**, not a rival: one `bun` process, `Bun.serve` with its native topic ' +
      'pub/sub (uWebSockets), seq per room in memory, no Redis, nothing stored, so its figures are what the ' +
      'WebSocket fan-out alone costs on this machine (it speaks the bench protocol, driven as `--protocol ws-redis`). ' +
      'One process because Bun\'s pub/sub does not cross processes.');
    p();
  }

  // ---- targets
  // (a run without the servers or scenarios a target needs has no row for it, and no table at all when none)
  const targets = [];
  const kp = sum.knee?.parley?.main;
  for (const peer of PEERS) {
    const want = TARGETS.knee[peer];
    const kq = sum.knee?.[peer]?.main;
    if (want === undefined || kp == null || kq == null) continue;
    const r = kq > 0 ? kp / kq : Infinity;
    targets.push(`| room200 knee: parley ≥ ${want}× ${LABEL[peer]} | ${int(kp)} vs ${int(kq)} deliveries/s = ${Number.isFinite(r) ? r.toFixed(1) + '×' : '∞ (the peer never met p99 ≤ 50 ms in the ladder)'} | ` +
      (r >= want ? '**met**' : `**missed**: ${r.toFixed(1)}× instead of ${want}×, ${Math.round((1 - r / want) * 100)} % short (parley would need ${int(want * kq)} deliveries/s at p99 ≤ 50 ms)`) + ' |');
  }
  const hs = sum.history?.parley?.run;
  if (hs) {
    const h99 = hs.history_latency.p99_ms;
    targets.push(`| history page of 50: p99 < ${TARGETS.historyP99} ms | ${msf(h99)} | ` +
      (h99 < TARGETS.historyP99 ? '**met**' : `**missed** by ${msf(h99 - TARGETS.historyP99)} (${(h99 / TARGETS.historyP99).toFixed(1)}× the target)`) + ' |');
  }
  const ps = sum.persist?.parley?.main;
  if (ps != null) {
    targets.push(`| persist (SQLite): ≥ ${int(TARGETS.persist)} acked msg/s | ${int(ps)} msg/s | ` +
      (ps >= TARGETS.persist ? '**met**' : `**missed** by ${int(TARGETS.persist - ps)} msg/s (${Math.round(ps / TARGETS.persist * 100)} % of the target)`) + ' |');
  }
  if (targets.length) {
    p('### Targets');
    p();
    p('| target | measured | verdict |');
    p('|---|---|---|');
    for (const row of targets) p(row);
    p();
  }

  // ---- room200 knee
  if (sum.knee) {
    p('### room200 knee');
    p();
    p(`200 members in one room, every member sending \`--rate-multiplier\` msg/s (so 40,000 × multiplier deliveries/s offered). ` +
      `The multiplier climbs ${results.plan.knee.ladder.join(', ')}${results.plan.knee.bisect ? `, then ${results.plan.knee.bisect} bisection steps` : ''} ` +
      `until a point fails (p99 > ${KNEE_P99_MS} ms, anything lost, not drained within 10 s, or the generator behind schedule); ` +
      `the knee is the highest deliveries/s of a passing point.`);
    p();
    p('| server | knee: deliveries/s at p99 ≤ 50 ms | multiplier | p50 | p99 | ack p99 | server CPU | CPU per delivery | generator CPU | first failing point |');
    p('|---|---|---|---|---|---|---|---|---|---|');
    for (const s of servers) {
      const x = sum.knee[s];
      if (!x) continue;
      const r = x.run;
      const lowest = Math.min(...S.knee[s].map((rep) => rep.lowest ?? Infinity));
      p(`| ${LABEL[s]} | ${spread(x.values, int)}${x.main === 0 ? ` (p99 > 50 ms even at × ${lowest})` : ''} | ${r ? r.rate_per_sender : '–'} | ` +
        `${msf(r?.latency.p50_ms)} | ${msf(r?.latency.p99_ms)} | ${msf(r?.ack_latency.p99_ms)} | ${r ? Math.round(r.server_cpu_pct) + ' %' : '–'} | ${usf(cpuPerDelivery(r))} | ` +
        `${r ? Math.round(r.bench_cpu_pct) + ' %' : '–'} | × ${firstBadText(S.knee[s], x.rep)} |`);
    }
    p();
    const kc = cpuPerDelivery(sum.knee.parley?.run);
    for (const peer of PEERS) {
      if (!sum.knee[peer] || kp == null) continue;
      const qc = cpuPerDelivery(sum.knee[peer].run);
      p(`- parley / ${LABEL[peer]}: **${ratio(kp, sum.knee[peer].main)}**` +
        (kc != null && qc != null ? `; CPU per delivery at the knee: parley / ${LABEL[peer]} = **${ratio(kc, qc)}**` : ''));
    }
    p(`\nServer CPU in % of one core during the send phase (200 % = both cores), at the knee point of the median repetition; ` +
      `CPU per delivery = that CPU time / the deliveries counted for the send phase (server CPU % × 10⁴ / deliveries/s), ` +
      `in µs. Whose CPU: ${CPU_NOTE}.\n`);
    img('knee', 'room200: p99 latency against deliveries/s per server');
  }

  // ---- broadcast
  if (sum.broadcast) {
    p('### Broadcast limit');
    p();
    p(`One room, 4 members broadcasting 5 msg/s each, every member receiving; \`--clients\` climbs ` +
      `${results.plan.broadcast.ladder.filter((n) => n <= results.fdCap).map(int).join(', ')}${results.plan.broadcast.bisect ? ' (then bisection)' : ''} ` +
      `until p95 > ${BROADCAST_P95_MS} ms (or a failure).`);
    p();
    p('| server | most clients with p95 ≤ 250 ms | deliveries/s there | p50 | p95 | p99 | connect + join | first failing point |');
    p('|---|---|---|---|---|---|---|---|');
    for (const s of servers) {
      const x = sum.broadcast[s];
      if (!x) continue;
      const r = x.run;
      p(`| ${LABEL[s]} | ${spread(x.values, int)} | ${int(r?.deliveries_per_s)} | ${msf(r?.latency.p50_ms)} | ${msf(r?.latency.p95_ms)} | ` +
        `${msf(r?.latency.p99_ms)} | ${r ? r.connect_s.toFixed(1) + ' s' : '–'} | ${firstBadText(S.broadcast[s], x.rep)} |`);
    }
    p();
    const bp = sum.broadcast.parley?.main;
    for (const peer of PEERS) if (sum.broadcast[peer] && bp != null) p(`- parley / ${LABEL[peer]}: **${ratio(bp, sum.broadcast[peer].main)}**`);
    p();
    img('broadcast', 'broadcast: p95 latency against the number of clients per server');
  }

  // ---- dm
  if (sum.dm) {
    p('### dm');
    p();
    const any = Object.values(sum.dm).find((x) => x?.run)?.run;
    p(`${any ? int(any.clients) : '?'} connections in ${any ? int(any.rooms) : '?'} two-member rooms (the largest even count under the fd limit), each sending 1 msg/s. ` +
      `Rates are over the send phase plus the drain (the time until the last ack and delivery arrived, at most 10 s more).`);
    p();
    p('| server | connected | messages acked/s (offered) | deliveries/s | p50 | p95 | p99 | p99.9 | ack p99 | server CPU | CPU per delivery | acked, not delivered by the end / errors |');
    p('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of servers) {
      const x = sum.dm[s];
      if (!x?.runs?.length) continue;
      const rs = x.runs;
      p(`| ${LABEL[s]} | ${spread(col(rs, (r) => r.connected), int)} | ${spread(col(rs, (r) => r.acked / (r.duration_s + r.drain_s)), int)} (${int(x.run.rate_per_sender * x.run.connected)}) | ${spread(col(rs, (r) => r.deliveries / (r.duration_s + r.drain_s)), int)} | ` +
        `${spread(col(rs, (r) => r.latency.p50_ms), msf)} | ${spread(col(rs, (r) => r.latency.p95_ms), msf)} | ${spread(col(rs, (r) => r.latency.p99_ms), msf)} | ` +
        `${spread(col(rs, (r) => r.latency.p999_ms), msf)} | ${spread(col(rs, (r) => r.ack_latency.p99_ms), msf)} | ` +
        `${spread(col(rs, (r) => r.server_cpu_pct), (c) => Math.round(c) + ' %')} | ${spread(col(rs, cpuPerDelivery), usf)} | ` +
        `${median(col(rs, (r) => r.lost))} / ${median(col(rs, (r) => r.errors))} |`);
    }
    p();
    for (const peer of PEERS) {
      const a = sum.dm.parley?.run;
      const b = sum.dm[peer]?.run;
      if (a && b) p(`- p99: ${LABEL[peer]} / parley = **${ratio(b.latency.p99_ms, a.latency.p99_ms)}**; server CPU: ${LABEL[peer]} / parley = **${ratio(b.server_cpu_pct, a.server_cpu_pct)}**; ` +
        `CPU per delivery: ${LABEL[peer]} / parley = **${ratio(cpuPerDelivery(b), cpuPerDelivery(a))}**`);
    }
    p();
    p(`Server CPU and CPU per delivery as in the knee table: the send phase's server CPU over the deliveries counted for it ` +
      `(server CPU % × 10⁴ / (deliveries / send phase)); the deliveries/s column above also divides by the drain, so the two ` +
      `do not multiply back exactly when the drain was long. Whose CPU: ${CPU_NOTE}.\n`);
    p('"Acked, not delivered by the end": acked messages a member had not received when the drain timeout (10 s after the send phase) expired: late or lost, parley-bench cannot tell which.\n');
    img('dm', 'dm: latency percentiles per server');
  }

  // ---- idle
  if (sum.idle) {
    p('### Idle connections');
    p();
    p('| server | connections held | connect rate | server RSS before → with the connections | RSS per connection |');
    p('|---|---|---|---|---|');
    for (const s of servers) {
      const x = sum.idle[s];
      if (!x?.runs?.length) continue;
      const rs = x.runs;
      const r = x.run;
      p(`| ${LABEL[s]} | ${spread(col(rs, (q) => q.connected), int)} | ${spread(col(rs, (q) => q.connect_rate), (c) => int(c) + '/s')} | ` +
        `${(r.server_rss_kib_before / 1024).toFixed(0)} → ${(r.server_rss_kib_connected / 1024).toFixed(0)} MiB | ${spread(col(rs, (q) => q.server_rss_kib_per_conn), (k) => k.toFixed(1) + ' KiB')} |`);
    }
    p();
    for (const peer of PEERS) {
      const a = sum.idle.parley?.run;
      const b = sum.idle[peer]?.run;
      if (a && b) p(`- RSS per connection: ${LABEL[peer]} / parley = **${ratio(b.server_rss_kib_per_conn, a.server_rss_kib_per_conn)}**`);
    }
    p('\nRSS is VmRSS from /proc (parleyd; the sum over the Node peer\'s processes, Redis not included; the one bun process), after connect and before any traffic.\n');
    img('idle', 'idle: server RSS per connection');
  }

  // ---- history
  if (sum.history) {
    p('### History pages (parley only)');
    p();
    const x = sum.history.parley;
    if (x?.runs?.length) {
      const rs = x.runs;
      p(`${rs[0].clients} members of one room sending 1 msg/s, each also asking ${results.plan.history.historyRate} pages/s ` +
        `(alternately \`history\` before the newest and \`sync\` from seq 0, \`limit\` 50), measured from request to reply.`);
      p();
      p('| pages answered | p50 | p95 | p99 | p99.9 | max | message p99 meanwhile |');
      p('|---|---|---|---|---|---|---|');
      p(`| ${spread(col(rs, (r) => r.history_replies), int)} | ${spread(col(rs, (r) => r.history_latency.p50_ms), msf)} | ${spread(col(rs, (r) => r.history_latency.p95_ms), msf)} | ` +
        `${spread(col(rs, (r) => r.history_latency.p99_ms), msf)} | ${spread(col(rs, (r) => r.history_latency.p999_ms), msf)} | ${spread(col(rs, (r) => r.history_latency.max_ms), msf)} | ${spread(col(rs, (r) => r.latency.p99_ms), msf)} |`);
      p();
    }
    for (const peer of PEERS) if (sum.history[peer]?.skipped) p(`- ${LABEL[peer]}: skipped — ${sum.history[peer].skipped}.`);
    p();
    img('history', 'history: page latency percentiles');
  }

  // ---- persist
  if (sum.persist) {
    p('### Persist (store throughput)');
    p();
    p(`50 clients, each in its own room, sending open-loop at 200 msg/s × \`--rate-multiplier\` (${results.plan.persist.ladder.join(', ')}; ` +
      `the ladder stops when throughput grows by less than 10 %). Throughput = acked messages / (send phase + drain).`);
    p();
    p('| server | acked msg/s | offered at that point | ack p50 | ack p99 | durability |');
    p('|---|---|---|---|---|---|');
    for (const s of servers) {
      const x = sum.persist[s];
      if (!x) continue;
      const r = x.run;
      p(`| ${LABEL[s]} | ${spread(x.values, int)} | ${r ? int(r.rate_per_sender * r.connected) + ' msg/s' : '–'} | ${msf(r?.ack_latency.p50_ms)} | ${msf(r?.ack_latency.p99_ms)} | ` +
        `${s === 'parley' ? 'SQLite WAL, fsync per group commit' : s === 'bun' ? 'none: seq in process memory, nothing stored' : 'Redis memory (INCR + RPUSH), no fsync'} |`);
    }
    p();
    for (const peer of PEERS) if (sum.persist[peer] && ps != null) p(`- parley / ${LABEL[peer]}: **${ratio(ps, sum.persist[peer].main)}**`);
    p();
    img('persist', 'persist: ack latency percentiles at the best point');
  }

  // ---- cluster
  if (Object.keys(csum).length) {
    p(`### ${results.clusterNodes}-node parley cluster`);
    p();
    p(`The same scenarios against ${results.servers['parley-cluster'].describe}, the generator spreading connections ` +
      `round-robin over the nodes (so most deliveries cross Redis). Everything on the same ${m.nproc} cores.`);
    p();
    p('| scenario | cluster | single parleyd | cluster / single | cluster / ws + Redis | cluster / Socket.IO | cluster / Bun pub/sub |');
    p('|---|---|---|---|---|---|---|');
    const row = (label, sc, f, unit) => {
      const c = csum[sc]?.['parley-cluster'];
      if (!c) return;
      const reps = C[sc]['parley-cluster'];
      const failed = reps.flatMap((rep) => rep.points ? rep.points.map((x) => x.run) : [rep.run]).filter((r) => r?.failed);
      if (failed.length && !reps.some((rep) => rep.best || fixedRun(rep))) {
        p(`| ${label} | did not run: ${failed[0].failed} | | | | | |`);
        return;
      }
      const single = sum[sc]?.parley;
      const val = (x) => x == null ? null : f(x);
      const cv = val(c);
      p(`| ${label} | ${c.values ? spread(c.values, int) : int(cv)} ${unit} | ${int(val(single))} ${unit} | ${ratio(cv, val(single))} | ` +
        `${ratio(cv, val(sum[sc]?.['ws-redis']))} | ${ratio(cv, val(sum[sc]?.socketio))} | ${ratio(cv, val(sum[sc]?.bun))} |`);
    };
    row('room200 knee (p99 ≤ 50 ms)', 'knee', (x) => x.main, 'deliveries/s');
    row('broadcast limit (p95 ≤ 250 ms)', 'broadcast', (x) => x.main, 'clients');
    row('dm: messages acked/s (send phase + drain)', 'dm', (x) => x.run ? x.run.acked / (x.run.duration_s + x.run.drain_s) : null, 'msg/s');
    row('persist', 'persist', (x) => x.main, 'acked msg/s');
    p();
    const cdm = csum.dm?.['parley-cluster']?.run;
    const cdmRuns = csum.dm?.['parley-cluster']?.runs ?? [];
    if (cdm) p(`dm on the cluster: ${cdmRuns.map((r) => int(r.acked)).join(', ')} of ${cdmRuns.map((r) => int(r.sent)).join(', ')} messages acked, ` +
      `${cdmRuns.map((r) => int(r.errors)).join(', ')} errors (${[...new Set(cdmRuns.flatMap((r) => Object.keys(r.error_counts ?? {})))].join(', ') || 'none'}); ` +
      `p50 ${msf(cdm.latency.p50_ms)}, p99 ${msf(cdm.latency.p99_ms)}, ack p99 ${msf(cdm.ack_latency.p99_ms)} ` +
      `(single parleyd: p99 ${msf(sum.dm?.parley?.run?.latency.p99_ms)}). The cluster's store is PostgreSQL, durable: fsync and synchronous_commit on (scripts/cluster-up.sh --durable).`);
    p();
  }

  // ---- commands
  p('### Commands');
  p();
  p('```sh');
  p(`${results.commandLine}      # everything below, then this section and docs/bench/*.svg`);
  p('# servers (fresh for every point; $SECRET is random per run, ports ephemeral)');
  for (const s of Object.values(results.servers)) p(s.command);
  p('# generator: one line per scenario and server ($T1… = the server\'s WebSocket URLs; the ladders vary the value shown)');
  const seen = new Set();
  for (const r of results.runs) {
    const key = `${r.server} ${r.scenario}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const vals = [...new Set(results.runs.filter((q) => q.server === r.server && q.scenario === r.scenario).map((q) => q.label.split(' ').pop()))];
    p(`${r.cmd}${vals.length > 1 ? `      # ${r.label.replace(/ [^ ]*$/, '')} ∈ {${vals.join(', ')}}` : ''}`);
  }
  p('```');
  return L.join('\n');
}

export function writeReport(results, { out, plots: plotDir, dataDir, format = 'svg' }) {
  FORMAT = format;
  mkdirSync(plotDir, { recursive: true });
  const rel = (f) => f ? relative(dirname(out), f) : null;
  const S = results.single;
  const C = results.cluster;
  const plots = {};
  const withCluster = (sc) => [...Object.entries(S[sc] ?? {}), ...Object.entries(C[sc] ?? {})];
  if (S.knee) plots.knee = rel(ladderPlot(plotDir, dataDir, 'room200', 'room200: p99 latency against deliveries/s',
    withCluster('knee'), { x: (r) => r.deliveries_per_s, y: (r) => r.latency.p99_ms, xlabel: 'deliveries/s', ylabel: 'p99 latency (ms)', threshold: KNEE_P99_MS, logx: true }));
  if (S.broadcast) plots.broadcast = rel(ladderPlot(plotDir, dataDir, 'broadcast', 'broadcast: p95 latency against clients in the room',
    withCluster('broadcast'), { x: (r) => r.connected, y: (r) => r.latency.p95_ms, xlabel: 'clients in the room', ylabel: 'p95 latency (ms)', threshold: BROADCAST_P95_MS, logx: true }));
  const mid = (sc) => withCluster(sc).map(([s, reps]) => [s, summarize(reps, sc)?.run]);
  if (S.dm) plots.dm = rel(percentilePlot(plotDir, dataDir, 'dm', 'dm: delivery latency', mid('dm'), (r) => r.latency));
  if (S.persist) plots.persist = rel(percentilePlot(plotDir, dataDir, 'persist', 'persist: ack latency at the highest throughput', mid('persist'), (r) => r.ack_latency));
  if (S.history) plots.history = rel(percentilePlot(plotDir, dataDir, 'history', 'history: page-of-50 latency (parley)', mid('history'), (r) => r.history_latency));
  if (S.idle) plots.idle = rel(barPlot(plotDir, dataDir, 'idle', 'idle: server RSS per connection', 'KiB per connection',
    mid('idle').map(([s, r]) => [s, r?.server_rss_kib_per_conn])));
  const section = renderSection(results, plots);
  const doc = existsSync(out) ? readFileSync(out, 'utf8') : '# parley benchmarks\n';
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  const block = `${BEGIN}\n${section}\n${END}`;
  const next = a >= 0 && b > a ? doc.slice(0, a) + block + doc.slice(b + END.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(out, next);
}
