// Bench peer 3, the ceiling: Bun.serve's WebSocket server with its native pub/sub (uWebSockets'
// topic tree), one process, everything in memory: no Redis, no persistence, so nothing but the
// WebSocket fan-out itself. Run by the `bun` binary pinned in package.json:
//   node_modules/.bin/bun server.mjs --port 0 --jwt-secret S
// Same command line as the other peers (--redis is accepted and ignored), same token check,
// frames and error codes; see ../README.md.
import { verifyToken } from '../common/jwt.mjs';
import { peerOptions, onShutdown } from '../common/args.mjs';

const { port, host, secret } = peerOptions();
const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

// room -> last seq, for the life of the process (the Redis peers' `INCR room:<r>:seq`).
const seqs = new Map();
// Every open connection, to close them on SIGTERM.
const open = new Set();

const send = (ws, obj) => ws.send(JSON.stringify(obj));
const error = (ws, code, extra = {}) => send(ws, { type: 'error', code, ...extra });
const json = (status, obj) => new Response(JSON.stringify(obj), { status, headers: { 'Content-Type': 'application/json' } });

const handlers = {
  join(ws, { room }) {
    if (typeof room !== 'string' || !ROOM_RE.test(room)) return error(ws, 'forbidden');
    if (!ws.data.rooms.has(room)) {
      ws.data.rooms.add(room);
      ws.subscribe(room);
    }
    send(ws, { type: 'joined', room, last_seq: seqs.get(room) ?? 0 });
  },

  message(ws, { room, id, text }) {
    if (typeof id !== 'string' || id === '' || typeof text !== 'string' || text === '') {
      return error(ws, 'bad_request', typeof id === 'string' ? { id } : {});
    }
    if (!ws.data.rooms.has(room)) return error(ws, 'forbidden', { id });
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    const ts = Date.now();
    // server.publish, not ws.publish: ws.publish skips the sender (unless publishToSelf),
    // and the bench protocol delivers the message to the sender too. uWebSockets drains a
    // subscriber's pending topic messages before a direct send, so the sender's copy is
    // written before its ack.
    server.publish(room, JSON.stringify({ type: 'message', room, id, seq, ts, user: ws.data.user, text }));
    send(ws, { type: 'ack', id, room, seq, ts });
  },
};

const server = Bun.serve({
  hostname: host,
  port,
  development: false,
  // Authenticate during the HTTP upgrade, before any WebSocket traffic.
  fetch(req, srv) {
    const url = new URL(req.url);
    if (url.pathname === '/healthz') return json(200, { status: 'ok' });
    if (url.pathname !== '/ws') return json(404, { error: 'not found' });
    const user = verifyToken(url.searchParams.get('token'), secret);
    if (!user) return json(401, { error: 'invalid token' });
    if (srv.upgrade(req, { data: { user, rooms: new Set() } })) return undefined;
    return json(400, { error: 'websocket upgrade expected' });
  },
  websocket: {
    // Heartbeat: uWebSockets pings a connection that was silent for idleTimeout seconds and
    // closes it if it stays silent (any WebSocket client answers pings by itself).
    idleTimeout: 60,
    sendPings: true,
    // Bun's defaults, spelled out: past 16 MiB buffered for a connection, a send or publish to
    // it is dropped (the bench counts it lost); the connection stays open.
    backpressureLimit: 16 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    perMessageDeflate: false,
    open(ws) {
      open.add(ws);
      send(ws, { type: 'welcome', user: ws.data.user });
    },
    message(ws, data) {
      let msg;
      try {
        msg = typeof data === 'string' ? JSON.parse(data) : null;
      } catch { /* fall through */ }
      const handler = msg && typeof msg === 'object' && Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : null;
      if (!handler) return error(ws, 'bad_request');
      try {
        handler(ws, msg);
      } catch {
        error(ws, 'unavailable', typeof msg.id === 'string' ? { id: msg.id } : {});
      }
    },
    // Bun unsubscribes a closed connection from its topics by itself.
    close(ws) {
      open.delete(ws);
    },
  },
});

console.log(`peer listening on http://127.0.0.1:${server.port}`);

onShutdown(async () => {
  for (const ws of open) ws.close(1012, 'server shutting down');
  // Give the close frames a moment to be answered, then drop whatever is left.
  for (let i = 0; i < 20 && open.size; i++) await Bun.sleep(50);
  server.stop(true);
});
