import { useActions } from './actions';
import { path, type Api } from './api';
import { LoadState } from './LoadState';
import { Panel } from './Panel';
import { Pager, Table } from './Table';
import type { HistoryEntry, HistoryPage } from './types';
import { dateTimeLabel } from './units';
import { useCursor } from './useCursor';
import { usePoll } from './usePoll';

const PAGE = 50;

function author(m: HistoryEntry): string {
  return m.system ? 'system' : (m.user ?? '');
}

function text(m: HistoryEntry): string {
  if (m.deleted) return 'deleted';
  const files = m.attachments?.length ? ` [${m.attachments.length} file${m.attachments.length > 1 ? 's' : ''}]` : '';
  return (m.text ?? '') + files;
}

/**
 * GET /api/v1/rooms/{room}/messages: the newest page, then older ones (`before` the oldest
 * seq shown), the messages only (edits, deletions and reactions are applied to them already);
 * DELETE …/messages/{seq} deletes one. `refreshKey`: changes when the room changed elsewhere.
 */
export function RoomHistory({ api, room, refreshKey }: { api: Api; room: string; refreshKey: number }) {
  const pages = useCursor<number>();
  const polled = usePoll(
    () => api.get<HistoryPage>(path('rooms', room, 'messages'), { before: pages.cursor, limit: PAGE }),
    0,
    [room, pages.cursor, refreshKey],
  );
  const { run, busy, feedback } = useActions(polled.refresh);
  const remove = (m: HistoryEntry) =>
    run(() => api.del(path('rooms', room, 'messages', m.seq)), `Message ${m.seq} was deleted.`, {
      title: `Delete message ${m.seq}?`,
      body: (
        <p>
          {author(m)}: “{text(m)}” — everyone sees it deleted; a thread's replies stay, its files stop being served.
        </p>
      ),
      confirm: 'Delete',
      danger: true,
    });

  const data = polled.data;
  const messages = (data?.messages ?? []).filter((m) => !m.kind);
  const oldest = data?.messages[0]?.seq;
  return (
    <Panel title="Recent messages" onRefresh={polled.refresh}>
      {feedback}
      <LoadState polled={polled} route={`GET /api/v1/rooms/${room}/messages`} />
      {data &&
        (messages.length === 0 ? (
          <p className="empty">No messages{pages.page ? ' before these' : ''}.</p>
        ) : (
          <Table
            caption={`Messages of ${room}`}
            className="admin-history"
            columns={[{ label: 'Seq', num: true }, 'Sent', 'From', 'Text', { label: 'Actions', hidden: true }]}
          >
            {messages.map((m) => (
              <tr key={m.seq} data-testid={`message-${m.seq}`} className={m.deleted ? 'deleted' : undefined}>
                <td className="num">{m.seq}</td>
                <td className="nowrap">{dateTimeLabel(m.ts)}</td>
                <td className={m.system ? 'muted' : undefined}>{author(m)}</td>
                <td className="admin-text">
                  {text(m)}
                  {m.edited_ts && !m.deleted ? <span className="muted"> (edited)</span> : null}
                </td>
                <td>
                  {!m.deleted && (
                    <button
                      type="button"
                      className="link danger"
                      aria-label={`Delete message ${m.seq}`}
                      disabled={busy}
                      onClick={() => void remove(m)}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        ))}
      <Pager label="Messages" pages={pages} next={data?.has_more ? oldest : undefined} />
    </Panel>
  );
}
