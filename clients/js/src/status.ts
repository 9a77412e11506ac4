// Presence status (docs/protocol.md → "Status"): what each user told (online or away, and a
// custom text), and the idle detector that reports the user away after some time without input.
// The SDK never watches the DOM: the app calls client.activity() on input.

export type StatusState = 'online' | 'away';

export interface UserStatus {
  state: StatusState;
  /** The custom status text, if any (at most 100 characters, one line). */
  text?: string;
}

/** The status of a user who never set one. */
export const DEFAULT_STATUS: UserStatus = Object.freeze({ state: 'online' }) as UserStatus;

/** A status from a wire frame (`welcome.status`, `joined.statuses`, the `status` event). */
export function toStatus(f: { state?: unknown; text?: unknown } | undefined): UserStatus {
  const s: UserStatus = { state: f?.state === 'away' ? 'away' : 'online' };
  if (typeof f?.text === 'string' && f.text !== '') s.text = f.text;
  return s;
}

export function sameStatus(a: UserStatus, b: UserStatus): boolean {
  return a.state === b.state && (a.text ?? '') === (b.text ?? '');
}

/**
 * Reports `away` after `idleMs` without activity() and `online` on the next activity. It only
 * runs once the app has called activity() (an app that never does is never reported away), and
 * it only takes back an away it set itself (not one the user chose with setStatus).
 */
export class IdleDetector {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastActivity: number | null = null;
  /** The detector reported the user away (and has not taken it back). */
  private autoAway = false;

  constructor(
    private readonly idleMs: number,
    /** Sends the state; false when it sent nothing (the user is away by choice already). */
    private readonly report: (state: StatusState) => boolean,
  ) {}

  get enabled(): boolean {
    return this.idleMs > 0;
  }

  /** The app has seen input within the idle time. */
  get active(): boolean {
    return this.enabled && this.lastActivity !== null && Date.now() - this.lastActivity < this.idleMs;
  }

  activity(): void {
    if (!this.enabled) return;
    this.lastActivity = Date.now();
    if (this.autoAway) {
      this.autoAway = false;
      this.report('online');
    }
    this.arm();
  }

  /** The user chose a status themself: the detector no longer owns an away. */
  chosen(): void {
    this.autoAway = false;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.stop();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.autoAway = this.report('away');
    }, this.idleMs);
  }
}
