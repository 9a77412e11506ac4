// bench/compare's driver (bench/compare installs and builds what is missing, then runs this):
// parley, the ws-redis, socketio and bun peers and a 3-node parley cluster through the same
// scenarios, one after another on this machine, then the report section of
// docs/benchmarks.md and its plots (report.mjs).
import { parseArgs } from 'node:util';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, chmodSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir, cpus, totalmem, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT, killAll, startRedis, parleyServer, peerServer, bunServer, clusterServer, binsFrom } from './servers.mjs';
import { plan, knee, broadcastLimit, persistMax, fixed } from './scenarios.mjs';
import { writeReport } from './report.mjs';

const ALL = ['knee', 'broadcast', 'dm', 'idle', 'history', 'persist'];
const CLUSTER = ['knee', 'broadcast', 'dm', 'persist'];

const { values: o } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    repeat: { type: 'string' },
    scenarios: { type: 'string', default: ALL.join(',') },
    servers: { type: 'string', default: 'parley,ws-redis,socketio,bun' },
    'no-cluster': { type: 'boolean', default: false },
    'cluster-nodes': { type: 'string', default: '3' },
    'peer-procs': { type: 'string', default: String(cpus().length) },
    'fd-cap': { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'docs/benchmarks.md') },
    plots: { type: 'string', default: join(ROOT, 'docs/bench') },
    'report-only': { type: 'string' },
    'plot-format': { type: 'string', default: 'svg' },
    'command-line': { type: 'string', default: 'bench/compare' },
  },
});

function sh(cmd, args) {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim(); } catch { return ''; }
}
const firstLine = (s) => s.split('\n')[0];
const pkgVersion = (dir) => { try { return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version; } catch { return '?'; } };

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? cpus()[0]?.model ?? '?';
  const mhz = (cpuinfo.match(/^cpu MHz\s*:\s*(.*)$/m) ?? [])[1];
  return { nproc: cpus().length, cpu: model.trim(), mhz: mhz ? Math.round(Number(mhz)) : null,
    ram_gib: +(totalmem() / 2 ** 30).toFixed(1), kernel: release(), os: firstLine(sh('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'])) };
}

function versions() {
  const boost = (readFileSync('/usr/include/boost/version.hpp', 'utf8').match(/BOOST_LIB_VERSION "([^"]+)"/) ?? [])[1];
  let pgBin = '';
  try { pgBin = sh('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']); } catch { /* none */ }
  return {
    gxx: firstLine(sh('g++', ['--version'])),
    boost: boost?.replace('_', '.') ?? '?',
    sqlite: sh('dpkg-query', ['-W', '-f=${Version}', 'libsqlite3-0']) || '?',
    node: process.version,
    ws: pkgVersion(join(ROOT, 'bench/peers/ws-redis/node_modules/ws')),
    socketio: pkgVersion(join(ROOT, 'bench/peers/socketio/node_modules/socket.io')),
    redis_adapter: pkgVersion(join(ROOT, 'bench/peers/socketio/node_modules/@socket.io/redis-adapter')),
    node_redis: pkgVersion(join(ROOT, 'bench/peers/ws-redis/node_modules/redis')),
    bun: sh(join(ROOT, 'bench/peers/bun/node_modules/.bin/bun'), ['--version']) || '?',
    redis_server: (sh('redis-server', ['--version']).match(/v=(\S+)/) ?? [])[1] ?? '?',
    postgres: pgBin ? firstLine(sh(join(pgBin, 'postgres'), ['--version'])) : '?',
    gnuplot: firstLine(sh('gnuplot', ['--version'])),
    parley_commit: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) +
      (sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src']) ? ' with uncommitted changes in src/' : ''),
  };
}

