// One chaos user: a real ParleyClient (the SDK built into clients/js/dist) on Node's `ws`, with
// in-memory storage, and what the run needs to check it afterwards: every message it sent, every
// ack the server sent it (read off the socket, not from the SDK), every message the SDK emitted
// to the application, and how often it reconnected.
import WebSocket from 'ws';
import { MemoryStorage, ParleyClient } from '../../clients/js/dist/index.js';

/**
 * A `ws` WebSocket that also reports every text frame it receives to `tap` (for the acks and
 * errors) and every `message` command it sends to `sent` (to count resends). The SDK installs
 * its own onmessage/onerror handlers as usual.
 */
function tappedWebSocket(tap, sent) {
  return class TappedWebSocket extends WebSocket {
    constructor(url) {
      super(url);
      this.on('message', (data, isBinary) => {
        if (!isBinary) tap(data);
      });
    }
    send(data, ...rest) {
      if (typeof data === 'string' && data.startsWith('{"type":"message"')) sent(JSON.parse(data).id);
      return super.send(data, ...rest);
    }
  };
}

const ACK = Buffer.from('{"type":"ack"');
const ERROR = Buffer.from('{"type":"error"');

export class ChaosClient {
  constructor({ user, token, url, rooms, rng, sdkOptions }) {
    this.user = user;
    this.rooms = rooms;
    this.rng = rng;
    this.sent = [];
    this.acks = new Map(); // id -> [{room, seq}]
    this.wireSends = new Map(); // id -> times the SDK wrote it to a socket
    this.errors = {}; // code -> count
    this.emitted = Object.fromEntries(rooms.map((r) => [r, []]));
    this.emittedSeqs = Object.fromEntries(rooms.map((r) => [r, new Set()]));
    this.contiguous = Object.fromEntries(rooms.map((r) => [r, 0]));
    this.welcomes = 0;
    this.failed = 0;
    this.maxQueued = 0;
    this.sending = new Set(); // send() promises not settled yet
    this.client = new ParleyClient({
      url,
      token,
      storage: new MemoryStorage(),
      WebSocket: tappedWebSocket(
        (data) => this.onWire(data),
        (id) => this.wireSends.set(id, (this.wireSends.get(id) ?? 0) + 1),
      ),
      network: null,
      random: () => rng.next(),
      ...sdkOptions,
    });
    this.client.on('welcome', () => this.welcomes++);
    this.client.on('failed', () => this.failed++);
    this.client.on('message', (m) => {
      const list = this.emitted[m.room];
      if (!list) return;
      list.push({ seq: m.seq, id: m.id, user: m.user, text: m.text });
      const seqs = this.emittedSeqs[m.room];
      seqs.add(m.seq);
      let top = this.contiguous[m.room];
      while (seqs.has(top + 1)) top++;
      this.contiguous[m.room] = top;
    });
  }

  onWire(data) {
    if (data.length >= ACK.length && data.compare(ACK, 0, ACK.length, 0, ACK.length) === 0) {
      const f = JSON.parse(data.toString());
      if (!this.acks.has(f.id)) this.acks.set(f.id, []);
      this.acks.get(f.id).push({ room: f.room, seq: f.seq });
    } else if (data.length >= ERROR.length && data.compare(ERROR, 0, ERROR.length, 0, ERROR.length) === 0) {
      const f = JSON.parse(data.toString());
      this.errors[f.code] = (this.errors[f.code] ?? 0) + 1;
    }
  }

  /** Resolves on the next event `name` for which `pred()` holds (checked at once, too). */
  until(pred, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      if (pred()) return resolve();
      let scheduled = false;
      const off = this.client.on('change', () => {
        // Coalesce bursts of changes into one check.
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          if (pred()) done();
        });
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${this.user}: ${what} not reached within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
    });
  }

  /** Starts, waits for the first welcome, joins every room. */
  async start(timeoutMs) {
    await this.client.start();
    await this.until(() => this.welcomes > 0, timeoutMs, 'first welcome');
    for (const r of this.rooms) await this.client.join(r);
  }

  /** Sends one message through the SDK's normal path (outbox, then the socket). */
  send(room, text) {
    const p = this.client.send(room, text).then((m) => {
      this.sent.push({ id: m.id, room, text });
      this.maxQueued = Math.max(this.maxQueued, this.client.queued);
    });
    this.sending.add(p);
    p.finally(() => this.sending.delete(p));
    return p;
  }

  get queued() {
    return this.client.queued;
  }

  /** True once the app has been given every message up to `lastSeq[room]` in each room. */
  caughtUp(lastSeq) {
    return this.rooms.every((r) => this.contiguous[r] >= (lastSeq[r] ?? 0));
  }

  /** The room as the SDK holds it now: its messages with a seq (pending ones excluded). */
  view(room) {
    const snap = this.client.room(room);
    if (!snap) return null;
    return snap.messages
      .filter((m) => m.seq !== null && m.state !== 'pending' && m.state !== 'failed')
      .map((m) => ({ seq: m.seq, id: m.id, user: m.user, text: m.text }));
  }

  /**
   * Final resync: drops the connection and starts again (what an app does when it comes back
   * to the foreground), then waits until the SDK has caught up with `lastSeq` in every room and
   * paged in anything older it does not hold.
   */
  async resync(lastSeq, timeoutMs) {
    const before = this.welcomes;
    this.client.close();
    await this.client.start();
    await this.until(() => this.welcomes > before && this.caughtUp(lastSeq), timeoutMs, 'final resync');
    for (const r of this.rooms) {
      let guard = 0;
      while (this.client.room(r)?.hasMore && guard++ < 1000) await this.client.loadEarlier(r);
    }
  }

  close() {
    this.client.close();
  }
}
