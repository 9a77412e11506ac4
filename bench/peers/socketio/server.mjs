// Bench peer 2: Socket.IO 4 with @socket.io/redis-adapter, the stack of write-up 001.
// Rooms are Socket.IO rooms; the adapter fans broadcasts out over Redis pub/sub (a single-room
// broadcast is published on the channel `socket.io#/#<room>#`). Per-room seq from INCR, messages
// persisted in a Redis list before the broadcast and the ack.
import http from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { verifyToken } from '../common/jwt.mjs';
import { peerOptions, onShutdown } from '../common/args.mjs';

const { port, host, redisUrl, secret } = peerOptions();
const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const pubClient = createClient({ url: redisUrl });
const subClient = pubClient.duplicate();
pubClient.on('error', (err) => console.error('redis:', err.message));
subClient.on('error', (err) => console.error('redis sub:', err.message));
await Promise.all([pubClient.connect(), subClient.connect()]);

const server = http.createServer();
const io = new Server(server, {
  adapter: createAdapter(pubClient, subClient),
  serveClient: false,
});

// Authenticate the handshake: the token comes in the Engine.IO query string.
io.use((socket, next) => {
  const user = verifyToken(socket.handshake.query.token, secret);
  if (!user) return next(new Error('unauthorized'));
  socket.data.user = user;
  next();
});

io.on('connection', (socket) => {
  const user = socket.data.user;
  socket.emit('welcome', { type: 'welcome', user });

  socket.on('join', async (payload) => {
    const room = payload?.room;
    if (typeof room !== 'string' || !ROOM_RE.test(room)) {
      return socket.emit('error', { type: 'error', code: 'forbidden' });
    }
    try {
      socket.join(room);
      const last = await pubClient.get(`room:${room}:seq`);
      socket.emit('joined', { type: 'joined', room, last_seq: Number(last ?? 0) });
    } catch {
      socket.emit('error', { type: 'error', code: 'unavailable' });
    }
  });

  socket.on('message', async (payload) => {
    const { room, id, text } = payload ?? {};
    if (typeof id !== 'string' || id === '' || typeof text !== 'string' || text === '') {
      return socket.emit('error', { type: 'error', code: 'bad_request' });
    }
    if (!socket.rooms.has(room)) return socket.emit('error', { type: 'error', code: 'forbidden', id });
    try {
      const seq = await pubClient.incr(`room:${room}:seq`);
      const ts = Date.now();
      const message = { type: 'message', room, id, seq, ts, user, text };
      await pubClient.rPush(`room:${room}:messages`, JSON.stringify(message));
      io.to(room).emit('message', message);
      socket.emit('ack', { type: 'ack', id, room, seq, ts });
    } catch {
      socket.emit('error', { type: 'error', code: 'unavailable', id });
    }
  });
});

server.listen(port, host, () => {
  console.log(`peer listening on http://127.0.0.1:${server.address().port}`);
});

onShutdown(async () => {
  await new Promise((resolve) => io.close(() => resolve()));
  await Promise.allSettled([pubClient.quit(), subClient.quit()]);
});
