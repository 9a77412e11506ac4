import { useCallback, useState } from 'react';

/** The pages of a list read by a cursor, as useCursor keeps them. */
export interface Cursor<C> {
  /** The cursor of the page shown; undefined: the first page. */
  cursor: C | undefined;
  /** How many pages before this one (0: the first). */
  page: number;
  next: (c: C) => void;
  previous: () => void;
  first: () => void;
}

/**
 * Pages of a list read by a cursor (`after` a name, `before` a seq): the cursor of the page
 * shown and the ones before it, to go back.
 */
export function useCursor<C>(): Cursor<C> {
  const [stack, setStack] = useState<C[]>([]);
  const cursor = stack.length ? stack[stack.length - 1] : undefined;
  const next = useCallback((c: C) => setStack((s) => [...s, c]), []);
  const previous = useCallback(() => setStack((s) => s.slice(0, -1)), []);
  const first = useCallback(() => setStack([]), []);
  return { cursor, page: stack.length, next, previous, first };
}