async function main() {
  if (o['report-only']) {
    const results = JSON.parse(readFileSync(join(o['report-only'], 'results.json'), 'utf8'));
    writeReport(results, { out: o.out, plots: o.plots, dataDir: o['report-only'], format: o['plot-format'] });
    return;
  }
  const quick = o.quick;
  const repeat = Number(o.repeat ?? (quick ? 1 : 3));
  const fdCap = Number(o['fd-cap'] ?? 19_500);
  const scenarios = o.scenarios.split(',').filter(Boolean);
  for (const s of scenarios) if (!ALL.includes(s)) throw new Error(`unknown scenario ${s} (${ALL.join(', ')})`);
  const tmp = mkdtempSync(join(tmpdir(), 'parley-compare-'));
  chmodSync(tmp, 0o711);  // as root, the cluster's PostgreSQL runs as `postgres` and must reach its dir
  const resultsDir = join(tmp, 'results');
  const builtAt = statSync(join(ROOT, 'build/parleyd')).mtime.toISOString();
  binsFrom(join(tmp, 'bin'));
  mkdirSync(resultsDir);
  const secret = randomBytes(24).toString('hex');
  const log = (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const ctx = { quick, plan: plan({ quick, fdCap }), fdCap, secret, resultsDir, runs: [], log };
  const started = new Date();
  const results = {
    mode: quick ? 'quick' : 'full', repeat, fdCap, fdHard: sh('bash', ['-c', 'ulimit -Hn']), plan: ctx.plan, started: started.toISOString(),
    commandLine: o['command-line'], machine: machine(), versions: versions(), load_start: loadavg(),
    parleydBuilt: builtAt, peerProcs: Number(o['peer-procs']), clusterNodes: Number(o['cluster-nodes']),
    servers: {}, single: {}, cluster: {}, runs: ctx.runs,
  };
  log(`bench/compare (${results.mode}, ${repeat} repetition${repeat > 1 ? 's' : ''}); raw results in ${resultsDir}`);

  // The Redis the Node peers share (the cluster brings its own; parley and bun need none).
  const wanted = o.servers.split(',').filter(Boolean);
  const redis = wanted.some((n) => n === 'ws-redis' || n === 'socketio') ? await startRedis(join(tmp, 'redis')) : null;
  const cleanup = async () => { killAll(); };
  process.on('SIGINT', () => { cleanup(); process.exit(130); });
  process.on('SIGTERM', () => { cleanup(); process.exit(143); });
  try {
    const all = {
      parley: parleyServer({ secret, tmp }),
      'ws-redis': peerServer('ws-redis', { secret, redis, procs: results.peerProcs }),
      socketio: peerServer('socketio', { secret, redis, procs: results.peerProcs }),
      bun: bunServer({ secret }),
    };
    const servers = wanted.map((n) => {
      if (!all[n]) throw new Error(`unknown server ${n}`);
      return all[n];
    });
    const cluster = clusterServer({ secret, tmp, nodes: results.clusterNodes });
    for (const s of [...servers, cluster]) results.servers[s.name] = { describe: s.describe, command: s.command, protocol: s.protocol };

    const drivers = {
      knee: (s) => knee(ctx, s),
      broadcast: (s) => broadcastLimit(ctx, s),
      persist: (s) => persistMax(ctx, s),
      dm: (s) => fixed(ctx, s, 'dm'),
      idle: (s) => fixed(ctx, s, 'idle'),
      history: (s) => fixed(ctx, s, 'history'),
    };
    // Servers interleave within each repetition, so that a change in the machine's load
    // during the run affects all of them alike.
    for (const scenario of scenarios) {
      log(`scenario ${scenario}`);
      results.single[scenario] = {};
      for (let rep = 0; rep < repeat; rep++) {
        for (const s of servers) {
          (results.single[scenario][s.name] ??= []).push(await drivers[scenario](s));
          save(results, tmp);
        }
      }
    }
    if (!o['no-cluster']) {
      for (const scenario of CLUSTER.filter((s) => scenarios.includes(s))) {
        log(`cluster: scenario ${scenario}`);
        results.cluster[scenario] = { [cluster.name]: [] };
        for (let rep = 0; rep < repeat; rep++) {
          results.cluster[scenario][cluster.name].push(await drivers[scenario](cluster));
          save(results, tmp);
        }
      }
    }
  } finally {
    await redis?.stop();
  }
  results.finished = new Date().toISOString();
  results.load_end = loadavg();
  save(results, tmp);
  writeReport(results, { out: o.out, plots: o.plots, dataDir: tmp, format: o['plot-format'] });
  log(`done in ${((Date.now() - started) / 60000).toFixed(1)} min; report in ${o.out}, raw results in ${tmp}`);
  rmSync(join(tmp, 'redis'), { recursive: true, force: true });
}

function save(results, dir) {
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 1));
}

main().catch((e) => {
  console.error(e.stack ?? String(e));
  killAll();
  process.exit(1);
});
