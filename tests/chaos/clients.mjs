// One chaos user: a real ParleyClient (the SDK built into clients/js/dist) on Node's `ws`, with
// in-memory storage, and what the run needs to check it afterwards: every message it sent, every
// ack the server sent it (read off the socket, not from the SDK), every message the SDK emitted
// to the application, and how often it reconnected. The same holds over the SDK's HTTP fallback
// transport (an event stream down, POSTs up; sse-tap.mjs observes both through the `fetch` the
// SDK is given): every client gets the tapped fetch, since any of them may move to the fallback
// (the SDK does after two WebSocket attempts in a row that end before `welcome`), and those
// started with `fallback` are kept on it for the whole run.
//
// The app's own life cycle is part of the chaos: `restart()` closes the client and starts it
// again (an app sent to the background and back, a logout and login), `reload()` throws the
// client away and builds a new one on the same storage (a page reload: the outbox and the room
// cache survive in storage, nothing else does).
import WebSocket from 'ws';
import { MemoryStorage, ParleyClient } from '../../clients/js/dist/index.js';
import { tappedFetch } from './sse-tap.mjs';

/**
 * The SDK options of a client kept on the fallback: it starts there, never moves to WebSockets
 * after failed attempts, and its first upgrade probe would come long after the run.
 */
export const PINNED_SSE = { transport: 'sse', fallbackAfter: Infinity, upgradeAfterMs: 24 * 3600 * 1000 };

/**
 * A `ws` WebSocket that also reports every text frame it receives to `tap` (for the acks and
 * errors), every `message` command it sends to `sent` (to count resends) and the reason of every
 * close() the SDK makes to `closed`. The SDK installs its own handlers as usual.
 */
function tappedWebSocket(tap, sent, closed) {
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
    close(code, reason) {
      closed(reason);
      return super.close(code, reason);
    }
  };
}

const ACK = Buffer.from('{"type":"ack"');
const ERROR = Buffer.from('{"type":"error"');
const startsWith = (data, prefix) => data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

export class ChaosClient {
  /**
   * `fallback`: on the HTTP fallback (SSE) for the whole run (PINNED_SSE). `postPorts`: if
   * given, the POSTs of the fallback go round-robin to these ports on 127.0.0.1 (a balancer in
   * front of a cluster) instead of the stream's own.
   */
  constructor({ user, token, url, rooms, rng, sdkOptions, fallback = false, postPorts = null }) {
    this.user = user;
    this.pinnedSse = fallback;
    this.postPorts = postPorts;
    this.nextPost = 0;
    this.token = token;
    this.url = url;
    this.rooms = rooms;
    this.rng = rng;
    this.sdkOptions = sdkOptions;
    this.storage = new MemoryStorage(); // outlives reloads, like localStorage
    this.sent = [];
    this.acks = new Map(); // id -> [{room, seq}]
    this.wireSends = new Map(); // id -> times an SDK instance wrote it to a socket
    this.errors = {}; // code -> count
    this.closes = {}; // reason the SDK gave for closing a socket -> count
    this.welcomesBy = { websocket: 0, sse: 0 }; // connections that got `welcome`, by transport
    this.acksBy = { websocket: 0, sse: 0 }; // ack frames read, by transport
    this.switches = { websocket: 0, sse: 0 }; // moves of the SDK to that transport
    this.sse = { streams: 0, posts: 0, refused: 0, notTaken: {}, messageLines: 0, closes: {} }; // the fallback's requests, its sockets' closes
    this.instances = []; // one per ParleyClient built: { emitted: {room: [...]} }
    this.emittedSeqs = Object.fromEntries(rooms.map((r) => [r, new Set()])); // over all instances
    this.contiguous = Object.fromEntries(rooms.map((r) => [r, 0]));
    this.welcomes = 0;
    this.reconnects = 0;
    this.restarts = 0;
    this.reloads = 0;
    this.failed = 0;
    this.maxQueued = 0;
    this.busy = null; // a restart or reload under way
    this.sending = new Set(); // send() promises not settled yet
    this.build();
  }

