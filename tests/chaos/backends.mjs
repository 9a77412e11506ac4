// What the clients talk to: one parleyd with SQLite (SingleBackend), or a cluster of parleyd
// nodes on Redis and PostgreSQL started by scripts/cluster-up.sh (ClusterBackend). Both expose
// nodes[i].port, kill9(i), restart(i) (same port, same data), stop(), and auditUrl: a node
// to read the store from directly.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Parleyd } from './server.mjs';

const run = promisify(execFile);

function countLines(paths, re) {
  let n = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    for (const line of readFileSync(p, 'utf8').split('\n')) if (re.test(line)) n++;
  }
  return n;
}

export class SingleBackend {
  constructor({ dir, parleyd, args }) {
    this.secret = randomBytes(24).toString('hex');
    this.server = new Parleyd({ bin: parleyd, dataDir: join(dir, 'data'), secret: this.secret, logPath: join(dir, 'parleyd.log'), args });
    this.logs = [join(dir, 'parleyd.log')];
    this.nodes = [];
  }

  async start() {
    const port = await this.server.start();
    this.nodes = [{ port }];
  }

  get auditUrl() {
    return `ws://127.0.0.1:${this.nodes[0].port}/ws`;
  }

  kill9() {
    return this.server.kill9();
  }

  async restart() {
    const port = await this.server.start();
    if (port !== this.nodes[0].port) throw new Error(`parleyd came back on port ${port}, not ${this.nodes[0].port}`);
  }

  stop() {
    return this.server.stop();
  }

  /** Lines of the server log(s) matching `re`. */
  countLog(re) {
    return countLines(this.logs, re);
  }

  /** Synchronous last resort (process exit): SIGKILL. */
  killNow() {
    if (this.server.running) this.server.proc.kill('SIGKILL');
  }
}

export class ClusterBackend {
  constructor({ root, dir, nodes, parleyd, args, say }) {
    this.script = join(root, 'scripts/cluster-up.sh');
    if (!existsSync(this.script)) throw new Error(`${this.script} not found: --cluster needs it`);
    this.dir = join(dir, 'cluster');
    this.count = nodes;
    this.parleyd = parleyd;
    this.args = args;
    this.say = say;
    this.secret = randomBytes(24).toString('hex');
    this.nodes = [];
    this.started = false;
    this.logs = Array.from({ length: nodes }, (_, i) => join(this.dir, `node${i + 1}.log`));
  }

  env() {
    const env = {};
    for (const line of readFileSync(join(this.dir, 'env'), 'utf8').split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
    }
    return env;
  }

  async cmd(...argv) {
    try {
      return await run(this.script, argv, { maxBuffer: 1 << 20 });
    } catch (e) {
      throw new Error(`cluster-up.sh ${argv.join(' ')} failed: ${e.stderr || e.message}`);
    }
  }

  async start() {
    // As root, PostgreSQL runs as the postgres user: it must be able to traverse our directory.
    chmodSync(dirname(this.dir), 0o711);
    this.started = true;
    await this.cmd('start', this.dir, '--nodes', String(this.count), '--parleyd', this.parleyd, '--jwt-secret', this.secret, ...this.args);
    const env = this.env();
    this.nodes = Array.from({ length: this.count }, (_, i) => ({ port: Number(env[`NODE${i + 1}_PORT`]) }));
    this.pgPort = Number(env.PG_PORT);
    this.redisPort = Number(env.REDIS_PORT);
  }

  /** Node `i` restarted (SIGTERM, then start) to reach PostgreSQL and Redis on these ports. */
  async relink(i, { pgPort, redisPort }) {
    await this.cmd('stop-node', this.dir, String(i + 1));
    await this.cmd('start-node', this.dir, String(i + 1), '--store', `postgres://postgres@127.0.0.1:${pgPort}/parley`,
      '--redis', `redis://127.0.0.1:${redisPort}`);
  }

  get auditUrl() {
    return `ws://127.0.0.1:${this.nodes[0].port}/ws`;
  }

  async kill9(i) {
    await this.cmd('kill-node', this.dir, String(i + 1));
  }

  async restart(i) {
    await this.cmd('start-node', this.dir, String(i + 1));
    const port = Number(this.env()[`NODE${i + 1}_PORT`]);
    if (port !== this.nodes[i].port) throw new Error(`node ${i + 1} came back on port ${port}, not ${this.nodes[i].port}`);
  }

  /** PostgreSQL restarted (fast shutdown: open transactions rolled back, connections dropped). */
  async restartStore() {
    await this.cmd('restart-pg', this.dir);
  }

  /** Redis killed and started again, empty, on its port. */
  async restartBus() {
    await this.cmd('restart-redis', this.dir);
  }

  async stop() {
    if (this.started) await this.cmd('stop', this.dir);
    this.started = false;
  }

  countLog(re) {
    return countLines(this.logs, re);
  }

  killNow() {
    if (this.started) spawnSync(this.script, ['stop', this.dir], { stdio: 'ignore' });
  }
}
