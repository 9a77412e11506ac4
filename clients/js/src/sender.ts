// The outbox's sending side. Each room is a lane with one entry — a message, edit, deletion or
// reaction — in flight at a time, the next after the previous one's ack, so a rate-limited or
// failed entry can never be overtaken in its room: a room's messages and actions get their seqs
// in the order the user made them. Lanes are independent: an entry held back in one room (slow
// mode, the rate limit, a store that is behind) does not hold up the other rooms' entries.
// `rate_limited` and `unavailable` are retried after the server's `retry_after_ms` when it gives
// one, else with backoff (1 s, 2 s, … 16 s); other errors settle the entry for good. The ack and
// the entry's own echo are accepted in either order.
import { isAction, outboxFrame, type Outbox, type OutboxEntry, type PendingAction } from './outbox.js';
import type { Attachment, ErrorFrame, Ref } from './protocol.js';

const RETRYABLE = new Set(['rate_limited', 'unavailable']);
const MAX_JITTER_MS = 1000;

/** An acked message whose own `message` echo has not arrived yet. */
export interface SentMessage {
  room: string;
  seq: number;
  ts: number;
  text: string;
  replyTo?: number;
  data?: Record<string, unknown>;
  files?: Attachment[];
}

export interface SenderHost {
  /** Entries may go out now (the connection is open and welcomed). */
  ready(): boolean;
  send(frame: Record<string, unknown>): boolean;
  /** An ack did not come within the timeout: replace the connection. */
  stalled(): void;
  /** The room already holds this message of the user's. */
  holds(room: string, id: string): boolean;
  changed(): void;
  /** A message was refused for good (kept in `failed` for retry or discard). */
  messageFailed(entry: OutboxEntry, code: string): void;
  /** An edit, deletion or reaction was refused for good (dropped). */
  actionFailed(action: PendingAction, error: ErrorFrame): void;
}

/** Why a room's next entry waits, and until when (ms since the epoch, this device's clock). */
export interface RetryWait {
  /** The server's refusal: `rate_limited` (slow mode or the rate limit) or `unavailable`. */
  code: string;
  at: number;
}

/** One room's sending state. */
interface Lane {
  /** The id of the entry sent and not yet acked. */
  inflight: string | null;
  ackTimer: ReturnType<typeof setTimeout> | null;
  retryTimer: ReturnType<typeof setTimeout> | null;
  /** While retryTimer runs. */
  retry: RetryWait | undefined;
  /** The next backoff without a server hint; reset by an ack. */
  retryDelay: number;
}

export class Sender {
  readonly sent = new Map<string, SentMessage>();
  /** Messages refused for good, by id. */
  readonly failed = new Map<string, { entry: OutboxEntry; code: string }>();
  private readonly lanes = new Map<string, Lane>();

  constructor(
    readonly outbox: Outbox,
    private readonly host: SenderHost,
    private readonly ackTimeoutMs: number,
  ) {}

  /**
   * Persists the entry, then shows it (queued) and sends it (now or after the next welcome).
   * Nothing shows it before it is stored: a reload after the UI showed it cannot lose it.
   */
  async add(entry: OutboxEntry): Promise<void> {
    await this.outbox.add(entry);
    this.host.changed();
    this.pump();
  }

  /** Sends the first entry of every room that has none in flight and none waiting to retry. O(queued). */
  pump(): void {
    if (!this.host.ready()) return;
    const seen = new Set<string>();
    for (const e of this.outbox.entries()) {
      if (seen.has(e.room)) continue;
      seen.add(e.room);
      const lane = this.lane(e.room);
      if (lane.inflight || lane.retryTimer || !this.outbox.isDurable(e.id)) continue;
      if (!this.host.send(outboxFrame(e))) return;
      lane.inflight = e.id;
      lane.ackTimer = setTimeout(() => {
        lane.ackTimer = null;
        if (lane.inflight === e.id) this.host.stalled();
      }, this.ackTimeoutMs);
    }
  }

  /** The connection is gone: the entries in flight go again after the next welcome. */
  stop(): void {
    for (const lane of this.lanes.values()) {
      if (lane.ackTimer) clearTimeout(lane.ackTimer);
      if (lane.retryTimer) clearTimeout(lane.retryTimer);
      lane.inflight = null;
      lane.ackTimer = lane.retryTimer = null;
      lane.retry = undefined;
    }
  }

