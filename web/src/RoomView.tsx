import { useConnection, useParley, usePresence, useTyping, type RoomState } from '@parley/react';
import { useCallback, useEffect, useReducer, useRef, useState, type FormEvent } from 'react';
import { countLabel, timeLabel } from './format';
import { MessageList } from './MessageList';
import { NameForm } from './NameForm';
import { roomTitle } from './Sidebar';

export function RoomView({ snap, onBack }: { snap: RoomState; onBack: () => void }) {
  const client = useParley();
  const offline = useConnection().state !== 'open';
  const room = snap.name;
  const direct = snap.kind === 'direct';
  const moderator = snap.role === 'owner' || snap.role === 'moderator';
  // Private rooms: owners and moderators invite; public rooms: any member; direct rooms: nobody.
  const canInvite = snap.kind === 'public' || (snap.kind === 'private' && moderator);
  const [inviting, setInviting] = useState(false);
  // A large room tells only its count: who is online is listed on demand, page by page.
  const [listing, setListing] = useState(false);
  const counting = snap.presence === 'count';
  useEffect(() => {
    if (!counting) setListing(false); // back to per-user presence: the header lists everyone
  }, [counting]);
  return (
    <>
      <header className="room-header">
        <button className="back" onClick={onBack} aria-label="Back to rooms">
          ‹
        </button>
        <div className="room-title">
          <h2 className={direct ? 'direct' : undefined}>{roomTitle(snap)}</h2>
          <Online room={room} listing={listing} onList={() => setListing(!listing)} />
        </div>
        {canInvite && (
          <button className="link" data-testid="invite-open" aria-expanded={inviting} onClick={() => setInviting(!inviting)}>
            Invite
          </button>
        )}
        {!direct && (
          <button
            className="link leave"
            onClick={() => {
              if (confirm(`Leave #${room}?`)) client.leave(room).then(onBack, () => {});
            }}
          >
            Leave
          </button>
        )}
      </header>
      {inviting && (
        <div className="invite">
          <NameForm
            id="invite"
            placeholder={`Invite a user to #${room}`}
            pattern={/^[a-z0-9_]{1,32}$/}
            invalid="User names: a–z, 0–9 and _"
            disabled={offline}
            actions={[{ label: 'Invite', testid: 'invite-button', run: async (u) => (await client.invite(room, u), setInviting(false)) }]}
          />
        </div>
      )}
      {listing && counting && <OnlineList room={room} />}
      <MessageList snap={snap} />
      <Typing room={room} />
      <Composer room={room} label={`Message ${roomTitle(snap)}`} mutedUntil={snap.mutedUntil} />
    </>
  );
}

function Typing({ room }: { room: string }) {
  const { text } = useTyping(room);
  return (
    <div className="typing" data-testid="typing" aria-live="polite">
      {text}
    </div>
  );
}

function Online({ room, listing, onList }: { room: string; listing: boolean; onList: () => void }) {
  const { online: users, onlineCount, presence } = usePresence(room);
  const count = onlineCount > 0 && (
    <span className="online-count" data-testid="online-count" data-count={onlineCount}>
      {countLabel(onlineCount)} online
    </span>
  );
  if (presence === 'count') {
    return (
      <div className="online" data-testid="online" data-presence="count">
        <span className="dot" aria-hidden="true" />
        {count}
        <button className="link online-toggle" data-testid="online-list-toggle" aria-expanded={listing} onClick={onList}>
          {listing ? 'hide list' : 'who?'}
        </button>
      </div>
    );
  }
  return (
    <div className="online" data-testid="online" data-presence="members">
      {users.length === 0 ? (
        <span className="muted">nobody else online</span>
      ) : (
        <>
          <span className="dot" aria-hidden="true" />
          {count}
          {count && <span className="muted">: </span>}
          {users.map((u, i) => (
            <span key={u} className="online-user" data-user={u}>
              {u}
              {i < users.length - 1 ? ', ' : ''}
            </span>
          ))}
          {!count && <span className="muted"> online</span>}
        </>
      )}
    </div>
  );
}

const ONLINE_PAGE = 100;

/** Who is online in a large room, fetched a page at a time (the snapshot lists only the first). */
function OnlineList({ room }: { room: string }) {
  const client = useParley();
  const [users, setUsers] = useState<string[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [status, setStatus] = useState<'loading' | 'idle' | 'error'>('loading');
  const alive = useRef(true);
  const load = useCallback(
    async (after?: string) => {
      setStatus('loading');
      try {
        const page = await client.listOnline(room, after === undefined ? { limit: ONLINE_PAGE } : { after, limit: ONLINE_PAGE });
        if (!alive.current) return;
        setUsers((shown) => (after === undefined ? page.users : [...shown, ...page.users]));
        setNext(page.next);
        setStatus('idle');
      } catch {
        if (alive.current) setStatus('error');
      }
    },
    [client, room],
  );
  useEffect(() => {
    alive.current = true;
    void load();
    return () => {
      alive.current = false;
    };
  }, [load]);
  return (
    <div className="online-list" data-testid="online-list">
      <ul>
        {users.map((u) => (
          <li key={u} className="online-user" data-user={u}>
            {u}
            {u === client.user && <span className="muted"> (you)</span>}
          </li>
        ))}
      </ul>
      {status === 'loading' && <p className="muted">Loading…</p>}
      {status === 'error' && (
        <p className="muted">
          Could not load who is online.{' '}
          <button className="link" onClick={() => void load(next)}>
            Retry
          </button>
        </p>
      )}
      {status === 'idle' && next !== undefined && (
        <button className="link" data-testid="online-more" onClick={() => void load(next)}>
          Load more
        </button>
      )}
    </div>
  );
}

/** Re-renders when `until` (ms since the epoch) passes. */
function useUntil(until: number | undefined): boolean {
  const [, tick] = useReducer((n: number) => n + 1, 0);
  const active = until !== undefined && until > Date.now();
  useEffect(() => {
    if (!active) return;
    const t = setTimeout(tick, Math.min(until! - Date.now() + 50, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [active, until]);
  return active;
}

function Composer({ room, label, mutedUntil }: { room: string; label: string; mutedUntil?: number }) {
  const client = useParley();
  const [text, setText] = useState('');
  const input = useRef<HTMLTextAreaElement>(null);
  const muted = useUntil(mutedUntil);
  function send(e?: FormEvent) {
    e?.preventDefault();
    const t = text.trim();
    if (!t || muted) return;
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
        placeholder={muted ? `You are muted until ${timeLabel(mutedUntil!)}` : label}
        aria-label={label}
        maxLength={4000}
        disabled={muted}
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
      <button type="submit" data-testid="send" disabled={!text.trim() || muted}>
        Send
      </button>
    </form>
  );
}
