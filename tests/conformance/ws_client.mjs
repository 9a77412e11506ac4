// A raw RFC 6455 client for the conformance suite: node:net only. It does the opening handshake
// by hand, builds (masked) frames byte by byte, so that a case can send anything, malformed on
// purpose or not, and parses what the server sends strictly: any server frame that breaks
// RFC 6455 §5 (mask bit set, reserved bits without an extension, unknown opcode, a length not in
// its shortest form, a control frame over 125 bytes or fragmented, a continuation with nothing
// to continue, a data frame inside a fragmented message, invalid UTF-8 in a text message or a
// close reason, any frame after the server's close frame) becomes a `violation` event, which
// fails whatever case is waiting. Everything the server sends arrives as events, in order.
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import net from 'node:net';
import zlib from 'node:zlib';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const OP = { cont: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa };
const OPCODE_NAMES = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };
export const opName = (op) => OPCODE_NAMES[op] ?? `opcode ${op}`;

const utf8 = new TextDecoder('utf-8', { fatal: true });
export function isValidUtf8(buf) {
  try {
    utf8.decode(buf);
    return true;
  } catch {
    return false;
  }
}

// Mask keys come from a pool of random bytes: a case may send tens of thousands of frames.
const keyPool = Buffer.alloc(64 * 1024);
let keyPos = keyPool.length;
function maskKey() {
  if (keyPos + 4 > keyPool.length) {
    randomFillSync(keyPool);
    keyPos = 0;
  }
  keyPos += 4;
  return keyPool.subarray(keyPos - 4, keyPos);
}

/** Bytes as hex, cut to `max` bytes. */
export function hex(buf, max = 48) {
  const s = Buffer.from(buf.subarray(0, max)).toString('hex').replace(/(..)/g, '$1 ').trim();
  return buf.length > max ? `${s} … (${buf.length} bytes)` : s;
}

/**
 * One frame as a client sends it (§5.2): masked with a fresh random key unless `mask` is false.
 * `len` forces a (non-minimal) length encoding: 7, 16 or 64 bits.
 */
export function frame(opcode, payload = Buffer.alloc(0), { fin = true, rsv = 0, mask = true, len } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const n = data.length;
  const form = len ?? (n <= 125 ? 7 : n <= 0xffff ? 16 : 64);
  const head = Buffer.alloc(2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xf);
  let p = 2;
  if (form === 7) {
    head[1] = n;
  } else if (form === 16) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
    p = 4;
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
    p = 10;
  }
  if (!mask) return Buffer.concat([head, data]);
  head[1] |= 0x80;
  const key = maskKey();
  key.copy(head, p);
  const out = Buffer.allocUnsafe(head.length + n);
  head.copy(out, 0);
  const body = out.subarray(head.length);
  for (let i = 0; i < n; i++) body[i] = data[i] ^ key[i & 3];
  return out;
}

/** A close frame's payload: the code (if any) and the reason. */
export function closePayload(code, reason = '') {
  if (code === undefined) return Buffer.alloc(0);
  const r = Buffer.isBuffer(reason) ? reason : Buffer.from(reason);
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code, 0);
  r.copy(b, 2);
  return b;
}

/** The frames of one message cut into fragments of `size` bytes (at least one frame). */
export function fragments(opcode, payload, size, opts = {}) {
  const out = [];
  for (let off = 0; off < payload.length || out.length === 0; off += size) {
    const last = off + size >= payload.length;
    out.push(frame(out.length === 0 ? opcode : OP.cont, payload.subarray(off, off + size), { ...opts, fin: last }));
    if (payload.length === 0) break;
  }
  return out;
}

// A byte queue that does not copy what it holds until a frame is taken out of it.
class ByteQueue {
  constructor() {
    this.chunks = [];
    this.head = 0; // index of the first chunk still in use
    this.size = 0;
  }
  push(b) {
    this.chunks.push(b);
    this.size += b.length;
  }
  take(n) {
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const c = this.chunks[this.head];
      const k = Math.min(c.length, n - got);
      c.copy(out, got, 0, k);
      got += k;
      if (k === c.length) this.chunks[this.head++] = undefined;
      else this.chunks[this.head] = c.subarray(k);
    }
    this.size -= n;
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return out;
  }
  peek(n) {
    const first = this.chunks[this.head];
    if (first.length >= n) return first.subarray(0, n);
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    for (let i = this.head; got < n; i++) {
      const c = this.chunks[i];
      const k = Math.min(c.length, n - got);
      c.copy(out, got, 0, k);
      got += k;
    }
    return out;
  }
}