  /** A new ParleyClient on this user's storage. */
  build() {
    const inst = { emitted: Object.fromEntries(this.rooms.map((r) => [r, []])) };
    this.instances.push(inst);
    const wroteMessage = (id) => this.wireSends.set(id, (this.wireSends.get(id) ?? 0) + 1);
    const closed = (reason) => (this.closes[reason] = (this.closes[reason] ?? 0) + 1);
    // Set for the rest of the current synchronous run of code (until the next microtask):
    // the SDK has just aborted a stream of this instance / just switched transports.
    const now = { aborted: false, switched: false };
    const mark = (k) => {
      if (now[k]) return;
      now[k] = true;
      queueMicrotask(() => (now[k] = false));
    };
    const client = new ParleyClient({
      url: this.url,
      token: this.token,
      storage: this.storage,
      WebSocket: tappedWebSocket((data) => this.onWire(data, 'websocket'), wroteMessage, closed),
      fetch: tappedFetch({
        frame: (data) => this.onWire(data, 'sse'),
        sent: (id) => {
          this.sse.messageLines++;
          wroteMessage(id);
        },
        streamOpened: (signal) => {
          this.sse.streams++;
          signal.addEventListener('abort', () => mark('aborted'), { once: true });
        },
        posted: (status) => {
          this.sse.posts++;
          if (status === 202) return;
          this.sse.refused++;
          this.sse.notTaken[status || 'network'] = (this.sse.notTaken[status || 'network'] ?? 0) + 1;
        },
        routePost: this.postPorts
          ? (u) => {
              const to = new URL(u);
              to.port = String(this.postPorts[this.nextPost++ % this.postPorts.length]);
              return to;
            }
          : null,
      }),
      network: null,
      random: () => this.rng.next(),
      ...this.sdkOptions,
      ...(this.pinnedSse ? PINNED_SSE : {}),
    });
    // The SDK's own closes of a fallback socket, by reason, as the tapped WebSocket records
    // them in close() ('reconnect': no ack or no probe answer; 'connect timeout': no welcome).
    // SseSocket.close() aborts the stream's fetch, and when the connection replaces a socket it
    // reports the reason in its `close` event in the same synchronous run, so an abort and a
    // `close` together are one such close. Not counted: a socket that failed by itself (a POST
    // not taken, the stream cut: its `close` comes a microtask later), which the WebSocket tap
    // does not count either; and close() of the client ('client closed', no `close` event),
    // which only the run itself does (restart, reload, resync) and no figure uses. An upgrade
    // back to WebSockets replaces the socket with 'reconnect' right after the `transport`
    // event: counted as 'upgrade', not as a dead link noticed.
    const conn = client.conn;
    if (!conn || typeof conn.on !== 'function') throw new Error('chaos: ParleyClient has no `conn` any more; update the SSE close tap in clients.mjs');
    conn.on('close', (_code, reason) => {
      if (!now.aborted) return;
      const r = reason === 'reconnect' && now.switched ? 'upgrade' : reason;
      closed(r);
      this.sse.closes[r] = (this.sse.closes[r] ?? 0) + 1;
    });
    client.on('transport', (t) => {
      mark('switched');
      this.switches[t]++;
    });
    this.fresh = true;
    client.on('welcome', () => {
      this.welcomes++;
      this.welcomesBy[client.transport]++;
      if (this.fresh) this.fresh = false;
      else this.reconnects++;
    });
    client.on('failed', () => this.failed++);
    client.on('message', (m) => {
      const list = inst.emitted[m.room];
      if (!list) return;
      list.push({ seq: m.seq, id: m.id, user: m.user, text: m.text });
      const seqs = this.emittedSeqs[m.room];
      seqs.add(m.seq);
      let top = this.contiguous[m.room];
      while (seqs.has(top + 1)) top++;
      this.contiguous[m.room] = top;
    });
    this.client = client;
  }

  /** A text frame the server sent, read off a WebSocket or an event stream (`via`). */
  onWire(data, via) {
    if (startsWith(data, ACK)) {
      this.acksBy[via]++;
      const f = JSON.parse(data.toString());
      if (!this.acks.has(f.id)) this.acks.set(f.id, []);
      this.acks.get(f.id).push({ room: f.room, seq: f.seq });
    } else if (startsWith(data, ERROR)) {
      const f = JSON.parse(data.toString());
      this.errors[f.code] = (this.errors[f.code] ?? 0) + 1;
    }
  }

  /** Resolves once `pred()` holds, checked now and after the client's change events. */
  until(pred, timeoutMs, what) {
    const client = this.client;
    return new Promise((resolve, reject) => {
      if (pred()) return resolve();
      let scheduled = false;
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${this.user}: ${what} not reached within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = client.on('change', () => {
        // Coalesce a burst of changes into one check.
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          if (!pred()) return;
          clearTimeout(timer);
          off();
          resolve();
        });
      });
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

  /** close(), a pause, start() on the same client. */
  restart(pauseMs) {
    this.busy = (async () => {
      this.restarts++;
      this.client.close();
      await new Promise((r) => setTimeout(r, pauseMs));
      this.fresh = true;
      await this.client.start();
    })().finally(() => (this.busy = null));
    return this.busy;
  }

  /**
   * The page goes away (close(); its storage writes, which are all in memory, finish) and a new
   * one starts on the same storage after a pause.
   */
  reload(pauseMs) {
    this.busy = (async () => {
      this.reloads++;
      await Promise.all([...this.sending]);
      this.client.close();
      await new Promise((r) => setTimeout(r, pauseMs));
      this.build();
      await this.client.start();
    })().finally(() => (this.busy = null));
    return this.busy;
  }

  /** Connected over the fallback at least once. */
  get usedSse() {
    return this.welcomesBy.sse > 0;
  }

  get queued() {
    return this.client.queued;
  }

  /**
   * True once, in every room, the app has been given every message up to `lastSeq[room]` and
   * the current SDK instance holds them without a gap.
   */
  caughtUp(lastSeq) {
    return this.rooms.every((r) => {
      const n = lastSeq[r] ?? 0;
      if (n === 0) return true;
      if (this.contiguous[r] < n) return false;
      const v = this.view(r);
      return !!v && v.length > 0 && v[v.length - 1].seq >= n && v[v.length - 1].seq - v[0].seq + 1 === v.length;
    });
  }

  /** Where each room lags `lastSeq`: what the app was told and what the SDK holds, and its state. */
  lagReport(lastSeq) {
    const parts = [];
    for (const r of this.rooms) {
      const n = lastSeq[r] ?? 0;
      const v = this.view(r) ?? [];
      const held = v.length ? v[v.length - 1].seq : 0;
      if (this.contiguous[r] < n || held < n) parts.push(`${r}: emitted up to #${this.contiguous[r]}, holds up to #${held}, stored ${n}`);
    }
    return `${parts.join('; ')} (connection ${this.client.state})`;
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
   * to the foreground), waits until the SDK has caught up with `lastSeq` in every room, then
   * pages in older history it does not hold (a reloaded client only restored its cache).
   */
  async resync(lastSeq, timeoutMs) {
    const before = this.welcomes;
    this.client.close();
    this.fresh = true;
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
