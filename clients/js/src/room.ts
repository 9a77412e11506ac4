import { applyEvent } from './events.js';
import {
  isEvent,
  type Attachment,
  type NotifyLevel,
  type PresenceMode,
  type Role,
  type RoomKind,
  type WireEntry,
  type WireMessage,
  type WirePin,
} from './protocol.js';

/** A message as the application shows it. */
export interface ChatMessage {
  /** The sender's client id. */
  id: string;
  room: string;
  /** Per-room sequence number; null while the message waits in the outbox. */
  seq: number | null;
  /** Server time (ms since the epoch); local time while pending. */
  ts: number;
  /** The sender; '' for a system message. */
  user: string;
  text: string;
  /** Posted by the application's backend as the system (show it as a notice). */
  system?: boolean;
  /** True for the current user's messages. */
  mine: boolean;
  /**
   * For the user's own messages: pending (in the outbox, not acked) → sent (acked: stored)
   * → read (another member's read position reached it); failed if the server refused it.
   */
  state?: 'pending' | 'sent' | 'read' | 'failed';
  /** Why a failed message was refused (the server's error code). */
  error?: string;
  /** When it was last edited (server time, ms since the epoch). */
  editedTs?: number;
  /** A tombstone: the message was deleted (by its author or a moderator); `text` is ''. */
  deleted?: boolean;
  /** Reactions in the order they were first made; absent when there are none. */
  reactions?: Reaction[];
  /** A reply: the seq of its thread's first message. */
  replyTo?: number;
  /** The application's data sent with the message (a JSON object). */
  data?: Record<string, unknown>;
  /**
   * The files sent with it (absent when none, and on a tombstone). While the user's own message
   * waits for the server, what the client knows of them (an upload it did not make: only its id).
   */
  attachments?: Attachment[];
  /** Users named with @name in the text, sorted (the server's parse). */
  mentions?: string[];
  /** An @room by an owner, a moderator or the system: it mentions every member. */
  mentionRoom?: boolean;
  /** Someone else's live message that names the user or the room. */
  mentionsMe?: boolean;
  /** A thread's first message: how many replies it has (absent when none). */
  replyCount?: number;
  /** A thread's first message: when its last reply was sent. */
  lastReplyTs?: number;
}

export interface Reaction {
  emoji: string;
  count: number;
  /** Who reacted with this emoji. */
  users: string[];
  /** The current user is one of them. */
  mine: boolean;
}

export type IngestResult = 'added' | 'duplicate' | 'gap';

/**
 * One room's seq stream — messages, and the edits, deletions and reactions acting on them —
 * ordered by seq and deduplicated by seq and by (user, id).
 *
 * The store holds a contiguous window of seqs [bottom, top]; `top` is the last contiguous
 * seq, the point `sync` resumes from. An entry past top+1 is kept aside ("ahead") and
 * reported as a gap so the client syncs from `top`. `history` pages extend the window
 * downwards. An event is applied to its message when it joins the window in seq order (not
 * when it waits past a gap, and not from an older page, whose messages already show it).
 */
export class RoomStore {
  /** Newest seq the server has told us about. */
  lastSeq = 0;
  /** The user's read position. */
  readSeq = 0;
  /** Last contiguous seq held (everything in [bottom, top] is held). */
  top = 0;
  /** Lowest seq held; bottom = top + 1 when nothing is held. */
  bottom = 1;
  initialized = false;
  /**
   * Members online other than the user (from `joined` and `presence`). In `count` mode only a
   * sample — the first page `joined` listed — that is not kept current: page with `online`.
   */
  readonly online = new Set<string>();
  /** How the room tells presence (from `joined` and `occupancy`). */
  presence: PresenceMode = 'members';
  /** A `joined` or `occupancy` has told the room's presence. */
  presenceKnown = false;
  /** The server's last online count (`joined`, `occupancy`). */
  private toldCount = 0;
  /** Bumped by every `joined` and `occupancy`: a re-fetch of the list started before is stale. */
  private presenceEpoch = 0;
  /** While the list is fetched again: the presence changes heard meanwhile (last per user). */
  private heardWhileFetching: Map<string, boolean> | null = null;
  /** Other members' read positions, from `read` events. */
  readonly receipts = new Map<string, number>();
  kind: RoomKind = 'public';
  /** The user's role in the room. */
  role: Role = 'member';
  /** Direct rooms: the other user. */
  peer: string | undefined;
  /** While the user is muted here: until when (ms since the epoch). */
  mutedUntil: number | undefined;
  /** Other members' roles as the room's `member` events told them (there is no member list). */
  readonly roles = new Map<string, Role>();
  /** The user's notify level here. */
  notify: NotifyLevel = 'all';
  /** Unread messages that mention the user. */
  mentions = 0;
  /** The seq through which `mentions` is the server's count: later messages are counted here. */
  mentionMark = 0;
  /** Pinned messages, newest first. */
  pins: WirePin[] = [];
  /** Slow mode: a member (not an owner or moderator) may send one message per this many seconds; 0: off. */
  slowModeS = 0;
  /** `joined` listed only the first read positions: the next page starts after this user. */
  readsNext: string | undefined;
  /**
   * Called for each entry as it joins the window in seq order (live or synced; not for older
   * pages or restored ones), with the message an event acts on as it was before it.
   */
  onAppend: ((e: WireEntry, target: WireMessage | undefined) => void) | null = null;

