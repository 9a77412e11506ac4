// parleyd as a child process: started on 127.0.0.1 with a temporary data directory and a fixed
// JWT secret, killed with SIGKILL and started again on the same port and directory. Its log
// (stderr) goes to one file across restarts. Also: HS256 tokens for that secret.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** An HS256 JWT for `sub`, valid for `ttlS` seconds. */
export function mintToken(secret, sub, ttlS = 24 * 3600) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + ttlS }));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export class Parleyd {
  /**
   * @param {object} o
   * @param {string} o.bin       path to parleyd
   * @param {string} o.dataDir
   * @param {string} o.secret
   * @param {string} o.logPath   stderr of every incarnation, appended
   * @param {string[]} [o.args]  further flags
   */
  constructor(o) {
    if (!existsSync(o.bin)) throw new Error(`${o.bin} not found: build it first (make build)`);
    this.o = o;
    this.port = 0;
    this.proc = null;
    this.starts = 0;
    this.log = createWriteStream(o.logPath, { flags: 'a' });
  }

  /** Starts parleyd (on its previous port after the first start); resolves once it listens. */
  async start() {
    const args = [
      '--host', '127.0.0.1',
      '--port', String(this.port),
      '--data-dir', this.o.dataDir,
      '--jwt-secret', this.o.secret,
      '--web-root', join(this.o.dataDir, 'no-web'),
      ...(this.o.args ?? []),
    ];
    this.starts++;
    this.log.write(`==== chaos: start #${this.starts} ${new Date().toISOString()} ${this.o.bin} ${args.join(' ')}\n`);
    const proc = spawn(this.o.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stderr.pipe(this.log, { end: false });
    this.exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`parleyd did not start within 15 s (log: ${this.o.logPath})`)), 15000);
      let out = '';
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /parleyd listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`parleyd exited (${code ?? signal}) before listening (log: ${this.o.logPath})`));
      });
    });
    proc.stdout.resume();
    this.port = Number(new URL(url).port);
    return this.port;
  }

  get running() {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill9() {
    if (!this.running) return;
    this.log.write(`==== chaos: SIGKILL ${new Date().toISOString()}\n`);
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (SIGKILL after 12 s); resolves once the process is gone. */
  async stop() {
    if (this.running) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 12000);
      await this.exited;
      clearTimeout(t);
    }
    await new Promise((r) => this.log.end(r));
  }
}
