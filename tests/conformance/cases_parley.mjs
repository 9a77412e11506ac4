// Cases for parley's own write path, which Autobahn does not single out: the session frames
// its echoes itself and writes many of them in one gathered write, through a gate it shares
// with the control frames Beast writes (pongs, close). These cases pipeline thousands of
// messages of mixed sizes with pings in between, read slowly so that writes back up, close
// in the middle of a burst, and offer permessage-deflate; any frame written inside another one,
// or after the close frame, is a malformed frame to the strict parser and fails the case.
// Cases marked `server: 'limits'` run against a second parleyd-echo with the default limits
// (max_frame_bytes 65536, ping burst 50) and --deflate-level 0.
import zlib from 'node:zlib';

import { CaseFailure, OP, assertSame, closeHandshake, describe, expectFailure, expectMessage } from './expect.mjs';
import { closePayload, fragments, frame, sleep } from './ws_client.mjs';

const cases = [];
const add = (id, title, run, opts = {}) => cases.push({ id, title, run, ...opts });
const KiB = 1024;
const OFFER = 'permessage-deflate; client_max_window_bits';

// A small seeded PRNG (mulberry32), so that a failing run can be repeated exactly.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDGES = [0, 1, 125, 126, 127, 128, 65535, 65536, 70 * KiB];
// Mixed sizes from 0 B to 70 KiB: mostly small, some medium, a few large, and the length
// encoding edges; each payload is numbered so that a lost or reordered echo is named.
function mixedMessages(count, seed, { maxLarge = 70 * KiB } = {}) {
  const rnd = prng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    let n;
    if (r < 0.08) n = EDGES[Math.floor(rnd() * EDGES.length)];
    else if (r < 0.6) n = Math.floor(rnd() * 200);
    else if (r < 0.92) n = Math.floor(rnd() * 4 * KiB);
    else n = Math.floor(rnd() * maxLarge);
    n = Math.min(n, maxLarge);
    const isText = rnd() < 0.5;
    const p = isText ? Buffer.alloc(n, `#${i} ǂ€𤭢 `) : Buffer.alloc(n);
    if (!isText) for (let k = 0; k < n; k++) p[k] = (i + k * 31) & 0xff;
    if (isText && n > 0 && !isValidTextLength(p)) p.fill(0x2a); // a cut code point at the end
    out.push({ opcode: isText ? OP.text : OP.binary, payload: p });
  }
  return out;
}
function isValidTextLength(p) {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `messages` as fast as the socket takes them, in writes of `batch` frames, with a ping
 * after every `pingEvery` messages, and reads everything back at the same time: every echo
 * must be exact and in order, every pong must carry its ping's payload, in order.
 * `pauseMs`: the client does not read for that long after the first write, so the server's
 * writes back up. `encode(msg, ping)` turns a message into its frames (default: one frame);
 * `ping()` makes a ping frame whose pong is then expected in turn.
 */
async function pipeline(c, messages, { pingEvery = 0, batch = 32, pauseMs = 0, encode, ms = 30000 } = {}) {
  const pings = [];
  const wire = [];
  let current = [];
  const ping = () => {
    const p = Buffer.from(`ping ${pings.length}`);
    pings.push(p);
    return frame(OP.ping, p);
  };
  messages.forEach((m, i) => {
    current.push(...(encode ? encode(m, ping) : [frame(m.opcode, m.payload)]));
    if (pingEvery && i % pingEvery === pingEvery - 1) current.push(ping());
    if ((i + 1) % batch === 0 || i === messages.length - 1) {
      wire.push(current);
      current = [];
    }
  });

  let echoes = 0;
  let pongs = 0;
  const reader = (async () => {
    while (echoes < messages.length || pongs < pings.length) {
      let ev;
      try {
        ev = await c.next(ms);
      } catch (e) {
        throw new CaseFailure(`${echoes}/${messages.length} echoes and ${pongs}/${pings.length} pongs received, then: ${e.message}`);
      }
      if (ev.type === 'pong') {
        if (pongs >= pings.length) throw new CaseFailure(`pong #${pongs} but only ${pings.length} pings were sent: ${describe(ev)}`);
        assertSame(ev.data, pings[pongs], `pong #${pongs}`);
        pongs++;
      } else if (ev.type === 'message') {
        if (echoes >= messages.length) throw new CaseFailure(`an extra message after all ${messages.length} echoes: ${describe(ev)}`);
        const want = messages[echoes];
        if (ev.opcode !== want.opcode) throw new CaseFailure(`echo #${echoes}: got ${describe(ev)}, expected a ${want.opcode === OP.text ? 'text' : 'binary'} message of ${want.payload.length} bytes`);
        assertSame(ev.data, want.payload, `echo #${echoes}`);
        echoes++;
      } else {
        throw new CaseFailure(`after ${echoes}/${messages.length} echoes and ${pongs}/${pings.length} pongs: ${describe(ev)}`);
      }
    }
  })();
  reader.catch(() => {}); // awaited below; the writer may still be busy when it fails

  if (pauseMs) c.socket.pause();
  const writer = (async () => {
    for (const w of wire) await c.send(w);
  })();
  if (pauseMs) {
    await sleep(pauseMs);
    c.socket.resume();
  }
  await Promise.all([writer, reader]);
  return { pings: pings.length };
}

// ---- max_frame_bytes (the limits server: default 65536) --------------------------------------
add('P.1', 'message of max_frame_bytes echoed, one byte more → 1009', async (t) => {
  const c = await t.open();
  const limit = Buffer.alloc(65536, 0x61);
  await c.send(frame(OP.text, limit));
  await expectMessage(c, OP.text, limit);
  await closeHandshake(c);
  const d = await t.open();
  await d.send(frame(OP.binary, Buffer.alloc(65537, 0x62)));
  await expectFailure(d, [1009]);
}, { server: 'limits' });
add('P.2', 'fragmented message over max_frame_bytes (2 × 40000) → 1009', async (t) => {
  const c = await t.open();
  await c.send(fragments(OP.binary, Buffer.alloc(80000, 0x63), 40000));
  await expectFailure(c, [1009]);
}, { server: 'limits' });

// ---- gathered writes -------------------------------------------------------------------------
for (const [id, n, what, make] of [
  ['P.3.1', 1000, '16-byte text messages', (i) => ({ opcode: OP.text, payload: Buffer.from(`msg ${String(i).padStart(11, '0')}`) })],
  ['P.3.2', 1000, 'binary messages of 0–300 bytes', (i) => ({ opcode: OP.binary, payload: Buffer.alloc((i * 37) % 301, i & 0xff) })],
  ['P.3.3', 1000, 'text messages of 1–4096 bytes (over 256 frames and 256 KiB per gathered write)',
    (i) => ({ opcode: OP.text, payload: Buffer.alloc(1 + ((i * 997) % 4096), `${i}:`) })],
]) {
  add(id, `${n} ${what}, back to back in one write, echoed in order`, async (t) => {
    const c = await t.open();
    const messages = Array.from({ length: n }, (_, i) => make(i));
    await pipeline(c, messages, { batch: n });
    await closeHandshake(c);
  });
}

// ---- interleaving of Beast's control frames with the session's data frames -------------------
add('P.4', '2000 mixed messages (0 B–70 KiB) pipelined with a ping every 5: all echoes and pongs exact, in order', async (t) => {
  const c = await t.open();
  const messages = mixedMessages(2000, 6455);
  const { pings } = await pipeline(c, messages, { pingEvery: 5, batch: 16 });
  t.note(`${messages.length} echoes, ${pings} pongs, ${(messages.reduce((s, m) => s + m.payload.length, 0) / KiB / KiB).toFixed(1)} MiB`);
  await closeHandshake(c);
}, { timeout: 60000 });
add('P.4.2', '1000 mixed messages, each in 1–3 fragments with a ping between fragments', async (t) => {
  const c = await t.open();
  let k = 0;
  const encode = (m, ping) => {
    const frames = fragments(m.opcode, m.payload, Math.max(1, Math.ceil(m.payload.length / (1 + (k++ % 3)))));
    if (frames.length > 1) frames.splice(1, 0, ping());
    return frames;
  };
  const { pings } = await pipeline(c, mixedMessages(1000, 17), { encode, batch: 16 });
  t.note(`${pings} pings inside fragmented messages answered`);
  await closeHandshake(c);
}, { timeout: 60000 });
add('P.5', 'slow reader: 2000 mixed messages and pings while the client does not read for 1.5 s', async (t) => {
  const c = await t.open();
  const messages = mixedMessages(2000, 1009);
  await pipeline(c, messages, { pingEvery: 7, batch: 16, pauseMs: 1500 });
  await closeHandshake(c);
}, { timeout: 60000 });
add('P.5.2', 'slow reader: 64 × 256 KiB with pings, reading paused twice', async (t) => {
  const c = await t.open();
  const messages = Array.from({ length: 64 }, (_, i) => ({ opcode: i % 2 ? OP.binary : OP.text, payload: Buffer.alloc(256 * KiB, `${i}|`) }));
  const run = pipeline(c, messages, { pingEvery: 2, batch: 4, pauseMs: 800 });
  await sleep(1200);
  c.socket.pause();
  await sleep(500);
  c.socket.resume();
  await run;
  await closeHandshake(c);
}, { timeout: 60000 });

// ---- closing in the middle of a burst --------------------------------------------------------
add('P.6', 'close right behind a burst (20 connections × 300 messages): a prefix of the echoes, whole, then the close, then nothing', async (t) => {
  // §5.5.1: the server may stop echoing once it has the close ("MAY delay sending a Close
  // frame until its current message is sent"), but after its close frame it MUST NOT send
  // any more data frames, and no frame may be cut short.
  const counts = [];
  for (let round = 0; round < 20; round++) {
    const c = await t.open();
    const messages = mixedMessages(300, 100 + round, { maxLarge: 8 * KiB });
    c.sentClose = true;
    await c.send([...messages.map((m) => frame(m.opcode, m.payload)), frame(OP.close, closePayload(1000, 'bye'))]);
    let i = 0;
    for (;;) {
      const ev = await c.next(10000);
      if (ev.type !== 'message') {
        c.events.unshift(ev);
        break;
      }
      if (i >= messages.length) throw new CaseFailure(`round ${round}: more echoes than messages`);
      if (ev.opcode !== messages[i].opcode) throw new CaseFailure(`round ${round}: echo #${i}: ${describe(ev)}`);
      assertSame(ev.data, messages[i].payload, `round ${round}: echo #${i}`);
      i++;
    }
    try {
      await closeHandshake(c, { send: false });
    } catch (e) {
      throw new CaseFailure(`round ${round}, after ${i}/300 echoes: ${e.message}`);
    }
    counts.push(i);
  }
  t.note(`echoes before the close: ${counts.join(' ')}`);
});
// The close arrives while the session still has echoes queued behind a write in flight:
// Beast's close frame and the session's next gathered write meet at the gate. The client sends
// 160 × 64 KiB and then `last` without reading for 300 ms, so that the server's writes back up.
async function closeBehindBacklog(t, last, expectClose, openOpts) {
  const counts = [];
  for (let round = 0; round < 5; round++) {
    const c = await t.open(openOpts);
    const messages = Array.from({ length: 160 }, (_, i) => ({ opcode: i % 3 ? OP.binary : OP.text, payload: Buffer.alloc(64 * KiB + (i % 7), `${round}/${i} `) }));
    c.sentClose = true;
    c.socket.pause();
    await c.send([...messages.map((m) => frame(m.opcode, m.payload)), last]);
    await sleep(300);
    c.socket.resume();
    let i = 0;
    try {
      await expectClose(c, {
        allow: (ev) => {
          if (ev.type !== 'message' || i >= messages.length) return false;
          assertSame(ev.data, messages[i].payload, `echo #${i}`);
          return ++i;
        },
      });
    } catch (e) {
      throw new CaseFailure(`round ${round}, after ${i}/${messages.length} echoes: ${e.message}`);
    }
    counts.push(i);
  }
  t.note(`echoes before the close: ${counts.join(' ')}`);
}
// (expectFailure for the clean close too: it waits for the close frame, allowing the echoes
// before it, then for TCP close; our own close frame is already sent.)
add('P.6.2', 'client close behind a backed-up burst: a prefix of the echoes, the close, nothing after (§5.5.1)', (t) =>
  closeBehindBacklog(t, frame(OP.close, closePayload(1000)), (c, o) => expectFailure(c, [1000], o)), { timeout: 60000 });
add('P.6.2-deflate', 'the same with permessage-deflate negotiated (Beast writes the data frames)', (t) =>
  closeBehindBacklog(t, frame(OP.close, closePayload(1000)), (c, o) => expectFailure(c, [1000], o), { extensions: OFFER }), { timeout: 60000 });
add('P.6.3', 'protocol error behind a backed-up burst: a prefix of the echoes, close 1002, nothing after', (t) =>
  closeBehindBacklog(t, frame(5, Buffer.from('reserved opcode')), (c, o) => expectFailure(c, [1002], o)), { timeout: 60000 });

// ---- many fragments --------------------------------------------------------------------------
add('P.7', 'text message in 2000 1-byte fragments with a ping every 100 fragments', async (t) => {
  const c = await t.open();
  const payload = Buffer.alloc(2000, 'ü€𤭢a');
  const frames = fragments(OP.text, payload, 1);
  const wire = [];
  const pings = [];
  frames.forEach((f, i) => {
    wire.push(f);
    if (i % 100 === 50) {
      pings.push(Buffer.from(`p${i}`));
      wire.push(frame(OP.ping, pings.at(-1)));
    }
  });
  await c.send(wire);
  for (const p of pings) {
    const ev = await c.next(5000);
    if (ev.type !== 'pong') throw new CaseFailure(`expected the pong for ${p}, got ${describe(ev)}`);
    assertSame(ev.data, p, 'pong');
  }
  await expectMessage(c, OP.text, payload);
  await closeHandshake(c);
});

// ---- client framing errors the server must catch ---------------------------------------------
add('P.8', 'unmasked client frame → fail (§5.1)', async (t) => {
  const c = await t.open();
  await c.send(frame(OP.text, Buffer.from('not masked'), { mask: false }));
  await expectFailure(c, [1002]);
});
add('P.9', 'ping flood at the default limits (ping burst 50): pongs, then close 1008', async (t) => {
  // parley's policy, not RFC 6455's: a connection sending control frames faster than
  // ping_rate_per_sec / ping_burst allow is closed with 1008 (policy violation, §7.4.1).
  const c = await t.open();
  await c.send(Array.from({ length: 200 }, (_, i) => frame(OP.ping, Buffer.from(`flood ${i}`))));
  let pongs = 0;
  await expectFailure(c, [1008], {
    allow: (ev) => ev.type === 'pong' && (assertSame(ev.data, Buffer.from(`flood ${pongs}`), `pong #${pongs}`), ++pongs),
  });
  t.note(`${pongs} pongs before the close`);
}, { server: 'limits' });

// ---- permessage-deflate ----------------------------------------------------------------------
function compressor(conn) {
  // RFC 7692 §7.2.1: compress, then drop the 00 00 ff ff that ends a sync flush. Each message
  // is its own deflate stream (no references back), which is valid with or without context
  // takeover on the server's side.
  const bits = Number(conn.deflate.params.client_max_window_bits ?? 15);
  return (payload) => {
    const z = zlib.deflateRawSync(payload, { finishFlush: zlib.constants.Z_SYNC_FLUSH, windowBits: Math.max(9, bits) });
    if (!z.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))) throw new Error('deflate did not end in a sync flush');
    return z.subarray(0, -4);
  };
}
add('P.10', 'permessage-deflate offered: accepted, messages (compressed either way) echoed intact', async (t) => {
  const c = await t.open({ extensions: OFFER });
  if (!c.deflate) throw new CaseFailure('the server (deflate level 3) declined permessage-deflate');
  t.note(`agreed: ${c.response.headers['sec-websocket-extensions']}`);
  const deflate = compressor(c);
  const small = Buffer.from('small, sent as it is');
  const big = Buffer.alloc(100 * KiB, 'compress me please ');
  const random = Buffer.alloc(20 * KiB);
  for (let i = 0; i < random.length; i++) random[i] = (Math.imul(i, 2654435761) >>> 13) & 0xff;
  // Plain (RSV1 = 0) messages: allowed after the negotiation (RFC 7692 §6).
  for (const [op, p] of [[OP.text, small], [OP.text, big], [OP.binary, random], [OP.text, Buffer.alloc(0)]]) {
    await c.send(frame(op, p));
    const ev = await expectMessage(c, op, p);
    if (p === big && !ev.compressed) t.note('100 KiB text came back uncompressed');
  }
  // Compressed by the client: one frame, and fragmented (RSV1 on the first frame only).
  for (const [op, p] of [[OP.text, small], [OP.text, big], [OP.binary, random]]) {
    const z = deflate(p);
    await c.send(frame(op, z, { rsv: 4 }));
    await expectMessage(c, op, p, { what: 'echo of a compressed message' });
    const parts = fragments(op, z, 777);
    parts[0] = Buffer.from(parts[0]);
    parts[0][0] |= 0x40;
    await c.send(parts);
    await expectMessage(c, op, p, { what: 'echo of a compressed, fragmented message' });
  }
  // Pipelined with pings, half of them compressed by the client.
  let k = 0;
  const encode = (m) => [k++ % 2 ? frame(m.opcode, deflate(m.payload), { rsv: 4 }) : frame(m.opcode, m.payload)];
  await pipeline(c, mixedMessages(400, 7692), { pingEvery: 5, batch: 16, encode });
  await closeHandshake(c);
}, { timeout: 60000 });
add('P.11', 'permessage-deflate offered to a server with --deflate-level 0: declined, plain echo', async (t) => {
  const c = await t.open({ extensions: OFFER });
  if (c.deflate) throw new CaseFailure(`accepted ${c.response.headers['sec-websocket-extensions']} with deflate off`);
  const p = Buffer.alloc(5000, 'plain ');
  await c.send(frame(OP.text, p));
  await expectMessage(c, OP.text, p);
  await closeHandshake(c);
}, { server: 'limits' });

export const PARLEY_CASES = cases;
