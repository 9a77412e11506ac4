// The Prometheus text exposition format (0.0.4) as parleyd's /metrics writes it, read into
// samples, and the arithmetic the console does on them: sums over labels, counter rates and
// quantile estimates from histogram buckets (as PromQL's histogram_quantile does).

export type Labels = Record<string, string>;

export interface Sample {
  /** The series name as written: `parley_delivery_latency_seconds_bucket`, … */
  name: string;
  labels: Labels;
  value: number;
}

export interface Family {
  name: string;
  /** `counter`, `gauge`, `histogram`, `summary` or `untyped`. */
  type: string;
  help: string;
  samples: Sample[];
}

export interface Metrics {
  families: Map<string, Family>;
  /** Every sample by its series name, in the order read. */
  samples: Sample[];
}

const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

/** A sample value: a float, `+Inf`, `-Inf` or `NaN` (Go's strconv spellings included). */
function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new Error(`not a sample value: ${text}`);
  return v;
}

/** `{a="x",b="y\"z"}` from `start` (the `{`): the labels and the index after `}`. */
function parseLabels(line: string, start: number): [Labels, number] {
  const labels: Labels = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return [labels, i + 1];
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') throw new Error(`bad labels: ${line}`);
    const key = line.slice(i, eq).trim();
    let value = '';
    i = eq + 2;
    for (; i < line.length && line[i] !== '"'; i++) {
      if (line[i] !== '\\') {
        value += line[i];
        continue;
      }
      const next = line[++i];
      value += next === 'n' ? '\n' : next;
    }
    if (i >= line.length) throw new Error(`unterminated label value: ${line}`);
    labels[key] = value;
    i++;
  }
}

/** The family a series belongs to: its own name, or the name without a suffix a TYPE declared. */
function familyOf(name: string, families: Map<string, Family>): Family {
  let f = families.get(name);
  if (f) return f;
  for (const s of SUFFIXES) {
    if (!name.endsWith(s)) continue;
    f = families.get(name.slice(0, -s.length));
    if (f) return f;
  }
  f = { name, type: 'untyped', help: '', samples: [] };
  families.set(name, f);
  return f;
}

/** Reads the text format; throws on a line it cannot read. Timestamps are dropped. */
export function parsePrometheus(text: string): Metrics {
  const families = new Map<string, Family>();
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      const f = families.get(m[2]) ?? { name: m[2], type: 'untyped', help: '', samples: [] };
      families.set(m[2], f);
      if (m[1] === 'TYPE') f.type = m[3].trim() || 'untyped';
      else f.help = m[3].replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      continue;
    }
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) throw new Error(`bad sample line: ${line}`);
    const name = line.slice(0, nameEnd);
    let labels: Labels = {};
    let rest = nameEnd;
    if (line[nameEnd] === '{') [labels, rest] = parseLabels(line, nameEnd);
    const [valueText] = line.slice(rest).trim().split(/\s+/);
    const sample = { name, labels, value: parseValue(valueText ?? '') };
    familyOf(name, families).samples.push(sample);
    samples.push(sample);
  }
  return { families, samples };
}

function matches(s: Sample, name: string, labels?: Labels): boolean {
  if (s.name !== name) return false;
  if (!labels) return true;
  return Object.entries(labels).every(([k, v]) => s.labels[k] === v);
}

/** The sum of the series `name` whose labels include `labels` (all of them when none given); undefined when there is none. */
export function value(m: Metrics, name: string, labels?: Labels): number | undefined {
  let sum: number | undefined;
  for (const s of m.samples) if (matches(s, name, labels)) sum = (sum ?? 0) + s.value;
  return sum;
}

/** The values of `name` by the value of its label `label`: `parley_errors_total` by `code`. */
export function byLabel(m: Metrics, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of m.samples) if (s.name === name && label in s.labels) out[s.labels[label]] = (out[s.labels[label]] ?? 0) + s.value;
  return out;
}

export interface Bucket {
  /** The upper bound (`le`); Infinity for `+Inf`. */
  le: number;
  /** Observations at or below it (cumulative). */
  count: number;
}

/** The buckets of histogram `name` (series `name_bucket`), summed over other labels, by bound. */
export function buckets(m: Metrics, name: string, labels?: Labels): Bucket[] {
  const byLe = new Map<number, number>();
  for (const s of m.samples) {
    if (!matches(s, `${name}_bucket`, labels) || s.labels.le === undefined) continue;
    const le = parseValue(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** The observations between two readings of the same histogram: `now` − `before`, bound by bound. */
export function bucketsDelta(now: Bucket[], before: Bucket[]): Bucket[] {
  const old = new Map(before.map((b) => [b.le, b.count]));
  // A counter that went down: the process restarted, so everything in `now` is new.
  const reset = now.some((b) => b.count < (old.get(b.le) ?? 0));
  return now.map((b) => ({ le: b.le, count: reset ? b.count : b.count - (old.get(b.le) ?? 0) }));
}

/**
 * The `q`-quantile (0…1) estimated from cumulative buckets as histogram_quantile does: linear
 * within the bucket the rank falls in (the first bucket from 0), the highest finite bound when
 * it falls in +Inf. undefined without observations.
 */
export function quantile(q: number, bs: Bucket[]): number | undefined {
  if (!bs.length) return undefined;
  const total = bs[bs.length - 1].count;
  if (!(total > 0)) return undefined;
  const rank = q * total;
  for (let i = 0; i < bs.length; i++) {
    if (bs[i].count < rank) continue;
    const upper = bs[i].le;
    if (upper === Infinity) return i > 0 ? bs[i - 1].le : undefined;
    const lower = i > 0 ? bs[i - 1].le : Math.min(0, upper);
    const below = i > 0 ? bs[i - 1].count : 0;
    const inBucket = bs[i].count - below;
    return inBucket > 0 ? lower + (upper - lower) * ((rank - below) / inBucket) : upper;
  }
  return bs[bs.length - 1].le;
}

/** A counter's per-second rate between two readings `seconds` apart; a reset counts from 0. */
export function rate(before: number | undefined, now: number | undefined, seconds: number): number | undefined {
  if (before === undefined || now === undefined || !(seconds > 0)) return undefined;
  return (now >= before ? now - before : now) / seconds;
}