  /** While the room's next entry waits to be sent again: why, and until when. */
  retryOf(room: string): RetryWait | undefined {
    return this.lanes.get(room)?.retry;
  }

  /** `ref` is an outbox entry's (actions carry their id as ref). */
  owns(ref: Ref | undefined): boolean {
    return typeof ref === 'string' && this.outbox.has(ref);
  }

  private lane(room: string): Lane {
    let lane = this.lanes.get(room);
    if (!lane) this.lanes.set(room, (lane = { inflight: null, ackTimer: null, retryTimer: null, retry: undefined, retryDelay: 1000 }));
    return lane;
  }

  private settleInflight(room: string, id: string): Lane | undefined {
    const lane = this.lanes.get(room);
    if (!lane || lane.inflight !== id) return lane;
    lane.inflight = null;
    if (lane.ackTimer) clearTimeout(lane.ackTimer);
    lane.ackTimer = null;
    return lane;
  }

  onAck(id: string, room: string, seq: number, ts: number): void {
    const entry = this.outbox.entries().find((e) => e.id === id);
    const lane = this.settleInflight(entry?.room ?? room, id);
    if (lane) lane.retryDelay = 1000;
    if (entry) {
      if (!isAction(entry) && !this.host.holds(room, id)) {
        const s: SentMessage = { room, seq, ts, text: entry.text };
        if (entry.replyTo !== undefined) s.replyTo = entry.replyTo;
        if (entry.data !== undefined) s.data = entry.data;
        if (entry.files?.length) s.files = entry.files;
        this.sent.set(id, s);
      }
      void this.outbox.remove(id);
    }
    this.host.changed();
    this.pump();
  }

  /** The user's own message or event arrived: it is stored, whether or not its ack came. */
  onEcho(id: string): void {
    this.sent.delete(id);
    const entry = this.outbox.entries().find((e) => e.id === id);
    if (!entry) return;
    // Stored already (another device of ours, or an ack we missed).
    this.settleInflight(entry.room, id);
    void this.outbox.remove(id);
    this.pump();
  }

  /** An error about an outbox entry: `id` names it (a message), or `ref` (an action). */
  onError(e: ErrorFrame): void {
    const id = e.id ?? String(e.ref);
    const entry = this.outbox.entries().find((x) => x.id === id);
    if (!entry) return;
    const lane = this.settleInflight(entry.room, id) ?? this.lane(entry.room);
    if (RETRYABLE.has(e.code)) {
      // The server's hint when it has one (plus up to a fifth more, at most 1 s more, so that
      // the clients it refused at once do not all come back at once, while an hour of slow
      // mode is not made longer by minutes), else exponential backoff. Only this room waits:
      // the other rooms' entries go on.
      const hint = typeof e.retry_after_ms === 'number' && e.retry_after_ms > 0 ? e.retry_after_ms : 0;
      const delay = hint > 0 ? Math.round(hint + Math.random() * Math.min(hint * 0.2, MAX_JITTER_MS)) : lane.retryDelay;
      if (hint === 0) lane.retryDelay = Math.min(lane.retryDelay * 2, 16000);
      if (lane.retryTimer) clearTimeout(lane.retryTimer);
      lane.retry = { code: e.code, at: Date.now() + delay };
      lane.retryTimer = setTimeout(() => {
        lane.retryTimer = null;
        lane.retry = undefined;
        this.host.changed();
        this.pump();
      }, delay);
      this.host.changed();
      this.pump();
      return;
    }
    void this.outbox.remove(id);
    if (isAction(entry)) {
      this.host.changed();
      this.host.actionFailed(entry, e);
    } else {
      this.failed.set(id, { entry, code: e.code });
      this.host.changed();
      this.host.messageFailed(entry, e.code);
    }
    this.pump();
  }

  /** Forgets a failed message. */
  discardFailed(id: string): boolean {
    return this.failed.delete(id);
  }

  /** Puts a failed message back into the outbox (with the same id). */
  async retryFailed(id: string): Promise<void> {
    const f = this.failed.get(id);
    if (!f) return;
    this.failed.delete(id);
    await this.add(f.entry);
  }
}
