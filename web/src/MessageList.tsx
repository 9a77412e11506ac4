import { useConnection, useMessages, useParley, type RoomState } from '@parley/react';
import { useEffect, useLayoutEffect, useRef, useState, type ReactElement } from 'react';
import { dayKey, dayLabel } from './format';
import { MessageItem } from './MessageItem';

export function MessageList({ snap }: { snap: RoomState }) {
  const client = useParley();
  const { state } = useConnection();
  const { messages, hasMore, loading, loadMore } = useMessages(snap.name);
  const room = snap.name;
  const listRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const before = useRef<{ first: string | undefined; height: number; top: number }>({ first: undefined, height: 0, top: 0 });
  const visible = useRef(new Set<number>());
  const reportRead = useRef(() => {});
  const held = messages.filter((m) => m.seq !== null).length;
  const moderator = snap.role === 'owner' || snap.role === 'moderator';
  // The message whose actions (reactions, edit, delete) are shown: one at a time.
  const [open, setOpen] = useState<string | null>(null);

  // The first page of a room comes from `history`.
  useEffect(() => {
    if (state === 'open' && held === 0 && hasMore && !loading) loadMore().catch(() => {});
  }, [loadMore, state, held, hasMore, loading]);

  // Keep the view pinned to the bottom, or in place when older messages are prepended.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const first = messages[0]?.id;
    const prev = before.current;
    if (prev.first !== undefined && first !== prev.first && el.scrollHeight > prev.height && !atBottom.current) {
      el.scrollTop = prev.top + (el.scrollHeight - prev.height);
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    before.current = { first, height: el.scrollHeight, top: el.scrollTop };
  });

  // Read receipts: a message counts as read when it is on screen in a visible page.
  useEffect(() => {
    const el = listRef.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const seen = visible.current;
    seen.clear();
    const report = () => {
      if (document.visibilityState !== 'visible' || seen.size === 0) return;
      client.markRead(room, Math.max(...seen));
    };
    reportRead.current = report;
    const io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const seq = Number((e.target as HTMLElement).dataset.seq);
          if (!seq) continue;
          // Mostly on screen, or filling half the list if it is taller than that.
          const half = (e.rootBounds?.height ?? Infinity) / 2;
          if (e.isIntersecting && (e.intersectionRatio >= 0.5 || e.intersectionRect.height >= half)) seen.add(seq);
          else seen.delete(seq);
        }
        report();
      },
      { root: el, threshold: [0, 0.25, 0.5, 0.75, 1] },
    );
    const observeAll = () => el.querySelectorAll<HTMLElement>('[data-seq]').forEach((n) => io.observe(n));
    observeAll();
    const mo = new MutationObserver(observeAll);
    mo.observe(el, { childList: true, subtree: true });
    document.addEventListener('visibilitychange', report);
    return () => {
      io.disconnect();
      mo.disconnect();
      document.removeEventListener('visibilitychange', report);
    };
  }, [client, room]);

  // Edits, deletions and reactions move last_seq without a new message on screen: the read
  // position moves past them while the room is looked at.
  useEffect(() => reportRead.current(), [snap.lastSeq]);

  let lastDay = -1;
  const items: ReactElement[] = [];
  for (const m of messages) {
    const day = dayKey(m.ts);
    if (day !== lastDay) {
      lastDay = day;
      items.push(
        <li key={`day-${day}`} className="day" data-testid="day" role="separator">
          <span>{dayLabel(m.ts)}</span>
        </li>,
      );
    }
    items.push(
      <MessageItem
        key={m.id}
        m={m}
        canDelete={m.mine || (moderator && snap.kind !== 'direct')}
        open={open === m.id}
        onToggle={() => setOpen(open === m.id ? null : m.id)}
      />,
    );
  }

  return (
    <div
      className="messages"
      ref={listRef}
      data-testid="messages"
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
      }}
    >
      {hasMore && held > 0 && (
        <div className="load-earlier">
          <button
            data-testid="load-earlier"
            disabled={loading || state !== 'open'}
            onClick={() => {
              atBottom.current = false;
              loadMore().catch(() => {});
            }}
          >
            {loading ? 'Loading…' : 'Load earlier messages'}
          </button>
        </div>
      )}
      {messages.length === 0 && !hasMore && <p className="empty">No messages yet. Say hello!</p>}
      {messages.length === 0 && hasMore && <p className="empty">Loading…</p>}
      <ol className="message-list">{items}</ol>
    </div>
  );
}
