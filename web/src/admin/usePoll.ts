import { useCallback, useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  /** True until the first answer (or failure). */
  loading: boolean;
  /** Asks again now (after an action); the next poll follows `intervalMs` after it. */
  refresh: () => void;
}

/**
 * Calls `load` now, then `intervalMs` after each answer (never two at once) while mounted;
 * `intervalMs` 0: only on refresh. A change of `deps` starts over. The last answer stays shown
 * while a later call fails.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const depsKey = JSON.stringify(deps);

  // Other arguments (another room, another page): nothing of the old answer is shown.
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    setLoading(true);
  }, [depsKey]);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const v = await loadRef.current();
        if (!live) return;
        setData(v);
        setError(undefined);
      } catch (e) {
        if (live) setError(e);
      } finally {
        if (live) {
          setLoading(false);
          if (intervalMs > 0) timer = setTimeout(run, intervalMs);
        }
      }
    };
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [intervalMs, tick, depsKey]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, refresh };
}
