// The servers bench/compare measures, each started fresh for every run and stopped after it:
// parleyd on SQLite, a parley cluster (scripts/cluster-up.sh), the Node peers of bench/peers
// (several processes on one throwaway redis-server, flushed between runs), and the Bun peer
// (one process, in memory: the ceiling).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, mkdirSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
// The binaries every run uses: copies of build/parleyd and build/parley-bench taken when the
// compare run starts (binsFrom), so that a rebuild during the run cannot mix two versions.
export const BIN = { parleyd: join(ROOT, 'build/parleyd'), bench: join(ROOT, 'build/parley-bench') };
export function binsFrom(dir) {
  mkdirSync(dir, { recursive: true });
  for (const [k, name] of [['parleyd', 'parleyd'], ['bench', 'parley-bench']]) {
    const to = join(dir, name);
    copyFileSync(join(ROOT, 'build', name), to);
    chmodSync(to, 0o755);
    BIN[k] = to;
  }
}
const children = new Set();

// Every process started here is stopped when the compare run ends, however it ends.
export function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
}

// Spawns `cmd` (stdout and stderr to `log`) and resolves with [child, match] once its output
// matches `re`; rejects if it exits first or after `timeoutMs`.
export function startProcess(cmd, args, re, { log, timeoutMs = 20_000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    children.add(child);
    let out = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${cmd} did not start within ${timeoutMs} ms:\n${out.slice(-2000)}`)),
      timeoutMs);
    const finish = (err, m) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) { child.kill('SIGKILL'); reject(err); } else resolve([child, m]);
    };
    const onData = (d) => {
      out += d;
      if (out.length > 65536) out = out.slice(-32768);
      const m = out.match(re);
      if (m) finish(null, m);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, sig) => {
      children.delete(child);
      finish(new Error(`${cmd} exited (${code ?? sig}) while starting:\n${out.slice(-2000)}`));
    });
    if (log) child.logTail = () => out.slice(-4000);
  });
}

// SIGTERM, then SIGKILL after `ms`; resolves with the exit code or signal.
export function stopProcess(child, ms = 15_000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode ?? child.signalCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve(code ?? signal); });
    child.kill('SIGTERM');
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

// One RESP command to a Redis server; resolves with the raw reply.
export function redisCommand(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let reply = '';
    s.setTimeout(10_000, () => { s.destroy(); reject(new Error('redis timeout')); });
    s.on('error', reject);
    s.on('data', (d) => { reply += d; if (reply.endsWith('\r\n')) { s.end(); resolve(reply); } });
    s.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join(''));
  });
}

// The throwaway Redis the peers share (no persistence: the bench protocol's "persisted" means
// in Redis memory, bench/peers/README.md).
export async function startRedis(dir) {
  mkdirSync(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      const [child] = await startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
        '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no', '--databases', '1', '--logfile', ''],
      /Ready to accept connections/);
      return { port, child, url: `redis://127.0.0.1:${port}`, stop: () => stopProcess(child) };
    } catch (e) {
      if (attempt >= 5) throw e;
    }
  }
}

// parleyd on SQLite (synchronous=full, the default: an ack survives power loss), with the
// per-user rate limit raised out of the way (every bench client is its own user).
export function parleyServer({ secret, tmp, threads }) {
  return {
    name: 'parley',
    protocol: 'parley',
    describe: `parleyd (SQLite, synchronous=full, ${threads ? threads + ' I/O threads' : 'one I/O thread per core'})`,
    command: `build/parleyd --host 127.0.0.1 --port 0 --data-dir $TMP --jwt-secret $SECRET --rate-per-sec 1000000 --rate-burst 1000000 --log-level warn`,
    async start() {
      const dir = mkdtempSync(join(tmp, 'parleyd-'));
      const args = ['--host', '127.0.0.1', '--port', '0', '--data-dir', dir, '--jwt-secret', secret,
        '--rate-per-sec', '1000000', '--rate-burst', '1000000', '--log-level', 'warn', '--web-root', dir];
      if (threads) args.push('--threads', String(threads));
      const [child, m] = await startProcess(BIN.parleyd, args,
        /parleyd listening on http:\/\/127\.0\.0\.1:(\d+)/);
      return {
        targets: [`ws://127.0.0.1:${m[1]}/ws`],
        pids: [child.pid],
        // SIGTERM drains within 10 s; SIGKILL after 12 s.
        async stop() { await stopProcess(child, 12_000); rmSync(dir, { recursive: true, force: true }); },
      };
    },
  };
}

