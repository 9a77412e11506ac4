/**
 * Persistent key-value storage, shaped like React Native's AsyncStorage so that
 * `@react-native-async-storage/async-storage` can be passed as it is. Every method may return
 * a value or a promise; the client always awaits.
 */
export interface StorageAdapter {
  getItem(key: string): Promise<string | null> | string | null;
  setItem(key: string, value: string): Promise<void> | void;
  removeItem(key: string): Promise<void> | void;
}

/** Keeps nothing across restarts: for tests and for clients that do not need it. */
export class MemoryStorage implements StorageAdapter {
  readonly data = new Map<string, string>();
  async getItem(key: string): Promise<string | null> {
    return this.data.has(key) ? this.data.get(key)! : null;
  }
  async setItem(key: string, value: string): Promise<void> {
    this.data.set(key, value);
  }
  async removeItem(key: string): Promise<void> {
    this.data.delete(key);
  }
}

/** Web Storage (window.localStorage or any object with the same three methods). */
export class LocalStorageAdapter implements StorageAdapter {
  constructor(private readonly ls: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> = globalThis.localStorage) {
    if (!ls) throw new Error('localStorage is not available');
  }
  async getItem(key: string): Promise<string | null> {
    return this.ls.getItem(key);
  }
  async setItem(key: string, value: string): Promise<void> {
    this.ls.setItem(key, value);
  }
  async removeItem(key: string): Promise<void> {
    this.ls.removeItem(key);
  }
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * IndexedDB: one object store of string values. A write resolves when its transaction has
 * committed, so "persisted before sent" holds across a crash of the tab.
 */
export class IndexedDBStorage implements StorageAdapter {
  private db: Promise<IDBDatabase> | null = null;

  constructor(
    private readonly dbName = 'parley',
    private readonly storeName = 'kv',
    private readonly factory: IDBFactory = globalThis.indexedDB,
  ) {
    if (!factory) throw new Error('IndexedDB is not available');
  }

  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      this.db = new Promise((resolve, reject) => {
        const r = this.factory.open(this.dbName, 1);
        r.onupgradeneeded = () => {
          if (!r.result.objectStoreNames.contains(this.storeName)) r.result.createObjectStore(this.storeName);
        };
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    }
    return this.db;
  }

  private async tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.open();
    const t = db.transaction(this.storeName, mode);
    const result = req(fn(t.objectStore(this.storeName)));
    await new Promise<void>((resolve, reject) => {
      t.oncomplete = () => resolve();
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error ?? new Error('transaction aborted'));
    });
    return result;
  }

  async getItem(key: string): Promise<string | null> {
    const v = await this.tx('readonly', (s) => s.get(key));
    return typeof v === 'string' ? v : null;
  }
  async setItem(key: string, value: string): Promise<void> {
    await this.tx('readwrite', (s) => s.put(value, key));
  }
  async removeItem(key: string): Promise<void> {
    await this.tx('readwrite', (s) => s.delete(key));
  }
}

/** The best storage this environment has: IndexedDB, else localStorage, else memory. */
export function browserStorage(): StorageAdapter {
  try {
    if (globalThis.indexedDB) return new IndexedDBStorage();
  } catch {
    /* fall through */
  }
  try {
    if (globalThis.localStorage) return new LocalStorageAdapter();
  } catch {
    /* fall through */
  }
  return new MemoryStorage();
}
