// A fault-injecting TCP proxy on loopback (node:net), between the SDK clients and one parleyd.
//
// Every accepted connection is forwarded byte for byte to the target port. Between storm() and
// calm(), each connection draws, from its own seeded stream, a time to its next fault and the
// fault's kind:
//   drop       both sockets are destroyed at once (half of the time with a TCP RST)
//   stall      neither direction is forwarded for a while (reads paused, so the kernel buffers
//              fill), then everything flows on; a connection may stall several times
//   half-up    from now on, what the client sends is silently discarded; what the server sends
//              still arrives; closes are no longer passed on in either direction
//   half-down  the same the other way: the server's frames (acks, messages, pings) vanish
// A half-open connection is left for each end to detect on its own: parleyd by its heartbeat
// (two unanswered pings), the SDK by its ack timeout. The proxy frees the pair once both ends
// have closed (or at close()).
import net from 'node:net';

export const FAULT_KINDS = ['drop', 'stall', 'half-up', 'half-down'];

export class FaultProxy {
  /**
   * @param {object} o
   * @param {number} o.targetPort   parleyd's port on 127.0.0.1
   * @param {import('./prng.mjs').Rng} o.rng
   * @param {number} o.meanFaultMs  mean time from a connection's start (or last stall) to its next fault
   * @param {Record<string, number>} o.weights  relative weight of each fault kind
   * @param {[number, number]} o.stallMs  stall length range
   * @param {string} [o.name]
   */
  constructor(o) {
    this.targetPort = o.targetPort;
    this.rng = o.rng;
    this.meanFaultMs = o.meanFaultMs;
    this.weights = o.weights;
    this.stallMs = o.stallMs;
    this.name = o.name ?? 'proxy';
    this.calmed = true; // until storm()
    this.nextId = 0;
    this.pairs = new Set();
    this.counts = { connections: 0, refused: 0, drop: 0, stall: 0, 'half-up': 0, 'half-down': 0 };
    this.server = net.createServer((c) => this.accept(c));
  }

  /** Starts listening on 127.0.0.1; resolves with the port. */
  listen(port = 0) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = this.server.address().port;
        resolve(this.port);
      });
    });
  }

  /** Faults from now on, on the open connections and on every new one. */
  storm() {
    this.calmed = false;
    for (const p of this.pairs) if (p.connected && !p.faultTimer) this.scheduleFault(p);
  }

  /** No new faults from now on: pending fault timers are cancelled (stalls under way end). */
  calm() {
    this.calmed = true;
    for (const p of this.pairs) {
      clearTimeout(p.faultTimer);
      p.faultTimer = null;
    }
  }

  /** Connections currently forwarded in one direction only. */
  get halfOpenNow() {
    let n = 0;
    for (const p of this.pairs) if (p.half) n++;
    return n;
  }

  async close() {
    this.calm();
    for (const p of this.pairs) this.destroyPair(p, false);
    await new Promise((r) => this.server.close(() => r()));
  }

  accept(client) {
    const id = this.nextId++;
    this.counts.connections++;
    const p = {
      id,
      rng: this.rng.fork(`conn/${id}`),
      client,
      upstream: net.connect({ host: '127.0.0.1', port: this.targetPort }),
      connected: false,
      stalled: false,
      half: null, // 'half-up' | 'half-down'
      clientClosed: false,
      upstreamClosed: false,
      // Paused because the other side's write buffer is full (not because of a stall).
      clientWaits: false,
      upstreamWaits: false,
      faultTimer: null,
      stallTimer: null,
    };
    this.pairs.add(p);
    client.setNoDelay(true);
    p.upstream.setNoDelay(true);
    client.pause();

    client.on('data', (d) => {
      if (p.half === 'half-up' || p.upstreamClosed) return; // vanishes
      if (!p.upstream.write(d)) {
        p.clientWaits = true;
        client.pause();
      }
    });
    p.upstream.on('data', (d) => {
      if (p.half === 'half-down' || p.clientClosed) return;
      if (!client.write(d)) {
        p.upstreamWaits = true;
        p.upstream.pause();
      }
    });
    p.upstream.on('drain', () => {
      p.clientWaits = false;
      if (!p.stalled) client.resume();
    });
    client.on('drain', () => {
      p.upstreamWaits = false;
      if (!p.stalled) p.upstream.resume();
    });

    p.upstream.on('connect', () => {
      p.connected = true;
      if (!p.stalled) client.resume();
      this.scheduleFault(p);
    });
    // A FIN from one side is passed on as a FIN, unless the connection is half-open.
    client.on('end', () => {
      if (!p.half && !p.upstreamClosed) p.upstream.end();
    });
    p.upstream.on('end', () => {
      if (!p.half && !p.clientClosed) client.end();
    });
    client.on('close', () => {
      p.clientClosed = true;
      if (!p.half) p.upstream.destroy();
      this.maybeFree(p);
    });
    p.upstream.on('close', () => {
      p.upstreamClosed = true;
      if (!p.connected) this.counts.refused++; // parleyd is down (killed, restarting)
      if (!p.half) client.destroy();
      this.maybeFree(p);
    });
    client.on('error', () => {});
    p.upstream.on('error', () => {});
  }

  maybeFree(p) {
    if (p.clientClosed && p.upstreamClosed) this.destroyPair(p, false);
  }

  destroyPair(p, reset) {
    clearTimeout(p.faultTimer);
    clearTimeout(p.stallTimer);
    p.faultTimer = p.stallTimer = null;
    this.pairs.delete(p);
    for (const s of [p.client, p.upstream]) {
      if (s.destroyed) continue;
      if (reset && typeof s.resetAndDestroy === 'function' && s.readyState === 'open') s.resetAndDestroy();
      else s.destroy();
    }
  }

  scheduleFault(p) {
    if (this.calmed || p.half || !this.pairs.has(p)) return;
    p.faultTimer = setTimeout(() => {
      p.faultTimer = null;
      if (this.calmed || !this.pairs.has(p) || p.clientClosed || p.upstreamClosed) return;
      this.inject(p, p.rng.weighted(this.weights));
    }, p.rng.exp(this.meanFaultMs));
  }

  inject(p, kind) {
    this.counts[kind]++;
    switch (kind) {
      case 'drop':
        this.destroyPair(p, p.rng.next() < 0.5);
        break;
      case 'stall': {
        p.stalled = true;
        p.client.pause();
        p.upstream.pause();
        p.stallTimer = setTimeout(() => {
          p.stallTimer = null;
          p.stalled = false;
          if (!p.clientWaits) p.client.resume();
          if (!p.upstreamWaits) p.upstream.resume();
          this.scheduleFault(p);
        }, p.rng.range(this.stallMs[0], this.stallMs[1]));
        break;
      }
      case 'half-up':
      case 'half-down':
        p.half = kind;
        // Keep reading both sockets (and discarding one direction), so neither end sees
        // back-pressure: to both, the path just goes quiet.
        if (!p.stalled) {
          p.client.resume();
          p.upstream.resume();
        }
        break;
      default:
        throw new Error(`unknown fault ${kind}`);
    }
  }
}
