import { useConnection, useParley, usePresence, useTyping, type RoomState } from '@parley/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Composer } from './Composer';
import { DropHint, useFileDrop } from './FileDrop';
import { countLabel, durationLabel } from './format';
import { useMembers } from './members';
import { MessageList } from './MessageList';
import { NameForm } from './NameForm';
import { useComposerFiles } from './PendingFiles';
import { PinnedBar } from './PinnedBar';
import { RoomInfo } from './RoomInfo';
import { roomTitle } from './Sidebar';
import { ThreadPane } from './ThreadPane';

/** The side pane: a thread, or the room's details (members, notify level). */
type Pane = { kind: 'thread'; seq: number } | { kind: 'info' } | null;

/** Scrolls the room's list to message `seq` and flashes it, if it is shown. */
function showMessage(seq: number): void {
  const el = document.querySelector<HTMLElement>(`[data-testid=messages] [data-testid=message][data-seq="${seq}"]`);
  if (!el) return;
  el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  el.classList.remove('flash');
  void el.offsetWidth; // restart the animation
  el.classList.add('flash');
}

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
  const [pane, setPane] = useState<Pane>(null);
  const members = useMembers(room);
  const names = members.filter((m) => !m.me).map((m) => m.name);
  const label = `Message ${roomTitle(snap)}`;
  const files = useComposerFiles();
  const drop = useFileDrop(files.addFiles);
  return (
    <div className={`room-split ${pane ? 'has-pane' : ''}`}>
      <div className="room-main" {...drop.handlers}>
      {drop.over && <DropHint label={`Drop files here to send them in ${roomTitle(snap)}`} />}
      <header className="room-header">
        <button className="back" onClick={onBack} aria-label="Back to rooms">
          ‹
        </button>
        <div className="room-title">
          <div className="room-title-line">
            <h2 className={direct ? 'direct' : undefined}>{roomTitle(snap)}</h2>
            {snap.slowModeS > 0 && (
              <span
                className="slow-mode"
                data-testid="slow-mode"
                data-seconds={snap.slowModeS}
                title={`One message every ${durationLabel(snap.slowModeS)}${moderator ? ' (owners and moderators are exempt)' : ''}`}
              >
                slow mode: {snap.slowModeS} s
              </span>
            )}
          </div>
          <Online room={room} listing={listing} onList={() => setListing(!listing)} />
        </div>
        {canInvite && (
          <button className="link" data-testid="invite-open" aria-expanded={inviting} onClick={() => setInviting(!inviting)}>
            Invite
          </button>
        )}
        <button
          className="link"
          data-testid="info-open"
          aria-expanded={pane?.kind === 'info'}
          onClick={() => setPane(pane?.kind === 'info' ? null : { kind: 'info' })}
        >
          Details
        </button>
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
      <PinnedBar room={room} onShow={showMessage} />
      <MessageList snap={snap} onThread={(seq) => setPane({ kind: 'thread', seq })} />
      <Typing room={room} />
      <Composer room={room} label={label} mutedUntil={snap.mutedUntil} members={names} canMentionRoom={moderator && !direct} files={files} />
      </div>
      {pane?.kind === 'thread' && (
        <ThreadPane key={pane.seq} snap={snap} seq={pane.seq} members={names} onClose={() => setPane(null)} />
      )}
      {pane?.kind === 'info' && <RoomInfo snap={snap} members={members} onClose={() => setPane(null)} />}
    </div>
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
