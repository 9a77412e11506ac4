// Presence status (docs/protocol.md → "Status"): what each user told (online or away, and a
// custom text), and the idle detector that reports the user away after some time without input.
// The SDK never watches the DOM: the app calls client.activity() on input.
import { ParleyError } from './types.js';

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

export interface OwnStatusHost {
  /** The user's status as last told (FrameHandler's). */
  current(): UserStatus;
  /** Keeps the user's status as set; true when it changed. */
  keep(status: UserStatus): boolean;
  /** The connection has delivered its welcome. */
  welcomed(): boolean;
  /** Sends a `status` command; resolves on its `ok`. */
  send(frame: Record<string, unknown>): Promise<void>;
  changed(): void;
}

/** The user's own status: as the user sets it, and away and back as the idle detector reports. */
export class OwnStatus {
  private readonly idle: IdleDetector;

  constructor(
    idleMs: number,
    private readonly host: OwnStatusHost,
  ) {
    this.idle = new IdleDetector(idleMs, (state) => this.auto(state));
  }

  /** ParleyClient.setStatus. */
  set(state: StatusState, text?: string): Promise<void> {
    if (state !== 'online' && state !== 'away') return Promise.reject(new ParleyError('bad_request', 'state: online or away'));
    if (text !== undefined && /[\r\n]/.test(text)) return Promise.reject(new ParleyError('bad_request', 'one line of text'));
    if (text !== undefined && [...text].length > 100) return Promise.reject(new ParleyError('too_large', 'at most 100 characters'));
    this.idle.chosen();
    return this.send(state, text);
  }

  activity(): void {
    this.idle.activity();
  }

  stop(): void {
    this.idle.stop();
  }

  /** welcome told the stored status: back from away when the app is in use. */
  told(s: UserStatus): void {
    if (s.state === 'away' && this.idle.active) this.send('online', s.text).catch(() => {});
  }

  private send(state: StatusState, text: string | undefined): Promise<void> {
    const frame: Record<string, unknown> = { type: 'status', state };
    if (text) frame.text = text;
    return this.host.send(frame).then(() => {
      // The `status` event tells it too, but only through a room the user is in.
      if (this.host.keep(text ? { state, text } : { state })) this.host.changed();
    });
  }

  /** The idle detector's report, keeping the user's text; nothing when away by choice already. */
  private auto(state: StatusState): boolean {
    const own = this.host.current();
    if (own.state === state) return false;
    if (this.host.welcomed()) this.send(state, own.text).catch(() => {});
    return true;
  }
}
