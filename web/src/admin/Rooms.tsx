import { useRef, useState, type FormEvent } from 'react';
import { useActions } from './actions';
import { path, type Api } from './api';
import { LoadState } from './LoadState';
import { Panel } from './Panel';
import { Pager, Table } from './Table';
import type { RoomsPage, RoomSummary } from './types';
import { countLabel, durationLabel } from './units';
import { useCursor } from './useCursor';
import { usePoll } from './usePoll';

const POLL_MS = 5000;
/** The live rate is taken over about this long. */
const RATE_WINDOW_MS = 60_000;

type Seen = Map<string, { t: number; seq: number }[]>;

/**
 * Each room's entries per minute from the last_seq of the polls within the last minute (every
 * entry of the room's stream counts: messages, edits, deletions, reactions).
 */
function liveRates(seen: Seen, rooms: RoomSummary[], now: number): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  for (const r of rooms) {
    const marks = (seen.get(r.room) ?? []).filter((m) => now - m.t <= RATE_WINDOW_MS + POLL_MS);
    if (marks.at(-1)?.t !== now) marks.push({ t: now, seq: r.last_seq });
    seen.set(r.room, marks);
    const first = marks[0];
    const dt = now - first.t;
    out.set(r.room, dt > 0 ? (Math.max(0, r.last_seq - first.seq) * 60_000) / dt : undefined);
  }
  return out;
}

function CreateRoom({ api, onCreated }: { api: Api; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'public' | 'private'>('public');
  const { run, busy, feedback } = useActions(onCreated);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const room = name.trim().toLowerCase();
    const ok = await run(
      () => api.post<{ created: boolean }>(path('rooms'), { room, kind }),
      (r) => (r.created ? `Created ${kind} room ${room}.` : `Room ${room} existed already (its kind is unchanged).`),
    );
    if (ok) setName('');
  }
  return (
    <form className="admin-form" onSubmit={submit} aria-labelledby="create-room-heading">
      <h3 id="create-room-heading">Create a room</h3>
      <label>
        Room name
        <input value={name} onChange={(e) => setName(e.target.value)} pattern="[a-z0-9][a-z0-9_\-]{0,63}" required />
      </label>
      <label>
        Kind
        <select value={kind} onChange={(e) => setKind(e.target.value as 'public' | 'private')}>
          <option value="public">public</option>
          <option value="private">private</option>
        </select>
      </label>
      <button type="submit" disabled={busy}>
        Create room
      </button>
      {feedback}
    </form>
  );
}

function OpenRoom() {
  const [name, setName] = useState('');
  return (
    <form
      className="admin-form"
      aria-labelledby="open-room-heading"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) window.location.hash = `#/rooms/${encodeURIComponent(name.trim().toLowerCase())}`;
      }}
    >
      <h3 id="open-room-heading">Open a room by name</h3>
      <label>
        Room
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <button type="submit" className="secondary">
        Open
      </button>
    </form>
  );
}

/** GET /api/v1/rooms: every room in name order, a page at a time, with its traffic; create one. */
export function Rooms({ api }: { api: Api }) {
  const pages = useCursor<string>();
  const seen = useRef<Seen>(new Map());
  const rates = useRef(new Map<string, number | undefined>());
  const polled = usePoll(
    async () => {
      const page = await api.get<RoomsPage>(path('rooms'), { after: pages.cursor, limit: 100 });
      rates.current = liveRates(seen.current, page.rooms, Date.now());
      return page;
    },
    POLL_MS,
    [pages.cursor],
  );
  const data = polled.data;
  return (
    <div className="admin-view">
      <Panel title="Rooms" onRefresh={polled.refresh}>
        <p className="muted admin-hint">
          In name order, 100 a page, read every {POLL_MS / 1000} s. Live: entries of the room's stream per minute
          (messages, edits, deletions, reactions) since this page has been open, up to the last minute.
        </p>
        <LoadState polled={polled} route="GET /api/v1/rooms" />
        {data &&
          (data.rooms.length === 0 ? (
            <p className="empty">No rooms{pages.page ? ' on this page' : ' yet'}.</p>
          ) : (
            <Table
              caption="Rooms"
              columns={[
                'Room',
                'Kind',
                { label: 'Members', num: true },
                { label: 'Last seq', num: true },
                { label: 'Messages, last hour', num: true },
                { label: 'Live per min', num: true },
                'Slow mode',
              ]}
            >
              {data.rooms.map((r) => {
                const live = rates.current.get(r.room);
                return (
                  <tr key={r.room} data-testid={`room-row-${r.room}`}>
                    <th scope="row">
                      <a href={`#/rooms/${encodeURIComponent(r.room)}`}>{r.room}</a>
                    </th>
                    <td>{r.kind}</td>
                    <td className="num" data-testid="room-members">
                      {countLabel(r.members)}
                    </td>
                    <td className="num">{countLabel(r.last_seq)}</td>
                    <td className="num">{countLabel(r.messages_last_hour)}</td>
                    <td className="num">{live === undefined ? '—' : live.toFixed(1)}</td>
                    <td>{r.slow_mode_s ? durationLabel(r.slow_mode_s) : 'off'}</td>
                  </tr>
                );
              })}
            </Table>
          ))}
        <Pager label="Rooms" pages={pages} next={data?.next} />
      </Panel>
      <section className="admin-panel admin-forms">
        <CreateRoom api={api} onCreated={polled.refresh} />
        <OpenRoom />
      </section>
    </div>
  );
}
