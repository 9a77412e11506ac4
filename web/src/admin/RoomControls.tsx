import { useState, type FormEvent } from 'react';
import { useActions } from './actions';
import { path, type Api } from './api';
import { Panel } from './Panel';
import type { RoomInfo } from './types';

/**
 * The room-wide actions of the backend: slow mode, a system message, adding a member, and
 * banning or unbanning by name (a banned user is no member, so not in the roster).
 */
export function RoomControls({ api, info, onChanged }: { api: Api; info: RoomInfo; onChanged: () => void }) {
  const room = info.room;
  const direct = info.kind === 'direct';
  const { run, busy, feedback } = useActions(onChanged);
  const [slow, setSlow] = useState(String(info.slow_mode_s));
  const [notice, setNotice] = useState('');
  const [user, setUser] = useState('');

  const submit = (e: FormEvent, action: () => Promise<boolean>, reset?: () => void) => {
    e.preventDefault();
    void action().then((ok) => ok && reset?.());
  };
  const name = user.trim().toLowerCase();

  return (
    <Panel title="Room actions" className="admin-forms">
      {feedback}
      {!direct && (
        <form
          className="admin-form"
          aria-label="Slow mode"
          onSubmit={(e) =>
            submit(e, () =>
              run(
                () => api.put<{ slow_mode_s: number }>(path('rooms', room, 'slow_mode'), { seconds: Number(slow) }),
                (r) => (r.slow_mode_s ? `Slow mode is ${r.slow_mode_s} s.` : 'Slow mode is off.'),
              ),
            )
          }
        >
          <label>
            Slow mode (seconds between a member's messages, 0: off)
            <input type="number" min={0} max={21600} value={slow} onChange={(e) => setSlow(e.target.value)} required />
          </label>
          <button type="submit" disabled={busy}>
            Set slow mode
          </button>
        </form>
      )}
      <form
        className="admin-form"
        aria-label="System message"
        onSubmit={(e) =>
          submit(
            e,
            () =>
              run(
                () => api.post<{ seq: number }>(path('rooms', room, 'messages'), { system: true, text: notice }),
                (r) => `Published as message ${r.seq}.`,
              ),
            () => setNotice(''),
          )
        }
      >
        <label>
          System message
          <textarea rows={2} value={notice} onChange={(e) => setNotice(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy}>
          Publish
        </button>
      </form>
      {!direct && (
        <form className="admin-form" aria-label="A user" onSubmit={(e) => e.preventDefault()}>
          <label>
            User name
            <input value={user} onChange={(e) => setUser(e.target.value)} pattern="[a-z0-9_]{1,32}" />
          </label>
          <div className="admin-actions">
            <button
              type="button"
              className="secondary"
              disabled={busy || !name}
              onClick={() => void run(() => api.put(path('rooms', room, 'members', name)), `${name} is a member of ${room}.`)}
            >
              Add member
            </button>
            <button
              type="button"
              className="danger"
              disabled={busy || !name}
              onClick={() =>
                void run(() => api.put(path('rooms', room, 'bans', name)), `${name} is banned from ${room}.`, {
                  title: `Ban ${name} from ${room}?`,
                  body: <p>A member leaves the room; nobody of that name can join it or be added until unbanned.</p>,
                  confirm: 'Ban',
                  danger: true,
                })
              }
            >
              Ban
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy || !name}
              onClick={() => void run(() => api.del(path('rooms', room, 'bans', name)), `${name} is no longer banned from ${room}.`)}
            >
              Unban
            </button>
          </div>
        </form>
      )}
    </Panel>
  );
}
