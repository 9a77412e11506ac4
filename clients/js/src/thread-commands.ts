// The client's thread commands: pages of a thread's replies merged into the thread's view
// (threads.ts), opening and paging a thread, and a single message fetched by its seq.
import { isEvent, toEntry, type ThreadFrame, type WireEntry, type WireMessage } from './protocol.js';
import type { RequestKind } from './requests.js';
import { RoomStore, type ChatMessage } from './room.js';
import type { RoomState, Rooms } from './rooms.js';
import type { Sender } from './sender.js';
import { heldReplies, mergeReplies, newThread, oldestReply, setRoot, type ThreadView } from './threads.js';
import { ParleyError, type ThreadPage, type ThreadSnapshot } from './types.js';
import { showMessage, threadMessages, toChat } from './view.js';

export interface ThreadHost {
  readonly user: string;
  readonly rooms: Rooms;
  readonly sender: Sender;
  /** Replies per page. */
  readonly pageSize: number;
  request<T>(kind: RequestKind, frame: Record<string, unknown>): Promise<T>;
  changed(): void;
}

/** ParleyClient's thread, openThread, loadEarlierReplies, threadView, closeThread and message. */
export class ThreadCommands {
  constructor(private readonly host: ThreadHost) {}

  /**
   * A page of thread `seq`'s replies (ascending): the newest page, or the one `before` /
   * `after` a reply's seq (`limit`: default the page size). The page also goes into the
   * thread's view (threadView), which stays live from then on.
   */
  async thread(room: string, seq: number, opts: { before?: number; after?: number; limit?: number } = {}): Promise<ThreadPage> {
    const r = this.host.rooms.get(room);
    if (!r) throw new ParleyError('forbidden', 'not a member of the room');
    const t = this.threadState(r, seq);
    const frame: Record<string, unknown> = { type: 'thread', room, seq, limit: opts.limit ?? this.host.pageSize };
    if (opts.before !== undefined) frame.before = opts.before;
    if (opts.after !== undefined) frame.after = opts.after;
    const f = await this.host.request<ThreadFrame>('thread', frame);
    const replies: WireMessage[] = (f.messages ?? []).map((m) => toEntry(m)).filter((m): m is WireMessage => !isEvent(m));
    if (this.host.rooms.get(room) === r && r.threads.get(seq) === t) {
      mergeReplies(t, replies);
      if (opts.after === undefined) t.hasMore = !!f.has_more;
      if (opts.before === undefined && opts.after === undefined) t.loaded = true;
      this.host.changed();
    }
    const othersRead = r.store.othersRead();
    return { room, seq, replies: replies.map((m) => toChat(m, room, this.host.user, othersRead)), hasMore: !!f.has_more };
  }

  /**
   * Opens thread `seq` of a room: fetches its newest replies (and its first message when the
   * room's window does not hold it) unless it is open already. From then on threadView(room,
   * seq) is kept live. Resolves whether older replies remain.
   */
  openThread(room: string, seq: number): Promise<boolean> {
    const r = this.host.rooms.get(room);
    if (!r) return Promise.reject(new ParleyError('forbidden', 'not a member of the room'));
    const t = this.threadState(r, seq);
    if (t.loading) return t.loading;
    if (t.loaded) return Promise.resolve(t.hasMore);
    const root = r.store.messageAt(seq) || t.root ? Promise.resolve() : this.fetchRoot(r, t);
    return this.loadThread(t, Promise.all([this.thread(room, seq), root]).then(() => t.hasMore));
  }

  /** Fetches the replies before the oldest one held. Resolves whether older ones remain. */
  loadEarlierReplies(room: string, seq: number): Promise<boolean> {
    const r = this.host.rooms.get(room);
    const t = r?.threads.get(seq);
    if (!r || !t || !t.loaded) return this.openThread(room, seq);
    if (t.loading) return t.loading;
    const before = oldestReply(t);
    if (!t.hasMore || before === undefined) return Promise.resolve(false);
    return this.loadThread(t, this.thread(room, seq, { before }).then(() => t.hasMore));
  }

  private loadThread(t: ThreadView, p: Promise<boolean>): Promise<boolean> {
    const done = p.finally(() => {
      if (t.loading === done) t.loading = null;
      this.host.changed();
    });
    t.loading = done;
    this.host.changed();
    return done;
  }

  /** Thread `seq` as the client holds it, once opened (openThread or thread); else undefined. */
  threadView(room: string, seq: number): ThreadSnapshot | undefined {
    const r = this.host.rooms.get(room);
    const t = r?.threads.get(seq);
    if (!r || !t) return undefined;
    const st = r.store;
    const root = st.messageAt(seq) ?? t.root;
    return {
      room,
      seq,
      message: root && showMessage(this.host.user, st, this.host.sender, root),
      replies: threadMessages(this.host.user, st, this.host.sender, heldReplies(t, st), seq),
      hasMore: t.hasMore,
      loaded: t.loaded,
      loading: t.loading !== null,
    };
  }

  /** Stops keeping thread `seq` (its replies stay in the room's messages). */
  closeThread(room: string, seq: number): void {
    if (this.host.rooms.get(room)?.threads.delete(seq)) this.host.changed();
  }

  private threadState(r: RoomState, seq: number): ThreadView {
    if (!Number.isInteger(seq) || seq < 1) throw new ParleyError('bad_request', 'not a message seq');
    let t = r.threads.get(seq);
    if (!t) r.threads.set(seq, (t = newThread(r.store, seq)));
    return t;
  }

  private async fetchRoot(r: RoomState, t: ThreadView): Promise<void> {
    const m = await this.peek(r.store.name, t.seq);
    if (m) setRoot(t, m.entry, m.counted);
  }

  /** Message `seq` of a room: the held copy, else fetched from the server (undefined if none). */
  async message(room: string, seq: number): Promise<ChatMessage | undefined> {
    const r = this.host.rooms.get(room);
    if (!r) return undefined;
    const held = r.store.messageAt(seq) ?? r.threads.get(seq)?.root;
    if (held) return showMessage(this.host.user, r.store, this.host.sender, held);
    const m = await this.peek(room, seq);
    return m && showMessage(this.host.user, r.store, this.host.sender, m.entry);
  }

  /** Entry `seq` by itself (a `history` page of one ending at it), if it is a message. */
  private async peek(room: string, seq: number): Promise<{ entry: WireMessage; counted: number } | undefined> {
    const entries = await this.host.request<WireEntry[]>('peek', { type: 'history', room, before: seq + 1, limit: 1 });
    const m = entries.find((e) => e.seq === seq);
    const st = this.host.rooms.get(room)?.store;
    return m && !isEvent(m) ? { entry: m, counted: RoomStore.covered(entries, st?.lastSeq ?? seq) } : undefined;
  }
}
