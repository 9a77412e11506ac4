import type { Attachment } from './protocol.js';
import type { StorageAdapter } from './storage.js';

export interface OutboxEntry {
  /** Client id: a UUID, unique per user; the server dedups on it. */
  id: string;
  room: string;
  /** The message's text, or an edit's new text ('' for a delete or a reaction). */
  text: string;
  /** Local time the user pressed send, ms since the epoch. */
  createdAt: number;
  /** Absent for a message; otherwise an action on the message with seq `target`. */
  kind?: ActionKind;
  target?: number;
  /** `react`: the emoji, and whether it is taken back. */
  emoji?: string;
  remove?: boolean;
  /** A message: the seq of the message it replies to (its thread). */
  replyTo?: number;
  /** A message: the application's data (a JSON object). */
  data?: Record<string, unknown>;
  /** A message: the ids of the uploads it carries (uploaded before it was queued). */
  attachments?: string[];
  /** What is known of those uploads, to show the message before the server's echo. */
  files?: Attachment[];
}

export type ActionKind = 'edit' | 'delete' | 'react';

/** An edit, deletion or reaction waiting in the outbox. */
export type PendingAction = OutboxEntry & { kind: ActionKind; target: number };

export function isAction(e: OutboxEntry): e is PendingAction {
  return e.kind !== undefined;
}

/**
 * The frame that sends an entry. An action also carries its id as `ref`: the protocol puts the
 * client `id` on errors about a `message`, and the `ref` ties an error to the action as well.
 */
export function outboxFrame(e: OutboxEntry): Record<string, unknown> {
  const { id, room } = e;
  switch (e.kind) {
    case undefined: {
      const f: Record<string, unknown> = { type: 'message', room, id, text: e.text };
      if (e.replyTo !== undefined) f.reply_to = e.replyTo;
      if (e.data !== undefined) f.data = e.data;
      if (e.attachments?.length) f.attachments = e.attachments;
      return f;
    }
    case 'edit':
      return { type: 'edit', room, id, seq: e.target, text: e.text, ref: id };
    case 'delete':
      return { type: 'delete', room, id, seq: e.target, ref: id };
    case 'react':
      return { type: 'react', room, id, seq: e.target, emoji: e.emoji, remove: !!e.remove, ref: id };
  }
}

/**
 * Unacked outgoing messages and actions, in the order they were made, persisted under one key.
 * Writes are serialised: each write stores the queue as it is when the write runs, and
 * `add` resolves only once a write containing the entry has completed.
 *
 * An added entry is *staged* until that write completes: it is in what is written, but not in
 * `entries()`, `size` or `has()`, so nothing shows it as queued (and no reload can lose it)
 * before it is in storage.
 */
export class Outbox {
  private items: OutboxEntry[] = [];
  /** Added, not yet written: part of every write, not of the queue. */
  private staged: OutboxEntry[] = [];
  private readonly durable = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: StorageAdapter,
    readonly key: string,
  ) {}

  /** Loads what a previous run left; entries added before load are kept after them. */
  async load(): Promise<void> {
    let stored: OutboxEntry[] = [];
    try {
      const raw = await this.storage.getItem(this.key);
      if (raw) stored = (JSON.parse(raw) as OutboxEntry[]).filter((e) => e && typeof e.id === 'string');
    } catch {
      stored = [];
    }
    const known = new Set(this.items.map((e) => e.id));
    this.items = [...stored.filter((e) => !known.has(e.id)), ...this.items];
    for (const e of stored) this.durable.add(e.id);
  }

  entries(): readonly OutboxEntry[] {
    return this.items;
  }

  get size(): number {
    return this.items.length;
  }

  has(id: string): boolean {
    return this.items.some((e) => e.id === id);
  }

  /** True once the entry has reached storage (only then may it be sent). */
  isDurable(id: string): boolean {
    return this.durable.has(id);
  }

  /**
   * Stages and persists; the entry joins the queue once stored. Resolves true then; false if
   * the storage failed, in which case the entry joins the queue all the same and is sent (a
   * message in memory beats a message never sent).
   */
  add(entry: OutboxEntry): Promise<boolean> {
    this.staged.push(entry);
    const done = (ok: boolean) => {
      const i = this.staged.indexOf(entry);
      if (i >= 0) {
        this.staged.splice(i, 1);
        this.items.push(entry);
        this.durable.add(entry.id);
      }
      return ok;
    };
    return this.persist().then(
      () => done(true),
      () => done(false),
    );
  }

  remove(id: string): Promise<void> {
    const before = this.items.length;
    this.items = this.items.filter((e) => e.id !== id);
    this.durable.delete(id);
    if (this.items.length === before) return this.chain;
    return this.persist();
  }

  /** Forgets every entry (staged ones too) and removes the key once the writes before are done. */
  clear(): Promise<void> {
    this.items = [];
    this.staged = [];
    this.durable.clear();
    return this.persist();
  }

  private persist(): Promise<void> {
    const run = async () => {
      const all = this.staged.length ? [...this.items, ...this.staged] : this.items;
      const snapshot = JSON.stringify(all);
      if (all.length === 0) await this.storage.removeItem(this.key);
      else await this.storage.setItem(this.key, snapshot);
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }
}
