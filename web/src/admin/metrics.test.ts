import { expect, test } from 'vitest';
import { gaugeSeries, latest, quantileSeries, rateSeries, windowQuantile, windowRate, type Reading } from './metrics';
import { parsePrometheus } from './prometheus';
import { parseRoute } from './route';

/** A reading at `t` ms of a gauge, a counter and a two-bucket histogram. */
function reading(t: number, connections: number, messages: number, fast: number, slow: number): Reading {
  const text = `# TYPE parley_connections gauge
parley_connections ${connections}
# TYPE parley_messages_in_total counter
parley_messages_in_total ${messages}
# TYPE lat histogram
lat_bucket{le="0.01"} ${fast}
lat_bucket{le="1"} ${fast + slow}
lat_bucket{le="+Inf"} ${fast + slow}
`;
  return { t, metrics: parsePrometheus(text) };
}

const readings = [reading(0, 2, 100, 10, 0), reading(2000, 3, 110, 10, 10), reading(4000, 1, 130, 20, 10)];

test('gauges as read, counters as rates between readings and over the window', () => {
  expect(gaugeSeries(readings, 'parley_connections')).toEqual([2, 3, 1]);
  expect(rateSeries(readings, 'parley_messages_in_total')).toEqual([5, 10]);
  expect(windowRate(readings, 'parley_messages_in_total')).toBe(7.5);
  expect(windowRate(readings.slice(0, 1), 'parley_messages_in_total')).toBeUndefined();
  expect(latest([1, undefined])).toBe(1);
});

test('latency quantiles per interval and over the window', () => {
  // First interval: 10 slow observations; second: 10 fast ones.
  const p50 = quantileSeries(readings, 'lat', 0.5);
  expect(p50[0]).toBeCloseTo(0.01 + 0.99 * 0.5);
  expect(p50[1]).toBeCloseTo(0.005);
  // The window: 10 fast, 10 slow; one reading: since the start.
  expect(windowQuantile(readings, 'lat', 0.5)).toBeCloseTo(0.01);
  expect(windowQuantile(readings.slice(0, 1), 'lat', 0.5)).toBeCloseTo(0.005);
  expect(windowQuantile([], 'lat', 0.5)).toBeUndefined();
});

test('the console routes in the hash', () => {
  expect(parseRoute('')).toEqual({ view: 'overview', name: undefined });
  expect(parseRoute('#/rooms/dm-3f%2Dx')).toEqual({ view: 'rooms', name: 'dm-3f-x' });
  expect(parseRoute('#/users/alice')).toEqual({ view: 'users', name: 'alice' });
  expect(parseRoute('#/nowhere')).toEqual({ view: 'overview', name: undefined });
  expect(parseRoute('#/rooms/%E0%A4%A')).toEqual({ view: 'rooms', name: undefined });
});
