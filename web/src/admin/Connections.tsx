import { useState } from 'react';
import { path, type Api } from './api';
import { LoadState } from './LoadState';
import { Panel } from './Panel';
import { Table } from './Table';
import type { ConnectionsPage } from './types';
import { countLabel } from './units';
import { usePoll } from './usePoll';

const LIMITS = [100, 500, 1000];

function Total({ data, limit }: { data: ConnectionsPage; limit: number }) {
  const users = data.users_total;
  const cut = users !== undefined ? users > data.users.length : data.users.length === limit;
  return (
    <p data-testid="connections-total">
      <strong>{countLabel(data.total)}</strong> connection{data.total === 1 ? '' : 's'}
      {users !== undefined && ` of ${countLabel(users)} user${users === 1 ? '' : 's'}`} on node <code>{data.node}</code>
      {cut ? ` (the first ${countLabel(data.users.length)} users shown)` : ''}
    </p>
  );
}

/** GET /api/v1/connections: this node's open WebSocket and event-stream connections, by user. */
export function Connections({ api }: { api: Api }) {
  const [limit, setLimit] = useState(100);
  const polled = usePoll(() => api.get<ConnectionsPage>(path('connections'), { limit }), 5000, [limit]);
  const data = polled.data;
  return (
    <div className="admin-view">
      <Panel title="Connections" onRefresh={polled.refresh}>
        <p className="muted admin-hint">
          The users connected to this node (WebSockets and fallback event streams), in name order; read every 5 s. In a
          cluster each node answers for its own connections.
        </p>
        <label className="admin-inline">
          Users shown
          <select value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {LIMITS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <LoadState polled={polled} route="GET /api/v1/connections" />
        {data && <Total data={data} limit={limit} />}
        {data &&
          (data.users.length === 0 ? (
            <p className="empty">Nobody is connected to this node.</p>
          ) : (
            <Table caption="Connected users" columns={['User', { label: 'Connections', num: true }]}>
              {data.users.map((u) => (
                <tr key={u.user}>
                  <th scope="row">
                    <a href={`#/users/${encodeURIComponent(u.user)}`}>{u.user}</a>
                  </th>
                  <td className="num">{countLabel(u.connections)}</td>
                </tr>
              ))}
            </Table>
          ))}
      </Panel>
    </div>
  );
}
