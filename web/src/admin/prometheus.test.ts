import { describe, expect, test } from 'vitest';
import { buckets, bucketsDelta, byLabel, parsePrometheus, quantile, rate, value } from './prometheus';

// A piece of what parleyd's /metrics answers, with the cases the format allows besides.
const TEXT = `# HELP parley_connections Connections open now (WebSocket and event streams).
# TYPE parley_connections gauge
parley_connections 3
# HELP parley_messages_in_total Chat messages received.
# TYPE parley_messages_in_total counter
parley_messages_in_total 120
# TYPE parley_errors_total counter
parley_errors_total{code="bad_request"} 2
parley_errors_total{code="rate_limited"} 5
parley_errors_total{ code="other" , } 0
# TYPE parley_delivery_latency_seconds histogram
parley_delivery_latency_seconds_bucket{le="0.001"} 10
parley_delivery_latency_seconds_bucket{le="0.01"} 90
parley_delivery_latency_seconds_bucket{le="0.1"} 100
parley_delivery_latency_seconds_bucket{le="+Inf"} 100
parley_delivery_latency_seconds_sum 0.5
parley_delivery_latency_seconds_count 100
# a comment that is neither HELP nor TYPE
odd_metric{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb"} 1.5e3 1710000000000
not_a_number NaN
minus -Inf
`;

describe('parsePrometheus', () => {
  const m = parsePrometheus(TEXT);

  test('reads types, help and samples into families', () => {
    expect(m.families.get('parley_connections')).toMatchObject({ type: 'gauge', samples: [{ value: 3 }] });
    expect(m.families.get('parley_messages_in_total')?.help).toBe('Chat messages received.');
    const h = m.families.get('parley_delivery_latency_seconds');
    expect(h?.type).toBe('histogram');
    expect(h?.samples.map((s) => s.name)).toEqual([
      ...Array(4).fill('parley_delivery_latency_seconds_bucket'),
      'parley_delivery_latency_seconds_sum',
      'parley_delivery_latency_seconds_count',
    ]);
  });

  test('labels: escapes, spaces and a trailing comma; a timestamp is dropped', () => {
    expect(m.families.get('odd_metric')?.samples[0]).toEqual({
      name: 'odd_metric',
      labels: { path: 'C:\\dir', quote: 'say "hi"', nl: 'a\nb' },
      value: 1500,
    });
    expect(value(m, 'parley_errors_total', { code: 'other' })).toBe(0);
  });

  test('special values', () => {
    expect(value(m, 'not_a_number')).toBeNaN();
    expect(value(m, 'minus')).toBe(-Infinity);
    expect(buckets(m, 'parley_delivery_latency_seconds').at(-1)?.le).toBe(Infinity);
  });

  test('a line it cannot read is an error', () => {
    expect(() => parsePrometheus('parley_x{code="a} 1')).toThrow();
    expect(() => parsePrometheus('parley_x')).toThrow();
    expect(() => parsePrometheus('parley_x one')).toThrow();
  });

  test('value sums over labels, or picks by them; undefined when absent', () => {
    expect(value(m, 'parley_errors_total')).toBe(7);
    expect(value(m, 'parley_errors_total', { code: 'rate_limited' })).toBe(5);
    expect(value(m, 'parley_nothing')).toBeUndefined();
    expect(byLabel(m, 'parley_errors_total', 'code')).toEqual({ bad_request: 2, rate_limited: 5, other: 0 });
  });
});

describe('quantile', () => {
  const bs = buckets(parsePrometheus(TEXT), 'parley_delivery_latency_seconds');

  test('interpolates within the bucket the rank falls in', () => {
    // rank 50: 40 of the 80 observations between 1 ms and 10 ms
    expect(quantile(0.5, bs)).toBeCloseTo(0.001 + 0.009 * (40 / 80));
    // rank 99: 9 of the 10 between 10 ms and 100 ms
    expect(quantile(0.99, bs)).toBeCloseTo(0.01 + 0.09 * 0.9);
    // rank 5, in the first bucket: from 0
    expect(quantile(0.05, bs)).toBeCloseTo(0.0005);
  });

  test('in +Inf: the highest finite bound; none without observations', () => {
    const tail = [
      { le: 0.1, count: 1 },
      { le: Infinity, count: 10 },
    ];
    expect(quantile(0.99, tail)).toBe(0.1);
    expect(quantile(0.5, [{ le: Infinity, count: 0 }])).toBeUndefined();
    expect(quantile(0.5, [])).toBeUndefined();
  });

  test('over a window: the difference of two readings, a restart counting from 0', () => {
    const before = [
      { le: 0.01, count: 5 },
      { le: Infinity, count: 5 },
    ];
    const now = [
      { le: 0.01, count: 5 },
      { le: Infinity, count: 9 },
    ];
    expect(bucketsDelta(now, before)).toEqual([
      { le: 0.01, count: 0 },
      { le: Infinity, count: 4 },
    ]);
    const restarted = [
      { le: 0.01, count: 1 },
      { le: Infinity, count: 2 },
    ];
    expect(bucketsDelta(restarted, before)).toEqual(restarted);
  });
});

test('rate: per second, a reset counted from zero, nothing without two readings', () => {
  expect(rate(100, 130, 3)).toBe(10);
  expect(rate(100, 6, 3)).toBe(2);
  expect(rate(undefined, 6, 3)).toBeUndefined();
  expect(rate(1, 6, 0)).toBeUndefined();
});
