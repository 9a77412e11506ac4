import { useState } from 'react';
import { useActions } from './actions';
import { path, type Api } from './api';
import { LoadState } from './LoadState';
import { Panel } from './Panel';
import { Pager, Table } from './Table';
import type { DeliveriesPage, Delivery, DeliveryState, WebhookEndpoint } from './types';
import { agoLabel, countLabel, dateTimeLabel } from './units';
import { useCursor } from './useCursor';
import { usePoll } from './usePoll';

const POLL_MS = 5000;
const STATES: DeliveryState[] = ['pending', 'delivered', 'dead'];

type Replay = (body: { endpoint?: string; seqs?: number[] }, what: string) => Promise<boolean>;

function Endpoints({ endpoints, replay, busy }: { endpoints: WebhookEndpoint[]; replay: Replay; busy: boolean }) {
  if (endpoints.length === 0) return <p className="empty">No webhook endpoints are configured (webhooks in the configuration).</p>;
  return (
    <Table
      caption="Webhook endpoints"
      columns={[
        'Endpoint',
        'URL',
        'Event types',
        { label: 'Pending', num: true },
        { label: 'Dead', num: true },
        'Oldest pending',
        { label: 'Actions', hidden: true },
      ]}
    >
      {endpoints.map((e) => (
        <tr key={e.name} data-testid={`endpoint-${e.name}`}>
          <th scope="row">{e.name}</th>
          <td className="admin-text">{e.url}</td>
          <td>{e.types.length ? e.types.join(', ') : 'every type'}</td>
          <td className="num">{countLabel(e.pending)}</td>
          <td className="num" data-testid="endpoint-dead">
            {countLabel(e.dead)}
          </td>
          <td>{e.oldest_pending_ms ? agoLabel(e.oldest_pending_ms) : '—'}</td>
          <td>
            {e.dead > 0 && (
              <button
                type="button"
                className="secondary"
                disabled={busy}
                aria-label={`Replay the dead deliveries of ${e.name}`}
                onClick={() => void replay({ endpoint: e.name }, `the ${countLabel(e.dead)} dead deliveries of ${e.name}`)}
              >
                Replay dead
              </button>
            )}
          </td>
        </tr>
      ))}
    </Table>
  );
}

function DeliveryRow({ d, replay, busy }: { d: Delivery; replay: Replay; busy: boolean }) {
  return (
    <tr data-testid={`delivery-${d.endpoint}-${d.seq}`}>
      <td className="num">{d.seq}</td>
      <td>{d.endpoint}</td>
      <td>{d.type}</td>
      <td className={`state-${d.state}`} data-testid="delivery-state">
        {d.state}
      </td>
      <td className="num">{d.attempts}</td>
      <td className="nowrap">{dateTimeLabel(d.created_ms)}</td>
      <td className="admin-text">
        {d.last_error ?? ''}
        {d.state === 'pending' && d.next_ms ? <span className="muted"> next try {dateTimeLabel(d.next_ms)}</span> : null}
        {d.event !== undefined && (
          <details>
            <summary>Event {d.id}</summary>
            <pre>{JSON.stringify(d.event, null, 2)}</pre>
          </details>
        )}
      </td>
      <td>
        {d.state === 'dead' && (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            aria-label={`Replay delivery ${d.seq} to ${d.endpoint}`}
            onClick={() => void replay({ endpoint: d.endpoint, seqs: [d.seq] }, `delivery ${d.seq} (${d.type}) to ${d.endpoint}`)}
          >
            Replay
          </button>
        )}
      </td>
    </tr>
  );
}

/** GET /api/v1/webhooks and …/deliveries (by state and endpoint, newest first, paged); replay dead ones. */
export function Webhooks({ api }: { api: Api }) {
  const [state, setState] = useState<DeliveryState | ''>('');
  const [endpoint, setEndpoint] = useState('');
  const pages = useCursor<number>();
  const endpoints = usePoll(() => api.get<{ endpoints: WebhookEndpoint[] }>(path('webhooks')), POLL_MS, []);
  const deliveries = usePoll(
    () => api.get<DeliveriesPage>(path('webhooks', 'deliveries'), { state, endpoint, before: pages.cursor, limit: 50 }),
    POLL_MS,
    [state, endpoint, pages.cursor],
  );
  const { run, busy, feedback } = useActions(() => {
    endpoints.refresh();
    deliveries.refresh();
  });
  const replay: Replay = (body, what) =>
    run(() => api.post<{ replayed: number }>(path('webhooks', 'deliveries', 'replay'), body), (r) => `Replayed ${countLabel(r.replayed)}.`, {
      title: 'Replay dead deliveries?',
      body: <p>Sends {what} again, attempts counted from zero. Receivers deduplicate by the webhook-id header.</p>,
      confirm: 'Replay',
    });
  const filter = (apply: () => void) => {
    pages.first();
    apply();
  };
  const page = deliveries.data;
  return (
    <div className="admin-view">
      <Panel
        title="Webhook endpoints"
        actions={
          <button
            type="button"
            className="secondary"
            disabled={busy || !endpoints.data?.endpoints.some((e) => e.dead > 0)}
            onClick={() => void replay({}, 'every dead delivery')}
          >
            Replay all dead
          </button>
        }
      >
        {feedback}
        <LoadState polled={endpoints} route="GET /api/v1/webhooks" />
        {endpoints.data && <Endpoints endpoints={endpoints.data.endpoints} replay={replay} busy={busy} />}
      </Panel>
      <Panel title="Deliveries" onRefresh={deliveries.refresh}>
        <div className="admin-filters">
          <label className="admin-inline">
            State
            <select value={state} onChange={(e) => filter(() => setState(e.target.value as DeliveryState | ''))}>
              <option value="">any</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="admin-inline">
            Endpoint
            <select value={endpoint} onChange={(e) => filter(() => setEndpoint(e.target.value))}>
              <option value="">any</option>
              {endpoints.data?.endpoints.map((e) => (
                <option key={e.name} value={e.name}>
                  {e.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <LoadState polled={deliveries} route="GET /api/v1/webhooks/deliveries" />
        {page &&
          (page.deliveries.length === 0 ? (
            <p className="empty">No deliveries{state ? ` ${state}` : ''}.</p>
          ) : (
            <Table
              caption="Webhook deliveries, newest first"
              columns={[
                { label: 'Seq', num: true },
                'Endpoint',
                'Type',
                'State',
                { label: 'Attempts', num: true },
                'Created',
                'Last error, event',
                { label: 'Actions', hidden: true },
              ]}
            >
              {page.deliveries.map((d) => (
                <DeliveryRow key={`${d.endpoint}/${d.seq}`} d={d} replay={replay} busy={busy} />
              ))}
            </Table>
          ))}
        <Pager label="Deliveries" pages={pages} next={page?.next_before} />
      </Panel>
    </div>
  );
}
