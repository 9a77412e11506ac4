// Bench peer 1: Node `ws` + node-redis v4, the stack of write-ups 000 and 004.
// Auth on the HTTP upgrade, one Redis pub/sub channel per room for fan-out across processes,
// per-room seq from INCR, messages persisted in a Redis list before the ack.
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { createClient } from 'redis';
import { verifyToken } from '../common/jwt.mjs';
import { peerOptions, onShutdown } from '../common/args.mjs';

const { port, host, redisUrl, secret } = peerOptions();
const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const HEARTBEAT_MS = 30_000;

const pub = createClient({ url: redisUrl });
const sub = pub.duplicate();
pub.on('error', (err) => console.error('redis:', err.message));
sub.on('error', (err) => console.error('redis sub:', err.message));
await Promise.all([pub.connect(), sub.connect()]);

// room -> Set of local WebSocket connections that joined it
const rooms = new Map();
const channelOf = (room) => `room:${room}`;

// Every process subscribes to the channels of the rooms its own connections are in;
// a published message is a ready-to-send JSON string, forwarded as is.
async function joinLocal(room, ws) {
  let members = rooms.get(room);
  if (!members) {
    members = new Set();
    rooms.set(room, members);
    await sub.subscribe(channelOf(room), (payload) => {
      for (const client of rooms.get(room) ?? []) {
        if (client.readyState === WebSocket.OPEN) client.send(payload);
      }
    });
  }
  members.add(ws);
}

function leaveLocal(room, ws) {
  const members = rooms.get(room);
  if (!members) return;
  members.delete(ws);
  if (members.size === 0) {
    rooms.delete(room);
    sub.unsubscribe(channelOf(room)).catch(() => {});
  }
}

const send = (ws, obj) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(obj));
const error = (ws, code, extra = {}) => send(ws, { type: 'error', code, ...extra });

const handlers = {
  async join(ws, { room }) {
    if (typeof room !== 'string' || !ROOM_RE.test(room)) return error(ws, 'forbidden');
    if (!ws.rooms.has(room)) {
      ws.rooms.add(room);
      await joinLocal(room, ws);
    }
    const last = await pub.get(`room:${room}:seq`);
    send(ws, { type: 'joined', room, last_seq: Number(last ?? 0) });
  },

  async message(ws, { room, id, text }) {
    if (typeof id !== 'string' || id === '' || typeof text !== 'string' || text === '') {
      return error(ws, 'bad_request', typeof id === 'string' ? { id } : {});
    }
    if (!ws.rooms.has(room)) return error(ws, 'forbidden', { id });
    const seq = await pub.incr(`room:${room}:seq`);
    const ts = Date.now();
    const payload = JSON.stringify({ type: 'message', room, id, seq, ts, user: ws.user, text });
    // Persist, then fan out: RPUSH and PUBLISH in one MULTI (one round trip, in that order).
    await pub.multi().rPush(`room:${room}:messages`, payload).publish(channelOf(room), payload).exec();
    send(ws, { type: 'ack', id, room, seq, ts });
  },
};

const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'Content-Type': 'application/json' });
  res.end(req.url === '/healthz' ? '{"status":"ok"}' : '{"error":"not found"}');
});
const wss = new WebSocketServer({ noServer: true });

function refuse(socket, status, reason) {
  const body = JSON.stringify({ error: reason });
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

// Authenticate during the HTTP upgrade, before any WebSocket traffic.
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => {});
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== '/ws') return refuse(socket, 404, 'not found');
  const user = verifyToken(url.searchParams.get('token'), secret);
  if (!user) return refuse(socket, 401, 'invalid token');
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.user = user;
    wss.emit('connection', ws, req);
  });
});

wss.on('connection', (ws) => {
  ws.rooms = new Set();
  ws.isAlive = true;
  ws.on('pong', () => { ws.isAlive = true; });
  ws.on('error', () => {});
  send(ws, { type: 'welcome', user: ws.user });

  ws.on('message', async (data, isBinary) => {
    let msg;
    try {
      msg = isBinary ? null : JSON.parse(data.toString());
    } catch { /* fall through */ }
    const handler = msg && typeof msg === 'object' && Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : null;
    if (!handler) return error(ws, 'bad_request');
    try {
      await handler(ws, msg);
    } catch (err) {
      error(ws, 'unavailable', typeof msg.id === 'string' ? { id: msg.id } : {});
    }
  });

  ws.on('close', () => {
    for (const room of ws.rooms) leaveLocal(room, ws);
  });
});

// Heartbeat: drop connections that did not answer the previous ping.
const heartbeat = setInterval(() => {
  for (const ws of wss.clients) {
    if (!ws.isAlive) { ws.terminate(); continue; }
    ws.isAlive = false;
    ws.ping();
  }
}, HEARTBEAT_MS);

server.listen(port, host, () => {
  console.log(`peer listening on http://127.0.0.1:${server.address().port}`);
});

onShutdown(async () => {
  clearInterval(heartbeat);
  server.close();
  for (const ws of wss.clients) ws.close(1012, 'server shutting down');
  wss.close();
  await Promise.allSettled([pub.quit(), sub.quit()]);
});
