// What a case expects of the server, as Autobahn judges it: an exact echo, a pong with the
// ping's payload, a clean closing handshake (close frame, then the server closes TCP first,
// RFC 6455 §7.1.1), or a failed connection (a close frame with a given code, then TCP close,
// §7.1.7). Every helper throws on the first event that does not fit, and names it.
import { OP, TimeoutError, hex, opName } from './ws_client.mjs';

export class CaseFailure extends Error {}

export function describe(ev) {
  switch (ev.type) {
    case 'message':
      return `${opName(ev.opcode)} message of ${ev.data.length} bytes in ${ev.frames} frame(s)${ev.compressed ? ' (compressed)' : ''}: ${hex(ev.data, 24)}`;
    case 'ping':
    case 'pong':
      return `${ev.type} of ${ev.data.length} bytes: ${hex(ev.data, 24)}`;
    case 'close':
      return `close frame ${ev.code ?? '(no code)'}${ev.reason ? ` "${ev.reason}"` : ''}`;
    case 'violation':
      return `MALFORMED SERVER FRAME: ${ev.why} (at byte ${ev.at} of the frame stream; bytes: ${hex(ev.bytes)}; frames before: ${ev.recent || 'none'})`;
    case 'error':
      return `socket error ${ev.error.code ?? ev.error.message}`;
    case 'end':
      return 'TCP FIN from the server';
    case 'closed':
      return 'TCP connection closed';
    default:
      return JSON.stringify(ev);
  }
}

async function nextEvent(c, ms, what) {
  try {
    return await c.next(ms);
  } catch (e) {
    if (e instanceof TimeoutError) throw new CaseFailure(`waiting for ${what}: ${e.message}`);
    throw e;
  }
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** Throws unless `got` is `want` byte for byte, with a short report of where they differ. */
export function assertSame(got, want, what) {
  if (got.length === want.length && got.equals(want)) return;
  const i = firstDifference(got, want);
  throw new CaseFailure(`${what}: got ${got.length} bytes, expected ${want.length}; first difference at byte ${i}: ` +
    `got ${hex(got.subarray(i, i + 16))}, expected ${hex(want.subarray(i, i + 16))}`);
}

/** The next event must be a message of `opcode` with exactly `payload`. */
export async function expectMessage(c, opcode, payload, { ms = 5000, what = 'echo' } = {}) {
  const want = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const ev = await nextEvent(c, ms, `the ${what} (${opName(opcode)}, ${want.length} bytes)`);
  if (ev.type !== 'message') throw new CaseFailure(`expected the ${what} (${opName(opcode)}, ${want.length} bytes), got ${describe(ev)}`);
  if (ev.opcode !== opcode) throw new CaseFailure(`${what}: expected a ${opName(opcode)} message, got ${describe(ev)}`);
  assertSame(ev.data, want, what);
  return ev;
}

/** The next event must be a pong carrying `payload`. */
export async function expectPong(c, payload, { ms = 5000 } = {}) {
  const want = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const ev = await nextEvent(c, ms, 'a pong');
  if (ev.type !== 'pong') throw new CaseFailure(`expected a pong of ${want.length} bytes, got ${describe(ev)}`);
  assertSame(ev.data, want, 'pong payload (§5.5.3: identical to the ping\'s)');
  return ev;
}

// After the close frames: the server closes TCP first (§7.1.1). A reset once the close frame
// is in is tolerated: the connection is closed either way and no data can be lost any more.
async function expectTcpClose(c, ms) {
  for (;;) {
    if (c.isClosed && c.events.length === 0) return;
    const ev = await nextEvent(c, ms, 'the server to close TCP after the close frames');
    if (ev.type === 'closed') return;
    if (ev.type === 'end' || ev.type === 'error') continue;
    throw new CaseFailure(`after the close frames, got ${describe(ev)}`);
  }
}

/**
 * The closing handshake started by the client (if `send`): our close frame, the server's
 * close frame with one of `codes` (undefined = an empty close), then the server closes TCP.
 */
export async function closeHandshake(c, { code = 1000, reason = '', codes = [1000], send = true, ms = 5000 } = {}) {
  if (send) await c.sendClose(code, reason);
  const ev = await nextEvent(c, ms, 'the server\'s close frame');
  if (ev.type !== 'close') throw new CaseFailure(`expected the server's close frame, got ${describe(ev)}`);
  if (!codes.includes(ev.code)) throw new CaseFailure(`server's close code ${ev.code ?? '(none)'}, expected ${codes.map((x) => x ?? '(none)').join(' or ')}`);
  await expectTcpClose(c, ms);
  return ev;
}

/**
 * The connection failed by the server (§7.1.7): a close frame with one of `codes`, then TCP
 * close. We answer the close frame as Autobahn does. `allow(ev)` may accept events that the
 * server may send before it (it throws or returns false for the others).
 */
export async function expectFailure(c, codes, { ms = 5000, allow = () => false } = {}) {
  for (;;) {
    const ev = await nextEvent(c, ms, `the connection to be failed with ${codes.join('/')}`);
    if (ev.type === 'close') {
      if (!codes.includes(ev.code)) throw new CaseFailure(`connection closed with ${ev.code ?? '(no code)'}, expected ${codes.join(' or ')}`);
      if (!c.sentClose && !c.socket.writableEnded && !c.socket.destroyed) c.sendClose(ev.code ?? 1000).catch(() => {});
      await expectTcpClose(c, ms);
      return ev;
    }
    if (allow(ev)) continue;
    throw new CaseFailure(`expected the connection to be failed with a close frame ${codes.join(' or ')}, got ${describe(ev)}`);
  }
}

export { OP };
