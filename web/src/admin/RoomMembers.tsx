import { useActions } from './actions';
import { path, type Api } from './api';
import { LoadState } from './LoadState';
import { Panel } from './Panel';
import { Pager, Table } from './Table';
import type { MembersPage, Role } from './types';
import { countLabel, durationLabel } from './units';
import { useCursor } from './useCursor';
import { usePoll } from './usePoll';

const ROLES: Role[] = ['owner', 'moderator', 'member'];

/** Mute lengths offered (seconds; the server takes 1 s to a year). */
export const MUTE_FOR: [number, string][] = [
  [60, '1 minute'],
  [600, '10 minutes'],
  [3600, '1 hour'],
  [86400, '1 day'],
  [7 * 86400, '1 week'],
];

function MuteLength() {
  return (
    <label className="admin-dialog-field">
      For
      <select name="seconds" defaultValue="600">
        {MUTE_FOR.map(([s, label]) => (
          <option key={s} value={s}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * GET /api/v1/rooms/{room}/members, a page at a time, with the backend's moderation of each
 * member: role, mute and unmute, kick, ban. `direct`: a direct room has no moderation.
 */
export function RoomMembers({ api, room, direct, onChanged }: { api: Api; room: string; direct: boolean; onChanged: () => void }) {
  const pages = useCursor<string>();
  const polled = usePoll(
    () => api.get<MembersPage>(path('rooms', room, 'members'), { after: pages.cursor, limit: 100 }),
    0,
    [room, pages.cursor],
  );
  const { run, busy, feedback } = useActions(() => {
    polled.refresh();
    onChanged();
  });
  const member = (user: string, ...rest: string[]) => path('rooms', room, 'members', user, ...rest);

  const setRole = (user: string, role: Role) =>
    run(
      () => api.put(member(user, 'role'), { role }),
      `${user} is now ${role} of ${room}.`,
      role === 'owner'
        ? { title: `Make ${user} an owner of ${room}?`, body: <p>An owner stays owner: this cannot be taken back.</p>, confirm: 'Make owner' }
        : undefined,
    );
  const mute = (user: string) =>
    run(
      (form) => api.put<{ seconds: number }>(member(user, 'mute'), { seconds: Number(form.get('seconds')) }),
      (r) => `${user} is muted in ${room} for ${MUTE_FOR.find(([n]) => n === r.seconds)?.[1] ?? durationLabel(r.seconds)}.`,
      {
        title: `Mute ${user} in ${room}`,
        body: (
          <>
            <p>Their messages are refused until the mute ends.</p>
            <MuteLength />
          </>
        ),
        confirm: 'Mute',
        danger: true,
      },
    );
  const unmute = (user: string) => run(() => api.del(member(user, 'mute')), `${user} is no longer muted in ${room}.`);
  const kick = (user: string) =>
    run(() => api.post(member(user, 'kick')), `${user} was kicked from ${room}.`, {
      title: `Kick ${user} from ${room}?`,
      body: <p>Their connections leave the room; they may join a public room again.</p>,
      confirm: 'Kick',
      danger: true,
    });
  const ban = (user: string) =>
    run(() => api.put(path('rooms', room, 'bans', user)), `${user} is banned from ${room}.`, {
      title: `Ban ${user} from ${room}?`,
      body: <p>They leave the room and can neither join it nor be added until unbanned.</p>,
      confirm: 'Ban',
      danger: true,
    });

  const moderation = [
    ['Mute', 'secondary', mute],
    ['Unmute', 'secondary', unmute],
    ['Kick', 'danger', kick],
    ['Ban', 'danger', ban],
  ] as const;

  const data = polled.data;
  return (
    <Panel title="Members" onRefresh={polled.refresh}>
      {feedback}
      <LoadState polled={polled} route={`GET /api/v1/rooms/${room}/members`} />
      {data &&
        (data.members.length === 0 ? (
          <p className="empty">No members{pages.page ? ' on this page' : ''}.</p>
        ) : (
          <Table
            caption={`Members of ${room}`}
            columns={['User', 'Role', { label: 'Read up to', num: true }, ...(direct ? [] : ['Moderation'])]}
          >
            {data.members.map((m) => (
              <tr key={m.user} data-testid={`member-${m.user}`}>
                <th scope="row">
                  <a href={`#/users/${encodeURIComponent(m.user)}`}>{m.user}</a>
                </th>
                <td>
                  {direct ? (
                    m.role
                  ) : (
                    <select
                      aria-label={`Role of ${m.user}`}
                      value={m.role}
                      disabled={busy || m.role === 'owner'}
                      onChange={(e) => void setRole(m.user, e.target.value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  )}
                </td>
                <td className="num">{countLabel(m.read_seq)}</td>
                {!direct && (
                  <td>
                    <div className="admin-actions">
                      {moderation.map(([label, className, act]) => (
                        <button
                          key={label}
                          type="button"
                          className={className}
                          aria-label={`${label} ${m.user}`}
                          disabled={busy}
                          onClick={() => void act(m.user)}
                        >
                          {label}
                        </button>
                      ))}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </Table>
        ))}
      <Pager label="Members" pages={pages} next={data?.next} />
    </Panel>
  );
}
