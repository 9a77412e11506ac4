import type { ParleyClient, RoomSnapshot } from '@parley/client';
import { useEffect, useReducer, useRef, useState, type FormEvent } from 'react';
import { timeLabel } from './format';
import { MessageList } from './MessageList';
import { NameForm } from './NameForm';
import { roomTitle } from './Sidebar';

export function RoomView({ client, snap, onBack }: { client: ParleyClient; snap: RoomSnapshot; onBack: () => void }) {
  const room = snap.name;
  const direct = snap.kind === 'direct';
  const moderator = snap.role === 'owner' || snap.role === 'moderator';
  // Private rooms: owners and moderators invite; public rooms: any member; direct rooms: nobody.
  const canInvite = snap.kind === 'public' || (snap.kind === 'private' && moderator);
  const [inviting, setInviting] = useState(false);
  return (
    <>
      <header className="room-header">
        <button className="back" onClick={onBack} aria-label="Back to rooms">
          ‹
        </button>
        <div className="room-title">
          <h2 className={direct ? 'direct' : undefined}>{roomTitle(snap)}</h2>
          <Online users={snap.online} />
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
            disabled={client.state !== 'open'}
            actions={[{ label: 'Invite', testid: 'invite-button', run: async (u) => (await client.invite(room, u), setInviting(false)) }]}
          />
        </div>
      )}
      <MessageList client={client} snap={snap} />
      <div className="typing" data-testid="typing" aria-live="polite">
        {snap.typingText}
      </div>
      <Composer client={client} room={room} label={`Message ${roomTitle(snap)}`} mutedUntil={snap.mutedUntil} />
    </>
  );
}

function Online({ users }: { users: string[] }) {
  return (
    <div className="online" data-testid="online">
      {users.length === 0 ? (
        <span className="muted">nobody else online</span>
      ) : (
        <>
          <span className="dot" aria-hidden="true" />
          {users.map((u, i) => (
            <span key={u} className="online-user" data-user={u}>
              {u}
              {i < users.length - 1 ? ', ' : ''}
            </span>
          ))}
          <span className="muted"> online</span>
        </>
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

function Composer({ client, room, label, mutedUntil }: { client: ParleyClient; room: string; label: string; mutedUntil?: number }) {
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
