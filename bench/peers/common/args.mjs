// Command line shared by both peers: --port, --redis, --jwt-secret.
import { parseArgs } from 'node:util';

export function peerOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
      'jwt-secret': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const secret = values['jwt-secret'] ?? process.env.BENCH_JWT_SECRET;
  if (!secret) {
    console.error('a JWT secret is required: --jwt-secret or BENCH_JWT_SECRET');
    process.exit(2);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`bad --port: ${values.port}`);
    process.exit(2);
  }
  return { port, host: values.host, redisUrl: values.redis, secret };
}

// Runs `stop` once on SIGTERM/SIGINT, then exits; a second signal or a stuck stop forces exit.
export function onShutdown(stop) {
  let stopping = false;
  const handler = async (sig) => {
    if (stopping) process.exit(1);
    stopping = true;
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    try {
      await stop();
      process.exit(0);
    } catch (err) {
      console.error(`shutdown after ${sig} failed:`, err);
      process.exit(1);
    }
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
