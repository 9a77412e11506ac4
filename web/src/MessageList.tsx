import type { ChatMessage } from '@parley/client';
import { useConnection, useMessages, useParley, usePins, useReads, type RoomState } from '@parley/react';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { dayKey, dayLabel } from './format';
import { LoadEarlier, trackBottom } from './LoadEarlier';
import { MessageItem, canDeleteIn } from './MessageItem';

/** Who of `reads` (user → read seq) has read message `m` of the user's. */
export function readersOf(m: ChatMessage, reads: Readonly<Record<string, number>>): string[] | undefined {
  if (!m.mine || m.seq === null) return undefined;
  return Object.keys(reads).filter((u) => reads[u]! >= m.seq!);
}

/**
 * The room's messages without the replies (they show in their thread), a "new messages" line
 * above the first one that was unread when the room opened, read receipts for what is on screen.
 */
export function MessageList({ snap, onThread }: { snap: RoomState; onThread: (seq: number) => void }) {
  const client = useParley();
  const { state } = useConnection();
  const { messages: all, hasMore, loading, loadMore } = useMessages(snap.name);
  const { reads } = useReads(snap.name);
  const pins = usePins(snap.name);
  const messages = useMemo(() => all.filter((m) => m.replyTo === undefined), [all]);
  const room = snap.name;
  // Where the user had read to when the room opened: the "new messages" line stays there.
  const [readAtOpen] = useState(snap.readSeq);
  const pinned = useMemo(() => new Set(pins.map((p) => p.seq)), [pins]);
  // Marking a message read marks the replies after it read too (they are not in this list).
  const readUpTo = useRef((seq: number) => seq);
  readUpTo.current = (seq: number) => {
    const next = messages.find((m) => m.seq !== null && m.seq > seq);
    return next ? next.seq! - 1 : snap.lastSeq;
  };
  const divider = useRef<HTMLLIElement>(null);
  const scrolledToDivider = useRef(false);
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
    } else if (divider.current && !scrolledToDivider.current) {
      // Opening a room with unread messages: start at the first of them.
      scrolledToDivider.current = true;
      const top = divider.current.offsetTop - el.offsetTop - 8;
      if (top < el.scrollHeight - el.clientHeight) {
        el.scrollTop = top;
        atBottom.current = false;
      } else el.scrollTop = el.scrollHeight;
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
      client.markRead(room, readUpTo.current(Math.max(...seen)));
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
  let dividerShown = false;
  const items: ReactElement[] = [];
  for (const m of messages) {
    if (!dividerShown && readAtOpen > 0 && m.seq !== null && m.seq > readAtOpen && !m.mine) {
      dividerShown = true;
      items.push(
        <li key="new" ref={divider} className="new-divider" data-testid="new-messages" role="separator">
          <span>New messages</span>
        </li>,
      );
    }
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
        canDelete={canDeleteIn(m, snap)}
        open={open === m.id}
        onToggle={() => setOpen(open === m.id ? null : m.id)}
        onThread={m.seq !== null && !m.system ? () => onThread(m.seq!) : undefined}
        pin={(moderator || snap.kind === 'direct') && m.seq !== null ? { pinned: pinned.has(m.seq) } : undefined}
        readBy={readersOf(m, reads)}
      />,
    );
  }

  return (
    <div
      className="messages"
      ref={listRef}
      data-testid="messages"
      onScroll={trackBottom(atBottom)}
    >
      {hasMore && held > 0 && (
        <LoadEarlier
          testid="load-earlier"
          label="Load earlier messages"
          loading={loading}
          disabled={state !== 'open'}
          atBottom={atBottom}
          load={loadMore}
        />
      )}
      {messages.length === 0 && !hasMore && <p className="empty">No messages yet. Say hello!</p>}
      {messages.length === 0 && hasMore && <p className="empty">Loading…</p>}
      <ol className="message-list">{items}</ol>
    </div>
  );
}
