// The console's view of /metrics: the last samples polled, and the series the overview draws
// from them (gauges as read, counters as per-second rates, latency quantiles per interval).
import { useEffect, useState } from 'react';
import { buckets, bucketsDelta, parsePrometheus, quantile, rate, value, type Metrics } from './prometheus';

export const POLL_MS = 3000;
/** Samples kept: 3 minutes at POLL_MS. */
export const KEEP = 60;

export interface Reading {
  /** When it was read (ms). */
  t: number;
  metrics: Metrics;
}

export interface MetricsHistory {
  readings: Reading[];
  /** Why the last poll failed, if it did. */
  error: string;
}

/** Polls GET /metrics (no key needed) every POLL_MS while mounted, keeping the last KEEP readings. */
export function useMetricsHistory(): MetricsHistory {
  const [history, setHistory] = useState<MetricsHistory>({ readings: [], error: '' });
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const res = await fetch('/metrics', { cache: 'no-store' });
        if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
        const metrics = parsePrometheus(await res.text());
        if (live) setHistory((h) => ({ readings: [...h.readings, { t: Date.now(), metrics }].slice(-KEEP), error: '' }));
      } catch (e) {
        if (live) setHistory((h) => ({ ...h, error: e instanceof Error ? e.message : String(e) }));
      } finally {
        if (live) timer = setTimeout(poll, POLL_MS);
      }
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);
  return history;
}

export type Series = (number | undefined)[];

/** A gauge (or any series) as read, one value per reading. */
export function gaugeSeries(readings: Reading[], name: string): Series {
  return readings.map((r) => value(r.metrics, name));
}

/** A counter's per-second rate between consecutive readings (one fewer than the readings). */
export function rateSeries(readings: Reading[], name: string): Series {
  return readings.slice(1).map((r, i) => rate(value(readings[i].metrics, name), value(r.metrics, name), (r.t - readings[i].t) / 1000));
}

/** The `q`-quantile of histogram `name` over each interval between readings (undefined: no observations). */
export function quantileSeries(readings: Reading[], name: string, q: number): Series {
  return readings
    .slice(1)
    .map((r, i) => quantile(q, bucketsDelta(buckets(r.metrics, name), buckets(readings[i].metrics, name))));
}

/**
 * The `q`-quantile over the whole window kept (the newest reading less the oldest), or since
 * the process started while there is one reading.
 */
export function windowQuantile(readings: Reading[], name: string, q: number): number | undefined {
  const last = readings.at(-1);
  if (!last) return undefined;
  const now = buckets(last.metrics, name);
  return quantile(q, readings.length > 1 ? bucketsDelta(now, buckets(readings[0].metrics, name)) : now);
}

/** The counter's rate over the whole window; undefined with fewer than two readings. */
export function windowRate(readings: Reading[], name: string): number | undefined {
  if (readings.length < 2) return undefined;
  const first = readings[0];
  const last = readings[readings.length - 1];
  return rate(value(first.metrics, name), value(last.metrics, name), (last.t - first.t) / 1000);
}

/** The last defined value of a series. */
export function latest(series: Series): number | undefined {
  for (let i = series.length - 1; i >= 0; i--) if (series[i] !== undefined) return series[i];
  return undefined;
}
