// What the server sends, applied to the client's state: `welcome` (rooms, resync, resend),
// membership, the seq stream of messages and events (order, gaps and sync), typing, presence,
// reads, moderation, and the replies that settle requests. See docs/protocol.md.
import type { RoomState, Rooms } from './rooms.js';
import {
  isEvent,
  normalizeMessage,
  toEntry,
  type ErrorFrame,
  type JoinedFrame,
  type MemberFrame,
  type OccupancyFrame,
  type ReadPosition,
  type WelcomeFrame,
  type WireEntry,
  type WireMessage,
} from './protocol.js';
import { RoomStore, slowSeconds } from './room.js';
import type { RequestKind, Requests } from './requests.js';
import type { Sender } from './sender.js';
import { threadAppended } from './threads.js';
import { sameStatus, toStatus, type UserStatus } from './status.js';
import type { MembersPage, OnlinePage, ParleyClientEvents, ReadsPage } from './types.js';
import { mentionsUser, toChat } from './view.js';

/** Frames that change nothing the cache keeps. */
const UNCACHED: ReadonlySet<string> = new Set(['presence', 'occupancy', 'online', 'error', 'pinned', 'status', 'members']);

/** Members per `online` page when the client fetches a room's whole list again (the server's maximum). */
const REFETCH_PAGE = 1000;

/** Beyond this many missed entries, a room restarts its window instead of syncing them all. */
const MAX_SYNC_GAP = 1000;

/**
 * A reply that names its request by `id` rather than `ref`: `slow_mode` carries its request id
 * in both (docs/protocol.md → Slow mode). Message ids are UUIDs, never a number.
 */
function requestId(f: { id?: unknown }): number | undefined {
  return typeof f.id === 'number' ? f.id : undefined;
}

export interface FrameHost {
  readonly user: string;
  readonly rooms: Rooms;
  readonly requests: Requests;
  readonly sender: Sender;
  /** Re-join every room after welcome to learn who is online. */
  readonly refreshPresence: boolean;
  send(frame: Record<string, unknown>): boolean;
  request<T>(kind: RequestKind, frame: Record<string, unknown>): Promise<T>;
  /** A welcome arrived; the server pings every `heartbeatMs`. */
  welcomed(heartbeatMs: number): void;
  /** The server asks for a fresh token. */
  reauth(): void;
  /** welcome told the user's own stored status. */
  ownStatus(status: UserStatus): void;
  emit<K extends keyof ParleyClientEvents>(event: K, ...args: Parameters<ParleyClientEvents[K]>): void;
  changed(): void;
}

export class FrameHandler {
  /** The current connection has delivered its welcome. */
  welcomed = false;
  /** The user's block list (from welcome and `blocks`). */
  blocked: string[] = [];
  /** Users' statuses other than the default (welcome, joined, `status` events), the user's own included. */
  readonly statuses = new Map<string, UserStatus>();

  constructor(private readonly host: FrameHost) {}

  /** The connection is gone. */
  reset(): void {
    this.welcomed = false;
    for (const r of this.host.rooms.all()) {
      r.syncing = false;
      r.typingOut.reset();
      r.typingIn.clear();
    }
  }