  private msgs: WireEntry[] = [];
  /**
   * Per held message: the seq through which its reply_count is the server's. A reply past it
   * is counted here (once: the window takes each seq once); a live message counts from itself.
   */
  private counted = new Map<number, number>();
  private readonly ahead = new Map<number, WireEntry>();
  private readonly keys = new Set<string>();

  constructor(readonly name: string) {}

  /**
   * Members online, the user included; 0 until a `joined` or `occupancy` tells. In `members`
   * mode it follows the online set (its size + 1), so it stays consistent with the presence
   * events as they arrive; in `count` mode (and while the list is fetched again after one) it
   * is the server's last count.
   */
  get onlineCount(): number {
    if (!this.presenceKnown) return 0;
    if (this.presence === 'count' || this.heardWhileFetching) return this.toldCount;
    return this.online.size + 1;
  }

  /** The online list is being fetched again (after the room went back to `members`). */
  get refetchingOnline(): boolean {
    return this.heardWhileFetching !== null;
  }

  /** `joined`: who else is online (all, or a first page in `count` mode), the count and the mode. */
  setOnline(others: readonly string[], count: number, mode: PresenceMode): void {
    this.online.clear();
    for (const u of others) this.online.add(u);
    this.presence = mode;
    this.presenceKnown = true;
    this.toldCount = Math.max(count, others.length + 1);
    this.presenceEpoch++;
    this.heardWhileFetching = null;
  }

  /**
   * `occupancy`: the room's count, and whether it counts or tells members again. Returns the
   * epoch of the re-fetch to start (the room went back to `members`), or undefined.
   */
  setOccupancy(count: number, mode: PresenceMode): number | undefined {
    const back = mode === 'members';
    this.presence = mode;
    this.presenceKnown = true;
    this.toldCount = count;
    this.presenceEpoch++;
    this.heardWhileFetching = back ? new Map() : null;
    return back ? this.presenceEpoch : undefined;
  }

  /**
   * A `presence` event: a set update, so an `online` for someone already online (or an
   * `offline` for someone absent) changes nothing. Returns whether the set changed.
   */
  applyPresence(user: string, online: boolean): boolean {
    this.heardWhileFetching?.set(user, online);
    if (online === this.online.has(user)) return false;
    if (online) this.online.add(user);
    else this.online.delete(user);
    return true;
  }

  /**
   * The re-fetched list (every page; without the user) replaces the set, with the presence
   * changes heard while fetching applied on top. Ignored (false) when a `joined` or another
   * `occupancy` came in the meantime.
   */
  finishRefetch(epoch: number, others: readonly string[]): boolean {
    if (epoch !== this.presenceEpoch || !this.heardWhileFetching) return false;
    const heard = this.heardWhileFetching;
    this.heardWhileFetching = null;
    this.online.clear();
    for (const u of others) this.online.add(u);
    for (const [u, on] of heard) {
      if (on) this.online.add(u);
      else this.online.delete(u);
    }
    return true;
  }

  /** The re-fetch failed (the connection went): keep the set as it is until the next `joined`. */
  abandonRefetch(epoch: number): void {
    if (epoch === this.presenceEpoch) this.heardWhileFetching = null;
  }

