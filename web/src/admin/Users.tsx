import { useState } from 'react';
import { useActions } from './actions';
import { path, type Api } from './api';
import { LoadState } from './LoadState';
import { Panel } from './Panel';
import { Table } from './Table';
import type { Standing, UserRoom } from './types';
import { countLabel, dateTimeLabel } from './units';
import { usePoll } from './usePoll';

function Lookup({ initial }: { initial: string }) {
  const [name, setName] = useState(initial);
  return (
    <form
      className="admin-form admin-lookup"
      aria-label="Look up a user"
      onSubmit={(e) => {
        e.preventDefault();
        const user = name.trim().toLowerCase();
        if (user) window.location.hash = `#/users/${encodeURIComponent(user)}`;
      }}
    >
      <label>
        User name
        <input value={name} onChange={(e) => setName(e.target.value)} autoCapitalize="none" spellCheck={false} required />
      </label>
      <button type="submit">Look up</button>
    </form>
  );
}

function StandingPanel({ api, user, standing, onChanged }: { api: Api; user: string; standing: Standing; onChanged: () => void }) {
  const { run, busy, feedback } = useActions(onChanged);
  const change = (action: 'disable' | 'enable' | 'revoke') =>
    run(
      () => api.post<Standing>(path('users', user, action)),
      action === 'enable' ? `${user} is enabled.` : action === 'disable' ? `${user} is disabled.` : `Every token of ${user} is revoked.`,
      action === 'enable'
        ? undefined
        : action === 'disable'
          ? {
              title: `Disable ${user}?`,
              body: <p>Their connections close (4003), logins and new tokens are refused until enabled again.</p>,
              confirm: 'Disable',
              danger: true,
            }
          : {
              title: `Revoke every token of ${user}?`,
              body: <p>Every token signed so far is refused and their connections close (4001); they log in again.</p>,
              confirm: 'Revoke tokens',
              danger: true,
            },
    );
  return (
    <Panel title={`User ${user}`}>
      {feedback}
      <dl className="admin-facts" data-testid="standing">
        <dt>Account</dt>
        <dd>{standing.account ? `yes, since ${dateTimeLabel(standing.created_ms ?? 0)}` : 'no (known from tokens only)'}</dd>
        <dt>State</dt>
        <dd data-testid="user-state">{standing.deleted ? 'deleted' : standing.disabled ? 'disabled' : 'active'}</dd>
        <dt>Token version</dt>
        <dd>{standing.token_version}</dd>
      </dl>
      {!standing.deleted && (
        <div className="admin-actions">
          {standing.disabled ? (
            <button type="button" disabled={busy} onClick={() => void change('enable')}>
              Enable
            </button>
          ) : (
            <button type="button" className="danger" disabled={busy} onClick={() => void change('disable')}>
              Disable
            </button>
          )}
          <button type="button" className="danger" disabled={busy} onClick={() => void change('revoke')}>
            Revoke tokens
          </button>
        </div>
      )}
    </Panel>
  );
}

function UserRooms({ rooms }: { rooms: UserRoom[] }) {
  if (rooms.length === 0) return <p className="empty">In no rooms.</p>;
  return (
    <Table
      caption="Rooms of the user"
      columns={['Room', 'Kind', 'Role', { label: 'Read / last seq', num: true }, 'Muted until']}
    >
      {rooms.map((r) => (
        <tr key={r.room}>
          <th scope="row">
            <a href={`#/rooms/${encodeURIComponent(r.room)}`}>{r.room}</a>
            {r.with && <span className="muted"> with {r.with}</span>}
          </th>
          <td>{r.kind}</td>
          <td>{r.role}</td>
          <td className="num">
            {countLabel(r.read_seq)} / {countLabel(r.last_seq)}
          </td>
          <td>{r.muted_until && r.muted_until > Date.now() ? dateTimeLabel(r.muted_until) : '—'}</td>
        </tr>
      ))}
    </Table>
  );
}

/** Look a user up: their standing (GET /api/v1/users/{user}), rooms, and disable, enable, revoke. */
export function Users({ api, user }: { api: Api; user?: string }) {
  const standing = usePoll(() => (user ? api.get<Standing>(path('users', user)) : Promise.resolve(undefined)), 0, [user]);
  const rooms = usePoll(
    () => (user ? api.get<{ rooms: UserRoom[] }>(path('users', user, 'rooms')) : Promise.resolve(undefined)),
    0,
    [user],
  );
  const refresh = () => {
    standing.refresh();
    rooms.refresh();
  };
  return (
    <div className="admin-view">
      <Panel title="Users">
        <Lookup key={user ?? ''} initial={user ?? ''} />
      </Panel>
      {user && (
        <>
          <LoadState polled={standing} route={`GET /api/v1/users/${user}`} />
          {standing.data && <StandingPanel api={api} user={user} standing={standing.data} onChanged={refresh} />}
          <Panel title={`Rooms of ${user}`}>
            <LoadState polled={rooms} route={`GET /api/v1/users/${user}/rooms`} />
            {rooms.data && <UserRooms rooms={rooms.data.rooms} />}
          </Panel>
        </>
      )}
    </div>
  );
}