  handle(f: any): void {
    const { rooms, requests, user } = this.host;
    switch (f.type) {
      case 'welcome':
        this.onWelcome(f);
        break;
      case 'joined':
        this.onJoined(f);
        break;
      case 'left':
        rooms.drop(f.room);
        requests.settle(f.ref, undefined);
        this.host.emit('left', f.room, f.reason);
        break;
      case 'message':
      case 'edited':
      case 'deleted':
      case 'reaction':
        this.ingest(f.room, f);
        break;
      case 'ack':
        this.host.sender.onAck(f.id, f.room, f.seq, f.ts);
        return; // onAck signals the change
      case 'typing':
        if (f.user !== user) rooms.get(f.room)?.typingIn.set(f.user, !!f.active);
        return; // the tracker signals the change
      case 'read':
        this.onRead(f);
        break;
      case 'reauth':
        this.host.reauth();
        break;
      case 'presence': {
        // A set update: repeating one (the same tick's `joined` list had it) changes nothing.
        const r = rooms.get(f.room);
        if (!r || f.user === user) return;
        const online = f.status === 'online';
        if (!online) r.typingIn.set(f.user, false);
        if (!r.store.applyPresence(f.user, online)) return;
        break;
      }
      case 'occupancy':
        this.onOccupancy(f);
        break;
      case 'status':
        if (typeof f.user !== 'string' || !this.setStatus(f.user, toStatus(f))) return;
        break;
      case 'members': {
        const r = rooms.get(f.room);
        const members: MembersPage['members'] = (f.members ?? []).map((m: any) => ({ user: m.user, role: m.role, readSeq: m.read_seq ?? 0 }));
        if (r) {
          for (const m of members) if (m.user !== user && m.role) r.store.roles.set(m.user, m.role);
          this.mergeReads(r, members.map((m) => ({ user: m.user, seq: m.readSeq })));
        }
        const page: MembersPage = { members };
        if (typeof f.next === 'string') page.next = f.next;
        requests.settle(f.ref, page);
        break;
      }
      case 'online': {
        // A reply only: the room's count is what `joined` and `occupancy` tell (the server
        // sends the next `occupancy` when the count it last told changes).
        const page: OnlinePage = { users: f.users ?? [], onlineCount: f.online_count ?? 0 };
        if (typeof f.next === 'string') page.next = f.next;
        requests.settle(f.ref, page);
        return;
      }
      case 'history': {
        const kind = requests.kindOf(f.ref);
        const entries: WireEntry[] = (f.messages ?? []).map(toEntry);
        if (kind === 'peek') {
          requests.settle(f.ref, entries);
          return;
        }
        const r = rooms.get(f.room);
        if (r) {
          // The page's messages are current (their reply counts) through what it covers.
          const counted = RoomStore.covered(entries, r.store.lastSeq);
          if (kind === 'history') r.store.prepend(entries, counted);
          else for (const m of f.messages ?? []) this.ingest(f.room, m, counted);
        }
        requests.settle(f.ref, kind === 'history' ? (r?.store.hasMore ?? false) : f);
        break;
      }
      case 'thread':
        // The client merges the page into the thread's view (it knows which page it asked for).
        requests.settle(f.ref, f);
        return;
      case 'mentions': {
        const st = rooms.get(f.room)?.store;
        if (!st || typeof f.count !== 'number') return;
        st.setMentions(f.count);
        break;
      }
      case 'notify': {
        const st = rooms.get(f.room)?.store;
        if (st && (f.level === 'all' || f.level === 'mentions' || f.level === 'none')) {
          st.notify = f.level;
          st.setMentions(f.mentions ?? 0);
        }
        requests.settle(f.ref, st?.notify ?? f.level);
        break;
      }
      case 'pinned': {
        const st = rooms.get(f.room)?.store;
        if (!st || typeof f.seq !== 'number') return;
        st.setPin({ seq: f.seq, by: f.by ?? '', ts: f.ts ?? 0 }, !!f.pinned);
        break;
      }
      case 'slow_mode': {
        const st = rooms.get(f.room)?.store;
        if (!st || typeof f.seconds !== 'number') return;
        st.slowModeS = slowSeconds(f.seconds);
        this.host.emit('slowMode', f.room, st.slowModeS, typeof f.by === 'string' ? f.by : '');
        break;
      }
      case 'reads': {
        const r = rooms.get(f.room);
        const reads: ReadPosition[] = f.reads ?? [];
        if (r) this.mergeReads(r, reads);
        const page: ReadsPage = { reads };
        if (typeof f.next === 'string') page.next = f.next;
        requests.settle(f.ref, page);
        break;
      }
      case 'member':
        this.onMember(f);
        break;
      case 'blocks':
        this.blocked = f.blocked ?? [];
        requests.settle(f.ref, this.blocked);
        break;
      case 'results':
        requests.settle(f.ref, (f.messages ?? []).map(normalizeMessage));
        return;
      case 'ok':
        requests.settle(f.ref ?? requestId(f), undefined);
        return;
      case 'error':
        this.onError(f);
        break;
      default:
        return;
    }
    if (!UNCACHED.has(f.type)) rooms.saveCache();
    this.host.changed();
  }

  private onError(e: ErrorFrame): void {
    const { sender, requests } = this.host;
    const byId = e.ref === undefined ? requestId(e) : undefined;
    if (byId !== undefined && requests.has(byId)) requests.fail(byId, e);
    else if ((e.id !== undefined && e.ref === undefined) || sender.owns(e.ref)) sender.onError(e);
    else if (e.ref !== undefined && requests.has(e.ref)) requests.fail(e.ref, e);
    else this.host.emit('error', e);
  }