export class TimeoutError extends Error {}

/** Parses `Sec-WebSocket-Extensions: permessage-deflate; a=1; b` into { name, params }. */
function parseExtension(value) {
  const [name, ...params] = value.split(';').map((s) => s.trim());
  const p = {};
  for (const kv of params) {
    const [k, v] = kv.split('=').map((s) => s.trim());
    p[k] = v === undefined ? true : v.replace(/^"|"$/g, '');
  }
  return { name, params: p };
}

/**
 * One connection after a successful upgrade. Events (`await conn.next()`):
 *   { type: 'message', opcode, data, frames, compressed }
 *   { type: 'ping' | 'pong', data }
 *   { type: 'close', code, reason, payload }          (code undefined for an empty close)
 *   { type: 'violation', why, at, bytes }            (a malformed server frame; parsing stops)
 *   { type: 'end' }                                   (the server's FIN)
 *   { type: 'error', error }                         (a socket error, e.g. ECONNRESET)
 *   { type: 'closed' }                               (the socket is gone; always last)
 */
export class WsConn {
  constructor(socket, leftover, response, deflate) {
    this.socket = socket;
    this.response = response;
    this.deflate = deflate; // null, or { params } of the accepted permessage-deflate
    this.queue = new ByteQueue();
    this.events = [];
    this.waiters = [];
    this.emitChain = Promise.resolve(); // keeps events in order across async inflation
    this.received = 0; // bytes of frames received
    this.msg = null; // the fragmented message being received
    this.gotClose = false;
    this.sentClose = false;
    this.broken = false;
    this.ended = false;
    this.isClosed = false;
    this.frameLog = []; // the last frame headers received, for reports
    socket.on('data', (d) => this.onData(d));
    socket.on('end', () => {
      this.ended = true;
      if (this.queue.size > 0 && !this.broken) {
        this.fail(`TCP closed inside a frame: ${this.queue.size} bytes of an incomplete frame`, this.queue.peek(Math.min(this.queue.size, 64)));
      }
      this.emit({ type: 'end' });
    });
    socket.on('error', (error) => this.emit({ type: 'error', error }));
    socket.on('close', () => {
      this.isClosed = true;
      this.emit({ type: 'closed' });
    });
    if (leftover.length > 0) this.onData(leftover);
  }

  emit(ev) {
    this.emitChain = this.emitChain.then(async () => {
      if (ev.type === 'message' && ev.compressed) {
        try {
          ev.data = await this.inflate(ev.data);
        } catch (e) {
          ev = { type: 'violation', why: `compressed message does not inflate: ${e.message}`, at: this.received, bytes: Buffer.alloc(0) };
        }
      }
      const w = this.waiters.shift();
      if (w) w.resolve(ev);
      else this.events.push(ev);
    });
  }

  fail(why, bytes = Buffer.alloc(0)) {
    if (this.broken) return;
    this.broken = true;
    const recent = this.frameLog.slice(-4).join(' | ');
    this.emit({ type: 'violation', why, at: this.received, bytes, recent });
  }

  onData(d) {
    if (this.broken) return;
    this.queue.push(d);
    while (!this.broken && this.parseOne());
  }

