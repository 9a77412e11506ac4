// The room's side pane of people and settings: the notify level, slow mode (set by owners and
// moderators), and the members the client knows of with their roles and whether they are online.
import type { NotifyLevel } from '@parley/client';
import { useConnection, useParley, useSlowMode, useStatus, type RoomState } from '@parley/react';
import { useState } from 'react';
import { durationLabel } from './format';
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
        {snap.kind !== 'direct' && <SlowMode room={snap.name} offline={offline} />}
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

/** Seconds between a member's messages offered (the server takes any 0–21,600). */
const SLOW_STEPS = [0, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 7200, 21600];

/** Slow mode: a choice for owners and moderators, a line for members while it is on. */
function SlowMode({ room, offline }: { room: string; offline: boolean }) {
  const slow = useSlowMode(room);
  const [error, setError] = useState('');
  if (!slow.canSet) {
    if (slow.seconds === 0) return null;
    return (
      <p className="slow-mode-info muted" data-testid="slow-mode-info">
        Slow mode: one message every {durationLabel(slow.seconds)}.
      </p>
    );
  }
  const steps = SLOW_STEPS.includes(slow.seconds) ? SLOW_STEPS : [...SLOW_STEPS, slow.seconds].sort((a, b) => a - b);
  return (
    <>
      <label className="notify-level">
        <span>Slow mode</span>
        <select
          data-testid="slow-mode-select"
          data-seconds={slow.seconds}
          value={slow.seconds}
          disabled={offline}
          onChange={(e) => {
            setError('');
            slow.set(Number(e.target.value)).catch((err: Error) => setError(err.message));
          }}
        >
          {steps.map((s) => (
            <option key={s} value={s}>
              {s === 0 ? 'Off' : `One message every ${durationLabel(s)}`}
            </option>
          ))}
        </select>
      </label>
      <p className="muted slow-mode-note">Owners and moderators are exempt.</p>
      {error && <p className="error">{error}</p>}
    </>
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