  private requestSync(r: RoomState): void {
    if (r.syncing || !this.welcomed) return;
    r.syncing = true;
    const before = r.store.top;
    this.host.request<{ has_more: boolean }>('sync', { type: 'sync', room: r.store.name, after: before, limit: 200 }).then(
      (h) => {
        r.syncing = false;
        const progressed = r.store.top > before;
        if (progressed && (h.has_more || r.store.hasGap || r.store.top < r.store.lastSeq)) this.requestSync(r);
      },
      () => {
        r.syncing = false;
      },
    );
  }

  /**
   * A message or event, live or from a sync page: it takes its place in the seq stream.
   * `counted`: for a page, the seq through which its messages' reply counts are current.
   */
  private ingest(room: string, frame: unknown, counted?: number): void {
    const { rooms, user } = this.host;
    const m = toEntry(frame);
    const r = rooms.get(room) ?? rooms.ensure(room);
    const res = r.store.ingest(m, counted);
    if (m.user === user) this.host.sender.onEcho(m.id);
    else if (!isEvent(m) && !m.system) r.typingIn.set(m.user, false);
    if (res === 'gap') this.requestSync(r);
    if (res !== 'duplicate' && !isEvent(m)) this.host.emit('message', toChat(m, room, user, r.store.othersRead()));
  }

  /**
   * An entry joined a room's window in seq order (live or synced, once per seq): threads take
   * their replies and the events on them, a deletion drops its pin (and its mention), and a
   * message naming the user past the server's last count counts as an unread mention.
   */
  appended(r: RoomState, e: WireEntry, target: WireMessage | undefined): void {
    const st = r.store;
    for (const t of r.threads.values()) threadAppended(t, e);
    if (isEvent(e)) {
      if (e.kind !== 'deleted') return;
      if (st.pins.some((p) => p.seq === e.target)) st.setPin({ seq: e.target, by: '', ts: 0 }, false);
      if (target && this.unreadMention(st, target)) st.mentions = Math.max(0, st.mentions - 1);
      return;
    }
    if (e.seq > st.mentionMark && this.unreadMention(st, e)) st.mentions++;
  }

  /** `m` counts in the room's unread mentions (docs/protocol.md → Mentions). */
  unreadMention(st: RoomStore, m: WireMessage): boolean {
    return st.notify !== 'none' && m.seq > st.readSeq && mentionsUser(m, this.host.user) && !this.blocked.includes(m.user);
  }

  private mergeReads(r: RoomState, reads: readonly ReadPosition[]): void {
    let moved = false;
    for (const { user, seq } of reads) {
      if (user === this.host.user || typeof seq !== 'number' || (r.store.receipts.get(user) ?? 0) >= seq) continue;
      r.store.receipts.set(user, seq);
      moved = true;
    }
    if (moved) this.host.rooms.saveReceipts();
  }

  /** Whether `user`'s status changed. */
  setStatus(user: string, s: UserStatus): boolean {
    const old = this.statuses.get(user);
    if (old ? sameStatus(old, s) : s.state === 'online' && !s.text) return false;
    if (s.state === 'online' && !s.text) this.statuses.delete(user);
    else this.statuses.set(user, s);
    return true;
  }

  private onJoined(f: JoinedFrame): void {
    const { rooms, requests, user } = this.host;
    const r = rooms.ensure(f.room);
    const st = r.store;
    if (!st.initialized) st.init(f.last_seq);
    st.lastSeq = Math.max(st.lastSeq, f.last_seq);
    st.readSeq = Math.max(st.readSeq, f.read_seq);
    st.describe(f);
    st.setMentions(f.mentions ?? 0, f.last_seq);
    if (Array.isArray(f.pins)) st.pins = f.pins.map((p) => ({ seq: p.seq, by: p.by, ts: p.ts }));
    if (Array.isArray(f.reads)) {
      this.mergeReads(r, f.reads);
      st.readsNext = f.reads_next;
    }
    const others = (f.online ?? []).filter((u) => u !== user);
    if (Array.isArray(f.statuses)) for (const s of f.statuses) if (s.user !== user) this.setStatus(s.user, toStatus(s));
    st.setOnline(others, f.online_count ?? others.length + 1, f.presence === 'count' ? 'count' : 'members');
    if (st.top < st.lastSeq) this.requestSync(r);
    // `dm` resolves with the room (its name is the server's); `join` and `create` with nothing.
    requests.settle(f.ref, requests.kindOf(f.ref) === 'dm' ? f.room : undefined);
  }