  // One frame out of the queue, if it is whole; false when more bytes are needed.
  parseOne() {
    const q = this.queue;
    if (q.size < 2) return false;
    const h = q.peek(2);
    const fin = (h[0] & 0x80) !== 0;
    const rsv = (h[0] >> 4) & 7;
    const opcode = h[0] & 0xf;
    const masked = (h[1] & 0x80) !== 0;
    const len7 = h[1] & 0x7f;
    const headLen = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
    if (q.size < headLen) return false;
    const head = q.peek(headLen);
    let len = len7;
    if (len7 === 126) {
      len = head.readUInt16BE(2);
      if (len < 126) return this.fail(`16-bit length ${len} where the 7-bit form fits (§5.2: minimal number of bytes)`, head), false;
    } else if (len7 === 127) {
      const big = head.readBigUInt64BE(2);
      if (big >> 63n) return this.fail('64-bit length with the most significant bit set (§5.2)', head), false;
      if (big <= 0xffffn) return this.fail(`64-bit length ${big} where a shorter form fits (§5.2)`, head), false;
      if (big > 512n * 1024n * 1024n) return this.fail(`absurd frame length ${big}`, head), false;
      len = Number(big);
    }
    const at = this.received;
    const desc = `${fin ? 'FIN ' : ''}${rsv ? `RSV${rsv} ` : ''}${opName(opcode)} len ${len} @${at}`;
    if (masked) return this.fail(`server frame is masked (§5.1: a server MUST NOT mask): ${desc}`, head), false;
    if (this.gotClose) return this.fail(`frame after the server's close frame (§5.5.1): ${desc}`, head), false;
    const control = opcode >= 8;
    if (!OPCODE_NAMES[opcode]) return this.fail(`reserved opcode ${opcode} (§5.2): ${desc}`, head), false;
    // RSV1 is permessage-deflate's "compressed" bit, on the first frame of a data message only
    // (RFC 7692 §6); no other reserved bit is ever allowed without an extension (§5.2).
    const rsv1Ok = this.deflate && opcode !== OP.cont && !control;
    if (rsv & 3 || (rsv & 4 && !rsv1Ok)) return this.fail(`reserved bits set without an extension that defines them (§5.2): ${desc}`, head), false;
    if (control && len > 125) return this.fail(`control frame of ${len} bytes (§5.5: at most 125)`, head), false;
    if (control && !fin) return this.fail(`fragmented control frame (§5.5)`, head), false;
    if (q.size < headLen + len) return false;
    q.take(headLen);
    const payload = q.take(len);
    this.received += headLen + len;
    this.frameLog.push(desc);
    if (this.frameLog.length > 16) this.frameLog.shift();
    if (control) return this.onControl(opcode, payload, head), true;
    if (opcode === OP.cont) {
      if (!this.msg) return this.fail(`continuation frame with no message to continue (§5.4): ${desc}`, head), false;
      this.msg.parts.push(payload);
      this.msg.frames++;
    } else {
      if (this.msg) return this.fail(`new ${opName(opcode)} frame inside a fragmented message (§5.4): ${desc}`, head), false;
      this.msg = { opcode, parts: [payload], frames: 1, compressed: (rsv & 4) !== 0 };
    }
    if (fin) {
      const m = this.msg;
      this.msg = null;
      const data = m.parts.length === 1 ? m.parts[0] : Buffer.concat(m.parts);
      if (m.opcode === OP.text && !m.compressed && !isValidUtf8(data)) {
        return this.fail(`text message of ${data.length} bytes is not valid UTF-8 (§5.6, §8.1)`, data.subarray(0, 64)), false;
      }
      this.emit({ type: 'message', opcode: m.opcode, data, frames: m.frames, compressed: m.compressed });
    }
    return true;
  }

  onControl(opcode, payload, head) {
    if (opcode !== OP.close) return this.emit({ type: opcode === OP.ping ? 'ping' : 'pong', data: payload });
    this.gotClose = true;
    if (payload.length === 1) return this.fail('close frame with a 1-byte payload (§5.5.1)', Buffer.concat([head, payload]));
    if (payload.length === 0) return this.emit({ type: 'close', code: undefined, reason: '', payload });
    const code = payload.readUInt16BE(0);
    const reason = payload.subarray(2);
    if (!isValidUtf8(reason)) return this.fail('close reason is not valid UTF-8 (§5.5.1)', payload);
    // §7.4.1/§7.4.2: 1005, 1006 and 1015 MUST NOT be sent; under 1000 and 1016–2999 are not in use.
    if (code < 1000 || code === 1004 || code === 1005 || code === 1006 || code === 1015 || (code >= 1016 && code < 3000)) {
      return this.fail(`server sent close code ${code}, which an endpoint must not send (§7.4)`, payload);
    }
    this.emit({ type: 'close', code, reason: reason.toString(), payload });
  }

