// share: structural sharing of snapshots.
import { describe, expect, it } from 'vitest';
import { share } from '../src/index.js';

describe('share', () => {
  it('gives the previous value back when the next one is equal', () => {
    const prev = { a: 1, list: [{ id: 'x', n: 1 }], nested: { s: 'v', none: undefined } };
    const next = { a: 1, list: [{ id: 'x', n: 1 }], nested: { s: 'v', none: undefined } };
    expect(share(prev, next)).toBe(prev);
    expect(share(['a', 'b'], ['a', 'b'])).toEqual(['a', 'b']);
    const arr = ['a', 'b'];
    expect(share(arr, ['a', 'b'])).toBe(arr);
  });

  it('keeps the unchanged parts of a changed value', () => {
    const prev = { a: { v: 1 }, b: { v: 2 } };
    const out = share(prev, { a: { v: 1 }, b: { v: 3 } });
    expect(out).not.toBe(prev);
    expect(out.a).toBe(prev.a);
    expect(out.b).toEqual({ v: 3 });
  });

  it('matches array elements by id, so prepended ones keep the rest', () => {
    const prev = [{ id: 'b', t: 2 }, { id: 'c', t: 3 }];
    const out = share(prev, [{ id: 'a', t: 1 }, { id: 'b', t: 2 }, { id: 'c', t: 3 }]);
    expect(out).toHaveLength(3);
    expect(out[1]).toBe(prev[0]);
    expect(out[2]).toBe(prev[1]);
  });

  it('sees added, removed and undefined-valued keys as changes', () => {
    const prev: Record<string, unknown> = { a: 1 };
    expect(share(prev, { a: 1, b: undefined })).not.toBe(prev);
    expect(share({ a: 1, b: 2 }, { a: 1 })).toEqual({ a: 1 });
    expect(share([1, 2], [1])).toEqual([1]);
  });

  it('compares anything but plain objects and arrays by identity', () => {
    const f = () => 1;
    expect(share(f, () => 1)).not.toBe(f);
    const d = new Date(0);
    expect(share(d, new Date(0))).not.toBe(d);
    expect(share(NaN, NaN)).toBeNaN();
    expect(share({ a: 1 }, null)).toBeNull();
  });
});