  private onOccupancy(f: OccupancyFrame): void {
    const r = this.host.rooms.get(f.room);
    if (!r || typeof f.online_count !== 'number') return;
    const epoch = r.store.setOccupancy(f.online_count, f.presence === 'members' ? 'members' : 'count');
    // Back to per-user presence: what changed while the room was counting was not told.
    if (epoch !== undefined) void this.refetchOnline(r, epoch);
  }

  /** Pages through `online` until no `next`, then replaces the room's online set. */
  private async refetchOnline(r: RoomState, epoch: number): Promise<void> {
    const st = r.store;
    const users: string[] = [];
    let after: string | undefined;
    try {
      do {
        const frame: Record<string, unknown> = { type: 'online', room: st.name, limit: REFETCH_PAGE };
        if (after !== undefined) frame.after = after;
        const page = await this.host.request<OnlinePage>('online', frame);
        if (this.host.rooms.get(st.name) !== r) return; // left meanwhile
        for (const u of page.users) if (u !== this.host.user) users.push(u);
        after = page.next === after ? undefined : page.next;
      } while (after !== undefined);
    } catch {
      st.abandonRefetch(epoch);
      this.host.changed();
      return;
    }
    if (st.finishRefetch(epoch, users)) this.host.changed();
  }

  private onRead(f: { room: string; user: string; seq: number }): void {
    const r = this.host.rooms.get(f.room);
    if (!r) return;
    const st = r.store;
    if (f.user === this.host.user) {
      st.readSeq = Math.max(st.readSeq, f.seq);
      if ((r.wantRead ?? 0) <= f.seq) r.wantRead = undefined;
    } else if ((st.receipts.get(f.user) ?? 0) < f.seq) {
      st.receipts.set(f.user, f.seq);
      this.host.rooms.saveReceipts();
    }
  }

  private onMember(f: MemberFrame): void {
    const r = this.host.rooms.get(f.room);
    if (r && f.user === this.host.user) {
      if (f.action === 'role' && f.role) r.store.role = f.role;
      else if (f.action === 'muted') r.store.mutedUntil = f.until;
      else if (f.action === 'unmuted') r.store.mutedUntil = undefined;
    } else if (r && (f.action === 'kicked' || f.action === 'banned')) {
      r.store.applyPresence(f.user, false);
      r.typingIn.set(f.user, false);
      r.store.roles.delete(f.user);
    } else if (r && f.action === 'role' && f.role) {
      r.store.roles.set(f.user, f.role);
    }
    this.host.emit('member', f);
  }

  private onWelcome(f: WelcomeFrame): void {
    const { rooms } = this.host;
    this.welcomed = true;
    this.host.welcomed(typeof f.heartbeat_ms === 'number' && f.heartbeat_ms > 0 ? f.heartbeat_ms : 30000);
    this.blocked = f.blocked ?? [];
    const own = toStatus(f.status);
    this.setStatus(this.host.user, own);
    this.host.ownStatus(own);
    const names = new Set(f.rooms.map((r) => r.room));
    for (const name of rooms.names()) if (!names.has(name)) rooms.drop(name);
    for (const info of f.rooms) {
      const r = rooms.ensure(info.room);
      const st = r.store;
      if (!st.initialized) st.init(info.last_seq);
      else if (info.last_seq < st.top || info.last_seq - st.top > MAX_SYNC_GAP) {
        st.reset(info.last_seq);
        // What the threads missed is not synced: their newest pages are fetched again.
        for (const t of r.threads.values()) t.loaded = false;
      }
      st.lastSeq = Math.max(st.lastSeq, info.last_seq);
      st.readSeq = info.read_seq;
      st.describe(info);
      st.setMentions(info.mentions ?? 0, info.last_seq);
      const want = r.wantRead;
      if (want !== undefined) {
        if (want > info.read_seq && want <= info.last_seq) {
          st.readSeq = want;
          this.host.send({ type: 'read', room: info.room, seq: want });
        } else r.wantRead = undefined;
      }
      if (st.top < st.lastSeq || st.hasGap) this.requestSync(r);
      if (this.host.refreshPresence) this.host.send({ type: 'join', room: info.room });
    }
    this.host.sender.pump();
    this.host.emit('welcome', rooms.names());
  }
}
