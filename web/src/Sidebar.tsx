import { useConnection, useParley, useRooms, useStatus, type RoomState } from '@parley/react';
import { useState } from 'react';
import { NameForm } from './NameForm';

const ROOM_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const USER_NAME = /^[a-z0-9_]{1,32}$/;

/** How a room is named on screen: a direct room by the other user, others as #name. */
export function roomTitle(snap: RoomState): string {
  return snap.kind === 'direct' && snap.with ? snap.with : `#${snap.name}`;
}

export function Sidebar({
  room,
  onSelect,
  onLogout,
  onAccount,
  notice,
  onDismiss,
  onEnableNotifications,
}: {
  room: string;
  onSelect: (room: string) => void;
  onLogout: () => void;
  /** Opens the account dialog (password, data export, deletion). */
  onAccount: () => void;
  notice: string;
  onDismiss: () => void;
  /** Offered while the browser has not been asked yet (it asks on this click). */
  onEnableNotifications?: () => void;
}) {
  const client = useParley();
  const offline = useConnection().state !== 'open';
  const snaps = useRooms();
  const rooms = snaps.filter((s) => s.kind !== 'direct');
  const direct = snaps.filter((s) => s.kind === 'direct').sort((a, b) => roomTitle(a).localeCompare(roomTitle(b)));
  return (
    <aside className="sidebar">
      <header className="me">
        <span className="logo">parley</span>
        <span className="whoami" data-testid="whoami">
          {client.user}
        </span>
        <button className="link" data-testid="account-open" onClick={onAccount}>
          Account
        </button>
        <button className="link" data-testid="logout" onClick={onLogout}>
          Log out
        </button>
      </header>
      <StatusEditor />
      {notice && (
        <p className="notice sidebar-notice" data-testid="notice" role="status">
          {notice}
          <button className="link" aria-label="Dismiss" onClick={onDismiss}>
            ×
          </button>
        </p>
      )}
      {onEnableNotifications && (
        <p className="enable-notifications">
          <button className="link" data-testid="enable-notifications" onClick={onEnableNotifications}>
            Notify me of mentions and direct messages
          </button>
        </p>
      )}
      <NameForm
        id="join"
        placeholder="Room name"
        pattern={ROOM_NAME}
        invalid="Room names: a–z, 0–9, _ and -"
        disabled={offline}
        actions={[
          { label: 'Join', testid: 'join-button', run: async (n) => (await client.join(n), onSelect(n)) },
          {
            label: 'Private',
            title: 'Create a private room (invite others to it)',
            testid: 'create-private-button',
            secondary: true,
            run: async (n) => (await client.createRoom(n, 'private'), onSelect(n)),
          },
        ]}
      />
      <NameForm
        id="dm"
        placeholder="Message a user"
        pattern={USER_NAME}
        invalid="User names: a–z, 0–9 and _"
        disabled={offline}
        actions={[{ label: 'Message', testid: 'dm-button', run: async (u) => onSelect(await client.dm(u)) }]}
      />
      <nav className="rooms" aria-label="Rooms">
        {snaps.length === 0 && <p className="empty">No rooms yet.</p>}
        {rooms.map((s) => (
          <RoomItem key={s.name} snap={s} testid={`room-${s.name}`} active={s.name === room} onSelect={onSelect} />
        ))}
        {direct.length > 0 && <h3 className="rooms-heading">Direct messages</h3>}
        {direct.map((s) => (
          <RoomItem key={s.name} snap={s} testid={`dm-${s.with ?? s.name}`} active={s.name === room} onSelect={onSelect} />
        ))}
      </nav>
    </aside>
  );
}

function RoomItem({ snap, testid, active, onSelect }: { snap: RoomState; testid: string; active: boolean; onSelect: (room: string) => void }) {
  const name = snap.name;
  return (
    <button
      data-testid={testid}
      className={`room-item ${active ? 'active' : ''}`}
      aria-current={active ? 'page' : undefined}
      onClick={() => onSelect(name)}
    >
      <span className={`room-name ${snap.kind}`}>{roomTitle(snap)}</span>
      {snap.kind === 'private' && (
        <span className="room-kind" title="private room" aria-label="private">
          🔒
        </span>
      )}
      {snap.mentions > 0 && !active && (
        <span className="badge badge-mention" data-testid={`mentions-${name}`} aria-label={`${snap.mentions} mentioning you`}>
          @{snap.mentions > 99 ? '99+' : snap.mentions}
        </span>
      )}
      {snap.unread > 0 && !active && (
        <span className="badge" data-testid={`unread-${name}`} aria-label={`${snap.unread} unread`}>
          {snap.unread > 99 ? '99+' : snap.unread}
        </span>
      )}
    </button>
  );
}

/** The user's status text: set (keeping online/away) or clear. */
function StatusEditor() {
  const client = useParley();
  const status = useStatus(client.user);
  const [text, setText] = useState('');
  const save = (t: string) => client.setStatus(status.state, t).catch(() => {});
  return (
    <form
      className="status-editor"
      data-testid="status-editor"
      onSubmit={(e) => {
        e.preventDefault();
        void save(text.trim());
        setText('');
      }}
    >
      <input value={text} maxLength={100} placeholder={status.text || 'Set a status'} aria-label="Status text" onChange={(e) => setText(e.target.value)} />
      {status.text && (
        <button type="button" className="link" data-testid="clear-status" onClick={() => void save('')}>
          Clear
        </button>
      )}
    </form>
  );
}
