// What a scrolled list of messages (a room's, a thread's) shares: the button that fetches older
// ones, and knowing whether the list is scrolled to its bottom (to stay there as messages come).
import type { MutableRefObject, UIEvent } from 'react';

/** An onScroll handler keeping `atBottom` current. */
export function trackBottom(atBottom: MutableRefObject<boolean>) {
  return (e: UIEvent<HTMLElement>) => {
    const el = e.currentTarget;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  };
}

/** "Load earlier …": leaves the bottom (the list stays where it is) and fetches the page. */
export function LoadEarlier({
  testid,
  label,
  loading,
  disabled,
  atBottom,
  load,
}: {
  testid: string;
  label: string;
  loading: boolean;
  disabled: boolean;
  atBottom: MutableRefObject<boolean>;
  load: () => Promise<unknown>;
}) {
  return (
    <div className="load-earlier">
      <button
        data-testid={testid}
        disabled={loading || disabled}
        onClick={() => {
          atBottom.current = false;
          load().catch(() => {});
        }}
      >
        {loading ? 'Loading…' : label}
      </button>
    </div>
  );
}
