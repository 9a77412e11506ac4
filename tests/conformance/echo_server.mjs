// parleyd-echo as a child process for the conformance suite: 127.0.0.1, port 0 (the port is
// read from its "listening" line), a temporary data directory removed on stop. The last 64 KiB
// of its stderr are kept for failure reports.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class EchoServer {
  /** @param {string} bin path to parleyd-echo; @param {string[]} args further flags */
  constructor(bin, args = [], name = 'server') {
    if (!existsSync(bin)) throw new Error(`${bin} not found: build parleyd-echo first`);
    this.bin = bin;
    this.args = args;
    this.name = name;
    this.stderr = '';
    this.port = 0;
  }

  async start(timeoutMs = 15000) {
    this.dir = await mkdtemp(join(tmpdir(), 'parley-rfc6455-'));
    const args = ['--host', '127.0.0.1', '--port', '0', '--data-dir', this.dir, '--log-level', 'warn',
      '--web-root', join(this.dir, 'no-web'), ...this.args];
    this.commandLine = `${this.bin} ${args.join(' ')}`;
    const proc = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-65536);
    });
    this.exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    this.port = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${this.name} did not listen within ${timeoutMs} ms`)), timeoutMs);
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /parleyd listening on http:\/\/[^:\s]+:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code ?? signal}) before listening:\n${this.stderr}`));
      });
    });
    return this.port;
  }

  get running() {
    return this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM, wait for the exit (SIGKILL after `graceMs`), remove the data directory. */
  async stop(graceMs = 12000) {
    if (this.running) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
      this.exit = await this.exited;
      clearTimeout(timer);
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    return this.exit;
  }
}
