// The room's side pane of people and settings: the notify level, and the members the client
// knows of with their roles and whether they are online.
import type { NotifyLevel } from '@parley/client';
import { useConnection, useParley, useStatus, type RoomState } from '@parley/react';
import { useState } from 'react';
import type { Member } from './members';

const LEVELS: [NotifyLevel, string][] = [
  ['all', 'All messages'],
  ['mentions', 'Mentions only'],
  ['none', 'Nothing'],
];

export function RoomInfo({ snap, members, onClose }: { snap: RoomState; members: readonly Member[]; onClose: () => void }) {
  const client = useParley();
  const offline = useConnection().state !== 'open';
  const [error, setError] = useState('');
  const online = members.filter((m) => m.online).length;
  return (
    <aside className="pane info-pane" data-testid="info-pane" aria-label="Room details">
      <header className="pane-header">
        <h3>Details</h3>
        <button className="link pane-close" data-testid="info-close" aria-label="Close details" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="pane-body info-body">
        <label className="notify-level">
          <span>Notify me about</span>
          <select
            data-testid="notify-level"
            data-level={snap.notify}
            value={snap.notify}
            disabled={offline}
            onChange={(e) => {
              setError('');
              client.setNotify(snap.name, e.target.value as NotifyLevel).catch((err: Error) => setError(err.message));
            }}
          >
            {LEVELS.map(([level, label]) => (
              <option key={level} value={level}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {error && <p className="error">{error}</p>}
        <h4 className="members-heading">
          Members <span className="muted">· {online} online</span>
        </h4>
        <ul className="members" data-testid="members">
          {members.map((m) => (
            <li key={m.name} className="member" data-testid="member" data-user={m.name} data-online={m.online ? 'true' : 'false'}>
              <MemberStatus member={m} />
              {m.role && m.role !== 'member' && (
                <span className={`role role-${m.role}`} data-testid="member-role">
                  {m.role}
                </span>
              )}
            </li>
          ))}
        </ul>
        <p className="muted members-note">All the room's members with their roles; a hollow dot is away.</p>
      </div>
    </aside>
  );
}

/** The presence dot (hollow when away) and the name with the member's status text. */
function MemberStatus({ member: m }: { member: Member }) {
  const status = useStatus(m.name);
  const away = m.online && status.state === 'away';
  return (
    <>
      <span className={`presence-dot ${m.online ? (away ? 'away' : 'on') : 'off'}`} aria-label={m.online ? (away ? 'away' : 'online') : 'offline'} />
      <span className="member-name">
        {m.name}
        {m.me && <span className="muted"> (you)</span>}
        {m.online && status.text && (
          <span className="muted member-status" data-testid="member-status">
            {' '}
            — {status.text}
          </span>
        )}
      </span>
    </>
  );
}
