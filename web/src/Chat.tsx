import {
  ParleyClient,
  browserStorage,
  type ChatMessage,
  type ConnectionState,
  type RoomSnapshot,
} from '@parley/client';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent, type ReactElement } from 'react';
import { dayKey, dayLabel, timeLabel } from './format';
import type { StoredSession } from './session';

function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

function roomFromHash(): string {
  const m = /^#\/([a-z0-9][a-z0-9_-]{0,63})$/.exec(location.hash);
  return m ? m[1]! : '';
}

function useHashRoom(): [string, (room: string) => void] {
  const [room, setRoom] = useState(roomFromHash);
  useEffect(() => {
    const on = () => setRoom(roomFromHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const select = (r: string) => {
    if (r) location.hash = `#/${r}`;
    else history.replaceState(null, '', location.pathname + location.search);
    setRoom(r);
  };
  return [room, select];
}

const wide = () => typeof matchMedia === 'function' && matchMedia('(min-width: 701px)').matches;

export function Chat({ session, onLogout }: { session: StoredSession; onLogout: (reason?: string) => void }) {
  const client = useMemo(
    () => new ParleyClient({ url: wsUrl(), token: session.token, user: session.user, storage: browserStorage() }),
    [session],
  );
  const subscribe = useCallback((cb: () => void) => client.on('change', cb), [client]);
  useSyncExternalStore(subscribe, () => client.version);
  const [room, setRoom] = useHashRoom();
  const roomRef = useRef(room);
  roomRef.current = room;

  useEffect(() => {
    const offAuth = client.on('auth', () => onLogout('Your session has expired: please log in again.'));
    const offWelcome = client.on('welcome', (rooms) => {
      if (rooms.length === 0) {
        // A new account starts in #general.
        client
          .join('general')
          .then(() => {
            if (!roomRef.current && wide()) setRoom('general');
          })
          .catch(() => {});
      } else if (!roomRef.current && wide()) setRoom(rooms[0]!);
    });
    void client.start();
    return () => {
      offAuth();
      offWelcome();
      client.close();
    };
  }, [client]);

  const rooms = client.rooms();
  const snap = room ? client.room(room) : undefined;

  return (
    <div className="app">
    <Banner state={client.state} queued={client.queued} />
    <div className={`chat ${room ? 'has-room' : 'no-room'}`}>
      <aside className="sidebar">
        <header className="me">
          <span className="logo">parley</span>
          <span className="whoami" data-testid="whoami">
            {client.user}
          </span>
          <button className="link" onClick={() => onLogout()}>
            Log out
          </button>
        </header>
        <JoinRoom
          onJoin={async (name) => {
            await client.join(name);
            setRoom(name);
          }}
          disabled={client.state !== 'open'}
        />
        <nav className="rooms" aria-label="Rooms">
          {rooms.length === 0 && <p className="empty">No rooms yet.</p>}
          {rooms.map((name) => {
            const r = client.room(name)!;
            return (
              <button
                key={name}
                data-testid={`room-${name}`}
                className={`room-item ${name === room ? 'active' : ''}`}
                aria-current={name === room ? 'page' : undefined}
                onClick={() => setRoom(name)}
              >
                <span className="room-name">#{name}</span>
                {r.unread > 0 && name !== room && (
                  <span className="badge" data-testid={`unread-${name}`} aria-label={`${r.unread} unread`}>
                    {r.unread > 99 ? '99+' : r.unread}
                  </span>
                )}
              </button>
            );
          })}
        </nav>
      </aside>
      <main className="room">
        {room && snap ? (
          <RoomView key={room} client={client} snap={snap} onBack={() => setRoom('')} />
        ) : room ? (
          <div className="placeholder">
            <p>You are not in #{room}.</p>
            <button onClick={() => client.join(room).catch(() => {})} disabled={client.state !== 'open'}>
              Join #{room}
            </button>
            <button className="link" onClick={() => setRoom('')}>
              Back to rooms
            </button>
          </div>
        ) : (
          <div className="placeholder">
            <p>Pick a room, or join one by name.</p>
          </div>
        )}
      </main>
    </div>
    </div>
  );
}

function Banner({ state, queued }: { state: ConnectionState; queued: number }) {
  if (state === 'open') return null;
  const label = state === 'offline' ? 'Offline' : state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
  return (
    <div className={`banner banner-${state}`} role="status" data-testid="banner">
      <span className="banner-state">{label}</span>
      {queued > 0 && (
        <span className="banner-queued" data-testid="queued">
          {queued} {queued === 1 ? 'message' : 'messages'} queued
        </span>
      )}
    </div>
  );
}

function JoinRoom({ onJoin, disabled }: { onJoin: (name: string) => Promise<void>; disabled: boolean }) {
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  async function submit(e: FormEvent) {
    e.preventDefault();
    const n = name.trim().toLowerCase().replace(/^#/, '');
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(n)) {
      setError('Room names: a–z, 0–9, _ and -');
      return;
    }
    try {
      await onJoin(n);
      setName('');
      setError('');
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not join');
    }
  }
  return (
    <form className="join" onSubmit={submit}>
      <input
        data-testid="join-input"
        placeholder="Join or create a room"
        aria-label="Room name"
        autoCapitalize="none"
        spellCheck={false}
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <button data-testid="join-button" type="submit" disabled={disabled || !name.trim()}>
        Join
      </button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}

function RoomView({ client, snap, onBack }: { client: ParleyClient; snap: RoomSnapshot; onBack: () => void }) {
  const room = snap.name;
  return (
    <>
      <header className="room-header">
        <button className="back" onClick={onBack} aria-label="Back to rooms">
          ‹
        </button>
        <div className="room-title">
          <h2>#{room}</h2>
          <div className="online" data-testid="online">
            {snap.online.length === 0 ? (
              <span className="muted">nobody else online</span>
            ) : (
              <>
                <span className="dot" aria-hidden="true" />
                {snap.online.map((u, i) => (
                  <span key={u} className="online-user" data-user={u}>
                    {u}
                    {i < snap.online.length - 1 ? ', ' : ''}
                  </span>
                ))}
                <span className="muted"> online</span>
              </>
            )}
          </div>
        </div>
        <button
          className="link leave"
          onClick={() => {
            if (confirm(`Leave #${room}?`)) client.leave(room).then(onBack, () => {});
          }}
        >
          Leave
        </button>
      </header>
      <MessageList client={client} snap={snap} />
      <div className="typing" data-testid="typing" aria-live="polite">
        {snap.typingText}
      </div>
      <Composer client={client} room={room} />
    </>
  );
}

const TICKS: Record<NonNullable<ChatMessage['state']>, [string, string]> = {
  pending: ['◷', 'sending'],
  sent: ['✓', 'sent'],
  read: ['✓✓', 'read'],
  failed: ['!', 'not sent'],
};

function MessageList({ client, snap }: { client: ParleyClient; snap: RoomSnapshot }) {
  const room = snap.name;
  const listRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const before = useRef<{ first: string | undefined; height: number; top: number }>({ first: undefined, height: 0, top: 0 });
  const visible = useRef(new Set<number>());
  const held = snap.messages.filter((m) => m.seq !== null).length;

  // The first page of a room comes from `history`.
  useEffect(() => {
    if (client.state === 'open' && held === 0 && snap.hasMore && !snap.loadingEarlier) client.loadEarlier(room).catch(() => {});
  }, [client, room, client.state, held, snap.hasMore, snap.loadingEarlier]);

  // Keep the view pinned to the bottom, or in place when older messages are prepended.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const first = snap.messages[0]?.id;
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

  let lastDay = -1;
  const items: ReactElement[] = [];
  for (const m of snap.messages) {
    const day = dayKey(m.ts);
    if (day !== lastDay) {
      lastDay = day;
      items.push(
        <li key={`day-${day}`} className="day" data-testid="day" role="separator">
          <span>{dayLabel(m.ts)}</span>
        </li>,
      );
    }
    const tick = m.state ? TICKS[m.state] : null;
    items.push(
      <li
        key={m.id}
        className={`msg ${m.system ? 'system' : m.mine ? 'mine' : 'theirs'} ${m.state ?? ''}`}
        data-testid="message"
        data-id={m.id}
        data-seq={m.seq ?? undefined}
        data-user={m.user}
        data-state={m.state}
      >
        <div className="bubble">
          {!m.mine && !m.system && <div className="author">{m.user}</div>}
          <div className="text">{m.text}</div>
          <div className="meta">
            <time dateTime={new Date(m.ts).toISOString()}>{timeLabel(m.ts)}</time>
            {tick && (
              <span className={`tick tick-${m.state}`} data-testid="tick" title={tick[1]} aria-label={tick[1]}>
                {tick[0]}
              </span>
            )}
            {m.state === 'failed' && (
              <>
                <button className="link" onClick={() => void client.retryFailed(m.id)}>
                  retry
                </button>
                <button className="link" onClick={() => client.discardFailed(m.id)}>
                  discard
                </button>
              </>
            )}
          </div>
        </div>
      </li>,
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
      {snap.hasMore && held > 0 && (
        <div className="load-earlier">
          <button
            data-testid="load-earlier"
            disabled={snap.loadingEarlier || client.state !== 'open'}
            onClick={() => {
              atBottom.current = false;
              client.loadEarlier(room).catch(() => {});
            }}
          >
            {snap.loadingEarlier ? 'Loading…' : 'Load earlier messages'}
          </button>
        </div>
      )}
      {snap.messages.length === 0 && !snap.hasMore && <p className="empty">No messages yet. Say hello!</p>}
      {snap.messages.length === 0 && snap.hasMore && <p className="empty">Loading…</p>}
      <ol className="message-list">{items}</ol>
    </div>
  );
}

function Composer({ client, room }: { client: ParleyClient; room: string }) {
  const [text, setText] = useState('');
  const input = useRef<HTMLTextAreaElement>(null);
  function send(e?: FormEvent) {
    e?.preventDefault();
    const t = text.trim();
    if (!t) return;
    setText('');
    client.send(room, t).catch(() => {});
    input.current?.focus();
  }
  return (
    <form className="composer" onSubmit={send}>
      <textarea
        ref={input}
        data-testid="composer"
        rows={1}
        placeholder={`Message #${room}`}
        aria-label={`Message #${room}`}
        maxLength={4000}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim()) client.typing(room);
          else client.stopTyping(room);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" data-testid="send" disabled={!text.trim()}>
        Send
      </button>
    </form>
  );
}
