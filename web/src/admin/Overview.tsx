import type { ReactNode } from 'react';
import {
  gaugeSeries,
  latest,
  POLL_MS,
  quantileSeries,
  rateSeries,
  windowQuantile,
  windowRate,
  type MetricsHistory,
  type Reading,
  type Series,
} from './metrics';
import { Panel } from './Panel';
import { byLabel } from './prometheus';
import { Sparkline } from './Sparkline';
import type { Readiness } from './types';
import { countLabel, rateLabel, secondsLabel, sizeLabel } from './units';
import { usePoll } from './usePoll';

interface Health {
  live: boolean;
  ready: Readiness | null;
  error: string;
}

/** GET /healthz and /readyz (no key needed): /readyz answers 503 with the parts that failed. */
async function health(): Promise<Health> {
  const out: Health = { live: false, ready: null, error: '' };
  try {
    out.live = (await fetch('/healthz', { cache: 'no-store' })).ok;
    const res = await fetch('/readyz', { cache: 'no-store' });
    out.ready = (await res.json()) as Readiness;
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e);
  }
  return out;
}

function HealthPanel() {
  const { data } = usePoll(health, POLL_MS, []);
  const ready = data?.ready;
  return (
    <Panel title="Health">
      {!data ? (
        <p className="muted">Asking…</p>
      ) : (
        <dl className="admin-facts">
          <dt>Live (/healthz)</dt>
          <dd data-testid="health-live" className={data.live ? 'ok' : 'bad'}>
            {data.live ? 'ok' : data.error || 'not answering'}
          </dd>
          <dt>Ready (/readyz)</dt>
          <dd data-testid="health-ready" className={ready?.status === 'ready' ? 'ok' : 'bad'}>
            {ready?.status === 'ready' ? 'ready' : ready ? 'not ready' : data.error || 'no answer'}
          </dd>
          {Object.entries(ready?.failed ?? {}).map(([part, why]) => (
            <div key={part} className="admin-failed" role="alert">
              <dt>{part}</dt>
              <dd>{why}</dd>
            </div>
          ))}
        </dl>
      )}
    </Panel>
  );
}

/** One metric: its title, the current value, what it means, and its recent line. */
function MetricCard({
  title,
  shown,
  note,
  series,
  format,
}: {
  title: string;
  shown: string;
  note?: ReactNode;
  series: Series;
  format: (v: number) => string;
}) {
  return (
    <div className="metric-card" role="group" aria-label={title}>
      <h3>{title}</h3>
      <p className="metric-value" data-testid="metric-value">
        {shown}
      </p>
      {note && <p className="metric-note muted">{note}</p>}
      <Sparkline values={series} label={title} format={format} />
    </div>
  );
}

/** The error codes counted within the window kept, most first. */
function recentErrors(readings: Reading[]): string {
  if (readings.length < 2) return '';
  const first = byLabel(readings[0].metrics, 'parley_errors_total', 'code');
  const last = byLabel(readings[readings.length - 1].metrics, 'parley_errors_total', 'code');
  return Object.entries(last)
    .map(([code, n]) => [code, n - (first[code] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
}

const count = (v: number) => countLabel(Math.round(v));

export function Overview({ history }: { history: MetricsHistory }) {
  const { readings, error } = history;
  const span = readings.length > 1 ? Math.round((readings[readings.length - 1].t - readings[0].t) / 1000) : 0;
  const over = span ? `over the last ${span} s` : 'since the server started';
  const connections = gaugeSeries(readings, 'parley_connections');
  const streams = latest(gaugeSeries(readings, 'parley_stream_connections'));
  const queue = gaugeSeries(readings, 'parley_outbound_queue_bytes');
  const pending = gaugeSeries(readings, 'parley_webhook_pending');
  const dead = latest(gaugeSeries(readings, 'parley_webhook_dead'));
  const p50 = windowQuantile(readings, 'parley_delivery_latency_seconds', 0.5);
  const p99 = windowQuantile(readings, 'parley_delivery_latency_seconds', 0.99);
  const errors = recentErrors(readings);
  return (
    <div className="admin-view">
      <HealthPanel />
      <Panel title="Metrics">
        <p className="muted admin-hint">
          This node's /metrics, read every {POLL_MS / 1000} s; rates and latency {over}.
        </p>
        {error && (
          <p className="error" role="alert">
            Cannot read /metrics: {error}
          </p>
        )}
        {readings.length > 0 && (
          <div className="metric-grid">
            <MetricCard
              title="Connections"
              shown={countLabel(latest(connections) ?? 0)}
              note={streams ? `${countLabel(streams)} on the fallback transport` : 'WebSockets and event streams'}
              series={connections}
              format={count}
            />
            <MetricCard
              title="Messages in"
              shown={rateLabel(windowRate(readings, 'parley_messages_in_total'))}
              note="message commands and API publishes"
              series={rateSeries(readings, 'parley_messages_in_total')}
              format={rateLabel}
            />
            <MetricCard
              title="Messages out"
              shown={rateLabel(windowRate(readings, 'parley_messages_out_total'))}
              note={`frames of any kind: ${rateLabel(windowRate(readings, 'parley_frames_out_total'))}`}
              series={rateSeries(readings, 'parley_messages_out_total')}
              format={rateLabel}
            />
            <MetricCard
              title="Delivery latency"
              shown={p50 === undefined ? 'no deliveries' : `p50 ${secondsLabel(p50)} · p99 ${secondsLabel(p99)}`}
              note="estimated from the histogram's buckets; the line: p99 per interval"
              series={quantileSeries(readings, 'parley_delivery_latency_seconds', 0.99)}
              format={secondsLabel}
            />
            <MetricCard
              title="Errors"
              shown={rateLabel(windowRate(readings, 'parley_errors_total'))}
              note={errors || 'no error frames sent'}
              series={rateSeries(readings, 'parley_errors_total')}
              format={rateLabel}
            />
            <MetricCard
              title="Outbound queues"
              shown={sizeLabel(latest(queue) ?? 0)}
              note="bytes waiting to be written to connections"
              series={queue}
              format={sizeLabel}
            />
            <MetricCard
              title="Webhooks"
              shown={`${countLabel(latest(pending) ?? 0)} pending · ${countLabel(dead ?? 0)} dead`}
              note="deliveries waiting, and given up (replay them under Webhooks)"
              series={pending}
              format={count}
            />
          </div>
        )}
      </Panel>
    </div>
  );
}
