// Structural sharing: the SDK builds a fresh snapshot on every call, so a hook keeps the parts
// of its last value that did not change. A value equal to the previous one comes back as the
// previous object itself, which is what useSyncExternalStore needs (a new reference on every
// read would re-render forever) and what lets React.memo skip unchanged messages.

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A string `id` of an array element (messages), by which elements are matched across pages. */
function idOf(v: unknown): string | undefined {
  return isPlain(v) && typeof v.id === 'string' ? v.id : undefined;
}

function shareArray(prev: readonly unknown[], next: readonly unknown[]): readonly unknown[] {
  // Messages are matched by id, so that a page of older ones prepended keeps those already held.
  const byId = new Map<string, unknown>();
  for (const p of prev) {
    const id = idOf(p);
    if (id !== undefined) byId.set(id, p);
  }
  let same = prev.length === next.length;
  const out = next.map((v, i) => {
    const id = idOf(v);
    const s = share(id !== undefined && byId.has(id) ? byId.get(id) : prev[i], v);
    if (s !== prev[i]) same = false;
    return s;
  });
  return same ? prev : out;
}

function shareObject(prev: Plain, next: Plain): Plain {
  const keys = Object.keys(next);
  let same = keys.length === Object.keys(prev).length;
  const out: Plain = {};
  for (const k of keys) {
    const s = share(prev[k], next[k]);
    if (s !== prev[k] || !(k in prev)) same = false;
    out[k] = s;
  }
  return same ? prev : out;
}

/**
 * `next`, with every part that equals the same part of `prev` replaced by that part of `prev`;
 * `prev` itself when the two are equal. Plain objects and arrays are compared by content,
 * anything else by identity.
 */
export function share<T>(prev: unknown, next: T): T {
  if (Object.is(prev, next)) return prev as T;
  if (Array.isArray(next)) return (Array.isArray(prev) ? shareArray(prev, next) : next) as T;
  if (isPlain(next) && isPlain(prev)) return shareObject(prev, next) as T;
  return next;
}
