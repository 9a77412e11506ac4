// A room's slow mode as a UI shows it: the setting (and whether the user may change it and is
// exempt), and while the user's next message waits for the server — slow mode's rate_limited,
// or a store that is behind — a countdown to when the outbox sends it again.
import type { Role } from '@parley/client';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useParley } from './provider.js';
import { roomAt, useClientValue } from './store.js';

export interface SendWait {
  /** The server's refusal: `rate_limited` (slow mode, or the user's rate limit) or `unavailable`. */
  code: string;
  /** When the outbox sends the message again (ms since the epoch, this device's clock). */
  at: number;
  /** Whole seconds until then, rounded up (0 once it is due); counts down every second. */
  seconds: number;
}

export interface SlowModeState {
  /** Members may send one message per this many seconds; 0: off. */
  seconds: number;
  /** The user is an owner or moderator here: may set slow mode, and is exempt from it. */
  canSet: boolean;
  /** While the user's next message here waits to be sent again; else undefined. */
  wait: SendWait | undefined;
  /** client.setSlowMode(room, seconds) (0 turns it off). Stable per room. */
  set: (seconds: number) => Promise<void>;
}

const MODERATORS: ReadonlySet<Role> = new Set<Role>(['owner', 'moderator']);

/** Re-renders every second while `at` is ahead; the whole seconds left until it. */
function useSecondsUntil(at: number | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === undefined) return;
    setNow(Date.now());
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (n >= at) clearInterval(t);
    }, 1000);
    return () => clearInterval(t);
  }, [at]);
  return at === undefined ? 0 : Math.max(0, Math.ceil((at - now) / 1000));
}

/** A room's slow mode, and the countdown while a message of the user's waits there. */
export function useSlowMode(room: string): SlowModeState {
  const client = useParley();
  const value = useClientValue((c) => {
    const snap = roomAt(c, room);
    return { seconds: snap?.slowModeS ?? 0, canSet: !!snap && MODERATORS.has(snap.role), retry: snap?.retry };
  }, [room]);
  const left = useSecondsUntil(value.retry?.at);
  const set = useCallback((seconds: number) => client.setSlowMode(room, seconds), [client, room]);
  const { retry } = value;
  const wait = useMemo(() => (retry ? { code: retry.code, at: retry.at, seconds: left } : undefined), [retry, left]);
  return useMemo(() => ({ seconds: value.seconds, canSet: value.canSet, wait, set }), [value.seconds, value.canSet, wait, set]);
}
