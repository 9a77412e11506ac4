export interface TypingSenderOptions {
  /** While typing, `active:true` is re-sent at most this often (ms). Default 3000. */
  refreshMs?: number;
  /** `active:false` is sent after this long without a keystroke (ms). Default 3000. */
  idleMs?: number;
  now?: () => number;
}

/**
 * Debounces one room's outgoing typing indicator: `active:true` on the first keystroke,
 * repeats suppressed for `refreshMs` (a refresh after that keeps the server's 5 s timeout
 * from firing), `active:false` after `idleMs` without a keystroke or when `stop()` is called
 * (on send).
 */
export class TypingSender {
  private active = false;
  private lastSent = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly refreshMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly send: (active: boolean) => void,
    opts: TypingSenderOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? 3000;
    this.idleMs = opts.idleMs ?? 3000;
    this.now = opts.now ?? Date.now;
  }

  get isActive(): boolean {
    return this.active;
  }

  keystroke(): void {
    const t = this.now();
    if (!this.active || t - this.lastSent >= this.refreshMs) {
      this.active = true;
      this.lastSent = t;
      this.send(true);
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.idleMs);
  }

  /** Sends `active:false` if an indicator is showing. */
  stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.active) {
      this.active = false;
      this.send(false);
    }
  }

  /** Forgets the state without sending (the connection is gone; the server cleared it). */
  reset(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.active = false;
  }
}

/**
 * Who else is typing in one room. An indicator lasts `ttlMs` (5 s) unless refreshed, so a
 * lost `active:false` never leaves "alice is typing…" on screen.
 */
export class TypingTracker {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly onChange: () => void,
    private readonly ttlMs = 5000,
  ) {}

  set(user: string, active: boolean): void {
    const had = this.timers.has(user);
    const old = this.timers.get(user);
    if (old) clearTimeout(old);
    if (active) {
      this.timers.set(
        user,
        setTimeout(() => {
          this.timers.delete(user);
          this.onChange();
        }, this.ttlMs),
      );
      if (!had) this.onChange();
    } else {
      this.timers.delete(user);
      if (had) this.onChange();
    }
  }

  clear(): void {
    const had = this.timers.size > 0;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (had) this.onChange();
  }

  users(): string[] {
    return [...this.timers.keys()];
  }
}

/** "alice is typing…", "alice and bob are typing…", "3 people are typing…", or "". */
export function typingText(users: readonly string[]): string {
  if (users.length === 0) return '';
  if (users.length === 1) return `${users[0]} is typing…`;
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`;
  return `${users.length} people are typing…`;
}
