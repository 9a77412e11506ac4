import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IndexedDBStorage, LocalStorageAdapter, MemoryStorage, type StorageAdapter } from '../src/storage.js';
import { Outbox } from '../src/outbox.js';
import { RoomStore } from '../src/room.js';
import { typingText } from '../src/typing.js';
import { decodeJwt, uuid } from '../src/util.js';
import { fakeToken, msg } from './helpers.js';

class MapLocalStorage {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

const adapters: [string, () => StorageAdapter][] = [
  ['memory', () => new MemoryStorage()],
  ['localStorage', () => new LocalStorageAdapter(new MapLocalStorage())],
  ['IndexedDB', () => new IndexedDBStorage(`test-${uuid()}`)],
];

describe.each(adapters)('%s adapter', (_name, make) => {
  it('stores, reads back and removes', async () => {
    const s = make();
    expect(await s.getItem('k')).toBeNull();
    await s.setItem('k', 'v1');
    await s.setItem('k', 'v2');
    expect(await s.getItem('k')).toBe('v2');
    await s.removeItem('k');
    expect(await s.getItem('k')).toBeNull();
  });

  it('keeps an outbox across instances, in order', async () => {
    const s = make();
    const a = new Outbox(s, 'ob');
    await a.add({ id: '1', room: 'r', text: 'one', createdAt: 1 });
    await a.add({ id: '2', room: 'r', text: 'two', createdAt: 2 });
    await a.add({ id: '3', room: 'r', text: 'three', createdAt: 3 });
    await a.remove('2');
    const b = new Outbox(s, 'ob');
    await b.load();
    expect(b.entries().map((e) => e.text)).toEqual(['one', 'three']);
    expect(b.isDurable('1')).toBe(true);
  });
});

describe('IndexedDBStorage', () => {
  it('two instances on one database see each other\'s writes', async () => {
    const name = `shared-${uuid()}`;
    await new IndexedDBStorage(name).setItem('x', 'y');
    expect(await new IndexedDBStorage(name).getItem('x')).toBe('y');
  });
});

describe('RoomStore', () => {
  it('orders by seq whatever the arrival order, and reports gaps', () => {
    const r = new RoomStore('g');
    r.init(0);
    expect(r.ingest(msg(2))).toBe('gap');
    expect(r.ingest(msg(3))).toBe('gap');
    expect(r.top).toBe(0);
    expect(r.ingest(msg(1))).toBe('added');
    expect(r.top).toBe(3);
    expect(r.messages().map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(r.ingest(msg(2))).toBe('duplicate');
  });

  it('prepends only pages that continue the window downwards', () => {
    const r = new RoomStore('g');
    r.init(10);
    expect(r.prepend([msg(8), msg(9), msg(10)])).toBe(3);
    expect(r.prepend([msg(5), msg(6)])).toBe(0); // would leave a hole at 7
    expect(r.prepend([msg(6), msg(7)])).toBe(2);
    expect(r.bottom).toBe(6);
    expect(r.messages().map((m) => m.seq)).toEqual([6, 7, 8, 9, 10]);
  });
});

describe('helpers', () => {
  it('typing text', () => {
    expect(typingText([])).toBe('');
    expect(typingText(['alice'])).toBe('alice is typing…');
    expect(typingText(['alice', 'bob'])).toBe('alice and bob are typing…');
    expect(typingText(['a', 'b', 'c'])).toBe('3 people are typing…');
    expect(typingText(['a', 'b', 'c', 'd', 'e'])).toBe('5 people are typing…');
  });

  it('uuid v4 and JWT claims', () => {
    const ids = new Set(Array.from({ length: 100 }, uuid));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(decodeJwt(fakeToken('zoë_user'))?.sub).toBe('zoë_user');
    expect(decodeJwt('garbage')).toBeNull();
  });
});
