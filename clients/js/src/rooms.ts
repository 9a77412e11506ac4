// The rooms a client holds — each one's store, typing state and sync flags — and what of them
// persists: the cache of rooms and recent messages, and other members' read positions.
import { ClientCache, type CachedReceipts, type CachedRooms } from './cache.js';
import { ROOM_NAME } from './protocol.js';
import type { WireEntry, WireMessage } from './protocol.js';
import { RoomStore } from './room.js';
import type { ThreadView } from './threads.js';
import { TypingSender, TypingTracker } from './typing.js';

export interface RoomState {
  store: RoomStore;
  typingIn: TypingTracker;
  typingOut: TypingSender;
  syncing: boolean;
  loading: Promise<boolean> | null;
  /** A read position made while it could not be sent; sent again after the next welcome. */
  wantRead: number | undefined;
  /** The threads the application opened, by their first message's seq. */
  threads: Map<number, ThreadView>;
}

export interface RoomsHost {
  changed(): void;
  sendTyping(room: string, active: boolean): void;
  /** An entry joined the room's window in seq order (see RoomStore.onAppend). */
  appended(r: RoomState, e: WireEntry, target: WireMessage | undefined): void;
  typing?: { refreshMs?: number; idleMs?: number; ttlMs?: number };
}

export class Rooms {
  private readonly byName = new Map<string, RoomState>();
  private storedReceipts: CachedReceipts = {};

  constructor(
    private readonly cache: ClientCache,
    private readonly host: RoomsHost,
  ) {}

  /** Reads the receipts and the rooms cached by a previous run. */
  async load(): Promise<void> {
    this.storedReceipts = await this.cache.loadReceipts();
    for (const [name, c] of Object.entries(await this.cache.loadRooms())) {
      if (this.byName.has(name) || !ROOM_NAME.test(name)) continue;
      const st = this.ensure(name).store;
      st.restore(c.messages ?? [], c.lastSeq ?? 0, c.readSeq ?? 0);
      st.describe({ kind: c.kind, role: c.role, with: c.with, notify: c.notify, slow_mode_s: c.slowModeS });
      st.setMentions(c.mentions ?? 0, st.lastSeq);
    }
  }

  get(name: string): RoomState | undefined {
    return this.byName.get(name);
  }

  /** Room names, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  all(): IterableIterator<RoomState> {
    return this.byName.values();
  }

  ensure(name: string): RoomState {
    let r = this.byName.get(name);
    if (!r) {
      const store = new RoomStore(name);
      for (const [u, s] of Object.entries(this.storedReceipts[name] ?? {})) store.receipts.set(u, s);
      const t = this.host.typing ?? {};
      r = {
        store,
        typingIn: new TypingTracker(() => this.host.changed(), t.ttlMs ?? 5000),
        typingOut: new TypingSender((active) => this.host.sendTyping(name, active), t),
        syncing: false,
        loading: null,
        wantRead: undefined,
        threads: new Map(),
      };
      const state = r;
      store.onAppend = (e, target) => this.host.appended(state, e, target);
      this.byName.set(name, r);
    }
    return r;
  }

  drop(name: string): void {
    const r = this.byName.get(name);
    if (!r) return;
    r.typingIn.clear();
    r.typingOut.reset();
    this.byName.delete(name);
  }

  saveCache(): void {
    this.cache.saveRoomsSoon(() => {
      const rooms: CachedRooms = {};
      for (const [name, { store: st }] of this.byName) {
        rooms[name] = {
          lastSeq: st.lastSeq,
          readSeq: st.readSeq,
          messages: st.newest(this.cache.size),
          kind: st.kind,
          role: st.role,
          notify: st.notify,
          mentions: st.mentions,
        };
        if (st.peer !== undefined) rooms[name]!.with = st.peer;
        if (st.slowModeS > 0) rooms[name]!.slowModeS = st.slowModeS;
      }
      return rooms;
    });
  }

  /** Removes the cache from storage and writes it no more (logout, account deleted). */
  clearStorage(): Promise<void> {
    return this.cache.clear();
  }

  saveReceipts(): void {
    this.cache.saveReceiptsSoon(() => {
      const all: CachedReceipts = { ...this.storedReceipts };
      for (const [name, r] of this.byName) all[name] = Object.fromEntries(r.store.receipts);
      this.storedReceipts = all;
      return all;
    });
  }
}