  /** Kind, role, direct peer, mute and slow mode from `welcome`, `joined` or the cache (absent: the defaults). */
  describe(info: { kind?: RoomKind; role?: Role; with?: string; muted_until?: number; notify?: NotifyLevel; slow_mode_s?: number }): void {
    this.kind = info.kind ?? 'public';
    this.role = info.role ?? 'member';
    this.peer = info.with;
    this.mutedUntil = info.muted_until;
    if (info.notify) this.notify = info.notify;
    this.slowModeS = slowSeconds(info.slow_mode_s);
  }

  /** The server's unread mention count, current through the newest seq heard of. */
  setMentions(count: number, through = this.lastSeq): void {
    this.mentions = this.notify === 'none' ? 0 : Math.max(0, count);
    this.mentionMark = Math.max(through, this.readSeq);
  }

  /** A `pinned` event: the pin is added (newest first) or dropped. */
  setPin(pin: WirePin, pinned: boolean): void {
    const rest = this.pins.filter((p) => p.seq !== pin.seq);
    this.pins = pinned ? [pin, ...rest].sort((a, b) => b.ts - a.ts) : rest;
  }

  /** Starts the window at `lastSeq` (nothing held; older pages come from `history`). */
  init(lastSeq: number): void {
    if (this.initialized) return;
    this.initialized = true;
    this.top = lastSeq;
    this.bottom = lastSeq + 1;
    this.lastSeq = Math.max(this.lastSeq, lastSeq);
  }

  /** Drops every held message and restarts the window at `lastSeq`. */
  reset(lastSeq: number): void {
    this.msgs = [];
    this.ahead.clear();
    this.keys.clear();
    this.counted.clear();
    this.initialized = false;
    this.init(lastSeq);
  }

  /**
   * Restores a window saved by a previous run: `messages` must be contiguous and ascending.
   * The server's next welcome decides whether to sync forward from it.
   */
  restore(messages: readonly WireEntry[], lastSeq: number, readSeq: number): void {
    this.reset(0);
    const ok = messages.every((m, i) => i === 0 || m.seq === messages[i - 1]!.seq + 1);
    if (messages.length && ok) {
      this.top = messages[0]!.seq - 1;
      this.bottom = this.top + 1;
      // Saved messages already show the events (and replies) saved with them.
      for (const m of messages) this.append(m, false);
      for (const m of messages) this.counted.set(m.seq, this.top);
    } else {
      this.top = lastSeq;
      this.bottom = lastSeq + 1;
    }
    this.lastSeq = Math.max(lastSeq, this.top);
    this.readSeq = readSeq;
  }

  /** The newest `n` entries of the contiguous window (what a cache keeps). */
  newest(n: number): WireEntry[] {
    return this.msgs.slice(Math.max(0, this.msgs.length - n));
  }

  get held(): number {
    return this.msgs.length;
  }

  /** Older messages exist on the server before the window. */
  get hasMore(): boolean {
    return this.bottom > 1;
  }

  /** Messages past a gap are waiting. */
  get hasGap(): boolean {
    return this.ahead.size > 0;
  }

  get unread(): number {
    return Math.max(0, this.lastSeq - this.readSeq);
  }

  private static key(m: { user: string; id: string }): string {
    return `${m.user}\u0000${m.id}`;
  }

  hasMessage(user: string, id: string): boolean {
    return this.keys.has(RoomStore.key({ user, id }));
  }

  /** The held message with this seq (in the window or waiting past a gap), if any. */
  messageAt(seq: number): WireMessage | undefined {
    const e = seq >= this.bottom && seq <= this.top ? this.msgs[seq - this.bottom] : this.ahead.get(seq);
    return e && e.seq === seq && !isEvent(e) ? e : undefined;
  }