// A bench peer: `procs` Node processes on the shared Redis (flushed first), connections spread
// over them round-robin by parley-bench, as nginx would behind the write-ups' deployments.
export function peerServer(name, { secret, redis, procs }) {
  const script = join(ROOT, 'bench/peers', name, 'server.mjs');
  return {
    name,
    protocol: name,
    describe: `${procs} × node bench/peers/${name}/server.mjs on one redis-server`,
    command: `node bench/peers/${name}/server.mjs --port 0 --redis $REDIS --jwt-secret $SECRET   (× ${procs})`,
    async start() {
      await redisCommand(redis.port, 'FLUSHALL');
      const started = await Promise.all(Array.from({ length: procs }, () =>
        startProcess(process.execPath, [script, '--port', '0', '--redis', redis.url, '--jwt-secret', secret],
          /peer listening on http:\/\/127\.0\.0\.1:(\d+)/)));
      return {
        targets: started.map(([, m]) => `ws://127.0.0.1:${m[1]}/ws`),
        pids: started.map(([c]) => c.pid),
        async stop() { await Promise.all(started.map(([c]) => stopProcess(c))); },
      };
    },
  };
}

// The ceiling peer: one `bun` process (the binary pinned in bench/peers/bun/package.json),
// Bun.serve's native pub/sub, seq in memory, no Redis, nothing persisted. Bun's pub/sub is
// per process, so one process: several behind a balancer would not see each other's messages.
// It speaks the raw bench protocol, the one parley-bench calls `ws-redis`.
export function bunServer({ secret }) {
  const bun = join(ROOT, 'bench/peers/bun/node_modules/.bin/bun');
  const script = join(ROOT, 'bench/peers/bun/server.mjs');
  return {
    name: 'bun',
    protocol: 'ws-redis',
    describe: '1 × bun bench/peers/bun/server.mjs (Bun.serve native pub/sub, in memory, no Redis)',
    command: 'bench/peers/bun/node_modules/.bin/bun bench/peers/bun/server.mjs --port 0 --jwt-secret $SECRET',
    async start() {
      const [child, m] = await startProcess(bun, [script, '--port', '0', '--jwt-secret', secret],
        /peer listening on http:\/\/127\.0\.0\.1:(\d+)/);
      return {
        targets: [`ws://127.0.0.1:${m[1]}/ws`],
        pids: [child.pid],
        async stop() { await stopProcess(child); },
      };
    },
  };
}

// A parley cluster: scripts/cluster-up.sh (Redis, PostgreSQL, `nodes` parleyd), fresh per run.
export function clusterServer({ secret, tmp, nodes }) {
  const up = join(ROOT, 'scripts/cluster-up.sh');
  return {
    name: 'parley-cluster',
    protocol: 'parley',
    describe: `${nodes} parleyd nodes on one redis-server and one PostgreSQL 15, durable (fsync and synchronous_commit on; scripts/cluster-up.sh --durable)`,
    command: `scripts/cluster-up.sh start $DIR --durable --nodes ${nodes} --jwt-secret $SECRET --rate-per-sec 1000000 --rate-burst 1000000 --log-level warn`,
    async start() {
      const dir = mkdtempSync(join(tmp, 'cluster-'));
      try {
        execFileSync(up, ['start', dir, '--durable', '--nodes', String(nodes), '--parleyd', BIN.parleyd,
          '--jwt-secret', secret, '--rate-per-sec', '1000000', '--rate-burst', '1000000', '--log-level', 'warn'],
        { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
      } catch (e) {
        try { execFileSync(up, ['stop', dir], { stdio: 'ignore' }); } catch { /* best effort */ }
        throw e;
      }
      const env = Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').split('\n')
        .map((l) => l.match(/^([A-Z0-9_]+)=(.*)$/)).filter(Boolean).map((m) => [m[1], m[2].replace(/\\ /g, ' ')]));
      const n = Number(env.NODES);
      return {
        targets: Array.from({ length: n }, (_, i) => env[`NODE${i + 1}_URL`]),
        pids: Array.from({ length: n }, (_, i) => Number(env[`NODE${i + 1}_PID`])),
        async stop() {
          execFileSync(up, ['stop', dir], { stdio: 'ignore', timeout: 120_000 });
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
