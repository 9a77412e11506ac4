// What the client keeps in storage besides its outbox: the rooms it knows (last/read seq, kind
// and the newest messages, so a reload shows them before the server answers) and other members'
// read positions (so ✓✓ survive a reload). Writes are debounced; a broken entry is ignored,
// since it is only a cache.
import type { NotifyLevel, Role, RoomKind, WireEntry } from './protocol.js';
import type { StorageAdapter } from './storage.js';

export interface CachedRoom {
  lastSeq: number;
  readSeq: number;
  /** Messages and events, contiguous by seq. */
  messages: WireEntry[];
  kind?: RoomKind;
  role?: Role;
  /** Direct rooms: the other user. */
  with?: string;
  notify?: NotifyLevel;
  /** Unread mentions when it was saved. */
  mentions?: number;
  /** Slow mode's seconds when it was saved (absent: off). */
  slowModeS?: number;
}
export type CachedRooms = Record<string, CachedRoom>;
/** room → user → read seq */
export type CachedReceipts = Record<string, Record<string, number>>;

export class ClientCache {
  private roomsTimer: ReturnType<typeof setTimeout> | null = null;
  private receiptsTimer: ReturnType<typeof setTimeout> | null = null;
  private cleared = false;

  /** `size`: newest messages kept per room; 0 turns the rooms cache off. */
  constructor(
    private readonly storage: StorageAdapter,
    private readonly user: string,
    readonly size: number,
  ) {}

  private get roomsKey(): string {
    return `parley:v1:${this.user}:rooms`;
  }

  private get receiptsKey(): string {
    return `parley:v1:${this.user}:receipts`;
  }

  async loadRooms(): Promise<CachedRooms> {
    if (this.size <= 0) return {};
    return (await this.read<CachedRooms>(this.roomsKey)) ?? {};
  }

  async loadReceipts(): Promise<CachedReceipts> {
    return (await this.read<CachedReceipts>(this.receiptsKey)) ?? {};
  }

  /** Writes `snapshot()` 300 ms from now, once for any number of calls in between. */
  saveRoomsSoon(snapshot: () => CachedRooms): void {
    if (this.size <= 0 || this.roomsTimer) return;
    this.roomsTimer = setTimeout(() => {
      this.roomsTimer = null;
      this.write(this.roomsKey, snapshot());
    }, 300);
  }

  /** Writes `snapshot()` 250 ms from now, once for any number of calls in between. */
  saveReceiptsSoon(snapshot: () => CachedReceipts): void {
    if (this.receiptsTimer) return;
    this.receiptsTimer = setTimeout(() => {
      this.receiptsTimer = null;
      this.write(this.receiptsKey, snapshot());
    }, 250);
  }

  /** Removes both keys and writes nothing more (the user logged out or deleted the account). */
  async clear(): Promise<void> {
    this.cleared = true;
    if (this.roomsTimer) clearTimeout(this.roomsTimer);
    if (this.receiptsTimer) clearTimeout(this.receiptsTimer);
    this.roomsTimer = this.receiptsTimer = null;
    await Promise.all([this.storage.removeItem(this.roomsKey), this.storage.removeItem(this.receiptsKey)]);
  }

  private async read<T>(key: string): Promise<T | null> {
    try {
      const raw = await this.storage.getItem(key);
      return raw ? ((JSON.parse(raw) as T) ?? null) : null;
    } catch {
      return null;
    }
  }

  private write(key: string, value: unknown): void {
    if (this.cleared) return;
    void Promise.resolve(this.storage.setItem(key, JSON.stringify(value))).catch(() => {});
  }
}
