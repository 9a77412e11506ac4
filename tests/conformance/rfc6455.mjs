#!/usr/bin/env node
// RFC 6455 conformance of parley's WebSocket paths: a raw-frame client (ws_client.mjs, node:net
// only) runs the Autobahn TestSuite cases of chapters 1–7, 9 and 10 (cases_autobahn.mjs) and
// parley's own write-path cases (cases_parley.mjs) against parleyd-echo, which echoes every
// message sent to /echo through parley's real read and write paths.
//
//   node tests/conformance/rfc6455.mjs --server build/parleyd-echo [--only REGEX] [--verbose]
//
// Starts two servers (port 0, temporary data directories): "main" with limits raised for the
// big and pipelined cases, and "limits" with the defaults (and deflate off). Each case has its
// own timeout; the run stops itself after SUITE_LIMIT_MS. Prints one line per case, then
// "N passed, N failed"; exits 1 on any failure.
import { rmSync } from 'node:fs';

import { AUTOBAHN_CASES } from './cases_autobahn.mjs';
import { PARLEY_CASES } from './cases_parley.mjs';
import { EchoServer } from './echo_server.mjs';
import { SELFTEST_CASES } from './selftest.mjs';
import { connect } from './ws_client.mjs';

const SUITE_LIMIT_MS = 120000;
const CASE_TIMEOUT_MS = 15000;

function parseArgs(argv) {
  const o = { server: null, only: null, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--server') o.server = argv[++i];
    else if (a === '--only') o.only = new RegExp(argv[++i]);
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.server) throw new Error('usage: rfc6455.mjs --server PATH_TO_PARLEYD_ECHO [--only REGEX] [--verbose]');
  return o;
}

const SERVERS = {
  main: [
    '--max-frame-bytes', String(16 * 1024 * 1024),
    // The pipelined cases send hundreds of pings and let megabytes of echoes queue up.
    '--ping-burst', '1000000', '--ping-rate-per-sec', '1000000',
    '--queue-soft-bytes', String(256 * 1024 * 1024), '--queue-hard-bytes', String(512 * 1024 * 1024),
  ],
  limits: ['--deflate-level', '0'],
};

async function runCase(k, port) {
  const conns = [];
  const notes = [];
  const t = {
    open: async (opts) => {
      const c = await connect(port, opts);
      conns.push(c);
      return c;
    },
    note: (s) => notes.push(s),
  };
  const started = performance.now();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`case timed out after ${k.timeout ?? CASE_TIMEOUT_MS} ms`)), k.timeout ?? CASE_TIMEOUT_MS);
  });
  let error = null;
  try {
    await Promise.race([k.run(t), timeout]);
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
    for (const c of conns) c.destroy();
  }
  return { error, notes, ms: performance.now() - started };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const all = [...SELFTEST_CASES, ...AUTOBAHN_CASES, ...PARLEY_CASES];
  const ids = new Set();
  for (const k of all) {
    if (ids.has(k.id)) throw new Error(`duplicate case id ${k.id}`);
    ids.add(k.id);
  }
  const selected = all.filter((k) => !o.only || o.only.test(k.id));
  const servers = {};
  const suiteTimer = setTimeout(() => {
    console.error(`rfc6455: the suite ran over ${SUITE_LIMIT_MS} ms; stopping`);
    for (const s of Object.values(servers)) {
      s.proc?.kill('SIGKILL');
      if (s.dir) rmSync(s.dir, { recursive: true, force: true });
    }
    console.log('0 passed, 1 failed');
    process.exit(2);
  }, SUITE_LIMIT_MS);
  suiteTimer.unref();

  const started = performance.now();
  const failures = [];
  let passed = 0;
  try {
    for (const name of new Set(selected.filter((k) => !k.local).map((k) => k.server ?? 'main'))) {
      servers[name] = new EchoServer(o.server, SERVERS[name], name);
      await servers[name].start();
    }
    console.log(`rfc6455: ${selected.length} cases against ${o.server} (main on port ${servers.main?.port ?? '-'}, limits on port ${servers.limits?.port ?? '-'})`);
    for (const k of selected) {
      const server = k.local ? { running: true, port: null } : servers[k.server ?? 'main'];
      let r;
      if (!server.running) r = { error: new Error(`${server.name} server is not running (exit ${JSON.stringify(await server.exited)})`), notes: [], ms: 0 };
      else r = await runCase(k, server.port);
      const line = `${k.id.padEnd(24)} ${k.title} (${r.ms.toFixed(0)} ms)`;
      if (r.error) {
        failures.push({ k, r });
        console.log(`FAIL ${line}\n     ${String(r.error.message ?? r.error).replace(/\n/g, '\n     ')}`);
      } else {
        passed++;
        if (o.verbose || r.notes.length) console.log(`ok   ${line}${r.notes.length ? ` — ${r.notes.join('; ')}` : ''}`);
      }
    }
  } finally {
    for (const s of Object.values(servers)) {
      const exit = await s.stop();
      if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
        failures.push({ k: { id: `${s.name} server`, title: 'exit' }, r: { error: new Error(`exited ${JSON.stringify(exit)}`) } });
      }
    }
  }
  if (failures.length) {
    console.log('\nfailed:');
    for (const { k, r } of failures) console.log(`  ${k.id} ${k.title}: ${String(r.error.message ?? r.error).split('\n')[0]}`);
    const stderr = Object.values(servers).map((s) => s.stderr && `---- ${s.name} server stderr (last lines)\n${s.stderr.split('\n').slice(-30).join('\n')}`).filter(Boolean);
    if (stderr.length) console.log(stderr.join('\n'));
  }
  console.log(`rfc6455: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failures.length} failed`);
  clearTimeout(suiteTimer);
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