  async inflate(data) {
    // RFC 7692 §7.2.2: append 00 00 ff ff and inflate; the window is kept across messages
    // unless the server agreed to server_no_context_takeover.
    if (!this.inflater || this.deflate.params.server_no_context_takeover) {
      this.inflater?.close();
      this.inflater = zlib.createInflateRaw({ windowBits: 15 });
      this.inflated = [];
      this.inflater.on('data', (c) => this.inflated.push(c));
    }
    const inf = this.inflater;
    return new Promise((resolve, reject) => {
      const onError = (e) => reject(e);
      inf.once('error', onError);
      inf.write(Buffer.concat([data, Buffer.from([0, 0, 0xff, 0xff])]));
      inf.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        inf.off('error', onError);
        const out = Buffer.concat(this.inflated);
        this.inflated = [];
        resolve(out);
      });
    });
  }

  /** The next event; a TimeoutError after `ms`. */
  next(ms = 5000) {
    if (this.events.length > 0) return Promise.resolve(this.events.shift());
    return new Promise((resolve, reject) => {
      const w = { resolve: (ev) => (clearTimeout(timer), resolve(ev)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new TimeoutError(`no event from the server within ${ms} ms (${this.state()})`));
      }, ms);
      this.waiters.push(w);
    });
  }

  state() {
    return `received ${this.received} bytes of frames; last frames: ${this.frameLog.slice(-3).join(' | ') || 'none'}`;
  }

  /** Writes bytes (a Buffer or a list of them) in one write; resolves once they are handed off. */
  send(bytes) {
    const b = Array.isArray(bytes) ? Buffer.concat(bytes) : bytes;
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.socket.write(b, () => resolve(true));
    });
  }

  // Whether a sending loop should stop: the server has closed (or failed) the connection.
  // Writing on would only earn a reset, and Node drops what it had not read yet on a write
  // error (EPIPE), the server's close frame included.
  stopSending() {
    return this.gotClose || this.ended || this.broken || this.socket.destroyed || this.socket.writableEnded;
  }

  async drain() {
    await new Promise((r) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        r();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /**
   * Writes bytes in chops of `size` octets, each its own write, `delayMs` apart; with no delay
   * the event loop still turns between chops, so that what the server sends is read as it
   * comes, and sending stops once the server has closed.
   */
  async sendChopped(bytes, size, delayMs = 0) {
    const b = Array.isArray(bytes) ? Buffer.concat(bytes) : bytes;
    for (let off = 0; off < b.length; off += size) {
      if (this.stopSending()) return;
      if (!this.socket.write(b.subarray(off, off + size))) await this.drain();
      if (delayMs > 0) await sleep(delayMs);
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Writes each frame on its own, `delayMs` apart (the same stop rule as sendChopped). */
  async sendFramewise(frames, delayMs = 0) {
    for (const f of frames) {
      if (this.stopSending()) return;
      await this.send(f);
      if (delayMs > 0) await sleep(delayMs);
      else await new Promise((r) => setImmediate(r));
    }
  }

  sendClose(code, reason) {
    this.sentClose = true;
    return this.send(frame(OP.close, closePayload(code, reason)));
  }

  destroy() {
    this.socket.destroy();
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens a TCP connection and upgrades it (§4.1). `extensions` is the Sec-WebSocket-Extensions
 * offer, if any. Checks 101, Upgrade, Connection and Sec-WebSocket-Accept, and that no extension
 * or subprotocol came back that was not offered.
 */
export async function connect(port, { path = '/echo', extensions, timeoutMs = 5000 } = {}) {
  const key = randomBytes(16).toString('base64');
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (extensions) lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');

  const { head, rest } = await new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error(`no upgrade response within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\r\n\r\n');
      if (i >= 0) done(null, { head: buf.subarray(0, i).toString('latin1'), rest: buf.subarray(i + 4) });
      else if (buf.length > 16384) done(new Error('upgrade response headers over 16 KiB'));
    };
    const onClose = () => done(new Error(`connection closed during the upgrade (got: ${JSON.stringify(buf.toString('latin1'))})`));
    const onError = (e) => done(e);
    function done(err, v) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        socket.pause();
        resolve(v);
      }
    }
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
  });

  const [status, ...headerLines] = head.split('\r\n');
  const headers = {};
  for (const l of headerLines) {
    const c = l.indexOf(':');
    headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  const bad = (why) => {
    socket.destroy();
    throw new Error(`bad upgrade response: ${why}\n${head}`);
  };
  if (!/^HTTP\/1\.1 101\b/.test(status)) bad(`status line ${JSON.stringify(status)}`);
  if ((headers.upgrade ?? '').toLowerCase() !== 'websocket') bad('Upgrade is not websocket');
  if (!(headers.connection ?? '').toLowerCase().split(/\s*,\s*/).includes('upgrade')) bad('Connection lacks upgrade');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  if (headers['sec-websocket-accept'] !== accept) bad(`Sec-WebSocket-Accept ${headers['sec-websocket-accept']}, expected ${accept}`);
  if (headers['sec-websocket-protocol'] !== undefined) bad('a subprotocol that was not offered');
  let deflate = null;
  const ext = headers['sec-websocket-extensions'];
  if (ext !== undefined) {
    if (!extensions) bad(`extension ${ext} that was not offered (§4.1, §9.1)`);
    const e = parseExtension(ext);
    if (e.name !== 'permessage-deflate' || ext.includes(',')) bad(`unexpected extension answer ${ext}`);
    deflate = { params: e.params };
  }
  const conn = new WsConn(socket, rest, { status, headers }, deflate);
  socket.resume();
  return conn;
}
