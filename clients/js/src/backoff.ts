export interface BackoffOptions {
  /** First delay in ms (attempt 0). Default 1000. */
  baseMs?: number;
  /** Cap of the exponential part in ms. Default 30000. */
  maxMs?: number;
  /** Largest random addition, as a fraction of the delay. Default 0.3. */
  jitter?: number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): baseMs × 2^attempt, capped at maxMs,
 * plus up to `jitter` × that delay at random. `random` returns [0, 1).
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 30000;
  const jitter = opts.jitter ?? 0.3;
  const exp = Math.min(max, base * Math.pow(2, Math.max(0, Math.min(attempt, 30))));
  return Math.round(exp + exp * jitter * random());
}
