// The outbox's sending side. One entry — a message, edit, deletion or reaction — is in flight
// at a time, the next after the previous one's ack, so a rate-limited or failed entry can never
// be overtaken: a room's messages and actions get their seqs in the order the user made them.
// `rate_limited` and `unavailable` are retried after the server's `retry_after_ms` when it
// gives one (a store that is behind), else with backoff (1 s, 2 s, … 16 s); other errors
// settle the entry for good. The ack and the entry's own echo are accepted in either order.
import { isAction, outboxFrame, type Outbox, type OutboxEntry, type PendingAction } from './outbox.js';
import type { Attachment, ErrorFrame, Ref } from './protocol.js';

const RETRYABLE = new Set(['rate_limited', 'unavailable']);

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

export class Sender {
  readonly sent = new Map<string, SentMessage>();
  /** Messages refused for good, by id. */
  readonly failed = new Map<string, { entry: OutboxEntry; code: string }>();
  private inflight: string | null = null;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = 1000;

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

  pump(): void {
    if (!this.host.ready() || this.inflight || this.retryTimer) return;
    const next = this.outbox.entries()[0];
    if (!next || !this.outbox.isDurable(next.id)) return;
    if (!this.host.send(outboxFrame(next))) return;
    this.inflight = next.id;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      if (this.inflight === next.id) this.host.stalled();
    }, this.ackTimeoutMs);
  }

  /** The connection is gone: the entry in flight goes again after the next welcome. */
  stop(): void {
    this.inflight = null;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ackTimer = this.retryTimer = null;
  }

  /** `ref` is an outbox entry's (actions carry their id as ref). */
  owns(ref: Ref | undefined): boolean {
    return typeof ref === 'string' && this.outbox.has(ref);
  }

  private settleInflight(id: string): void {
    if (this.inflight !== id) return;
    this.inflight = null;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  onAck(id: string, room: string, seq: number, ts: number): void {
    const entry = this.outbox.entries().find((e) => e.id === id);
    this.settleInflight(id);
    this.retryDelay = 1000;
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
    if (!this.outbox.has(id)) return;
    // Stored already (another device of ours, or an ack we missed).
    this.settleInflight(id);
    void this.outbox.remove(id);
    this.pump();
  }

  /** An error about an outbox entry: `id` names it (a message), or `ref` (an action). */
  onError(e: ErrorFrame): void {
    const id = e.id ?? String(e.ref);
    const entry = this.outbox.entries().find((x) => x.id === id);
    this.settleInflight(id);
    if (!entry) return;
    if (RETRYABLE.has(e.code)) {
      // The server's hint when it has one (plus up to a fifth more, so that the clients it
      // refused at once do not all come back at once), else exponential backoff.
      const hint = typeof e.retry_after_ms === 'number' && e.retry_after_ms > 0 ? e.retry_after_ms : 0;
      const delay = hint > 0 ? Math.round(hint * (1 + Math.random() * 0.2)) : this.retryDelay;
      if (hint === 0) this.retryDelay = Math.min(this.retryDelay * 2, 16000);
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.pump();
      }, delay);
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