  /**
   * A live or synced message or event. `counted`: the seq through which a message's reply_count
   * is current — its own seq for a live message; for a page, the newest seq the page covers.
   */
  ingest(m: WireEntry, counted = m.seq): IngestResult {
    if (!this.initialized) this.init(m.seq - 1);
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    if (this.keys.has(RoomStore.key(m))) return 'duplicate';
    if (m.seq <= this.top) {
      if (m.seq >= this.bottom) return 'duplicate';
      return this.prepend([m], counted) > 0 ? 'added' : 'duplicate';
    }
    if (!isEvent(m) && !this.ahead.has(m.seq)) this.counted.set(m.seq, Math.max(counted, m.seq));
    if (m.seq === this.top + 1) {
      this.append(m);
      let next: WireEntry | undefined;
      while ((next = this.ahead.get(this.top + 1))) {
        this.ahead.delete(next.seq);
        this.append(next);
      }
      return 'added';
    }
    if (this.ahead.has(m.seq)) return 'duplicate';
    this.ahead.set(m.seq, m);
    return 'gap';
  }

  private append(m: WireEntry, apply = true): void {
    if (this.msgs.length === 0) this.bottom = m.seq;
    this.msgs.push(m);
    this.keys.add(RoomStore.key(m));
    this.top = m.seq;
    if (!apply) return;
    // The window is contiguous: seq s sits at index s − bottom.
    const i = (isEvent(m) ? m.target : (m.reply_to ?? 0)) - this.bottom;
    const t = this.msgs[i];
    const target = t && !isEvent(t) && t.seq === (isEvent(m) ? m.target : m.reply_to) ? t : undefined;
    if (target && isEvent(m)) this.msgs[i] = applyEvent(target, m);
    else if (target && !isEvent(m)) {
      const through = this.counted.get(target.seq) ?? target.seq;
      if (m.seq > through) {
        this.msgs[i] = withReply(target, m);
        this.counted.set(target.seq, m.seq);
      }
    }
    this.onAppend?.(m, target);
  }

  /**
   * An older page (ascending, from `history`): prepends the messages that continue the window
   * downwards. Returns how many were added.
   */
  prepend(page: readonly WireEntry[], counted = RoomStore.covered(page, this.lastSeq)): number {
    let added = 0;
    const older: WireEntry[] = [];
    for (let i = page.length - 1; i >= 0; i--) {
      const m = page[i]!;
      if (m.seq >= this.bottom) {
        if (m.seq > this.top) this.ingest(m, counted);
        continue;
      }
      if (m.seq !== this.bottom - 1 || this.keys.has(RoomStore.key(m))) continue;
      older.push(m);
      if (!isEvent(m)) this.counted.set(m.seq, Math.max(counted, m.seq));
      this.keys.add(RoomStore.key(m));
      this.bottom = m.seq;
      this.lastSeq = Math.max(this.lastSeq, m.seq);
      added++;
    }
    if (older.length) this.msgs = [...older.reverse(), ...this.msgs];
    return added;
  }

  /**
   * The seq through which a page's messages are current: its newest entry, or the newest seq the
   * client had heard of when the page came (the server read the page after telling that one).
   */
  static covered(page: readonly WireEntry[], lastSeq: number): number {
    let max = lastSeq;
    for (const m of page) max = Math.max(max, m.seq);
    return max;
  }

  /** Held messages (not events) in seq order: the contiguous window, then any waiting past a gap. */
  messages(): WireMessage[] {
    const all = this.ahead.size === 0 ? this.msgs : [...this.msgs, ...[...this.ahead.values()].sort((a, b) => a.seq - b.seq)];
    return all.filter((m): m is WireMessage => !isEvent(m));
  }

  /**
   * The read position to report when the message `seq` is on screen: past the events that
   * follow it in the window (they are not shown, so nothing else would ever mark them read).
   */
  readThrough(seq: number): number {
    let s = seq;
    for (let i = seq + 1 - this.bottom; i >= 0 && i < this.msgs.length && isEvent(this.msgs[i]!); i++) s = this.msgs[i]!.seq;
    return s;
  }

  /** Highest read position among other members. */
  othersRead(): number {
    let max = 0;
    for (const s of this.receipts.values()) max = Math.max(max, s);
    return max;
  }
}

/** `root` with one more reply, sent at `reply.ts`. */
export function withReply(root: WireMessage, reply: WireMessage): WireMessage {
  return { ...root, reply_count: (root.reply_count ?? 0) + 1, last_reply_ts: Math.max(root.last_reply_ts ?? 0, reply.ts) };
}

/** Slow mode's seconds as told (absent, or not a whole number ≥ 0: off). */
export function slowSeconds(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0;
}
