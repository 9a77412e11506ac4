// How the console writes numbers, times and durations (the chat's own helpers in ../format).
export { countLabel, durationLabel, sizeLabel } from '../format';

/** A moment for people: "4 Dec, 21:17:05". */
export function dateTimeLabel(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** A time in seconds for people: "850 µs", "12 ms", "1.4 s". */
export function secondsLabel(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '—';
  if (s < 0.001) return `${Math.round(s * 1e6)} µs`;
  if (s < 1) return `${+(s * 1000).toPrecision(3)} ms`;
  return `${+s.toPrecision(3)} s`;
}

/** A per-second rate: "0", "0.33/s", "1,204/s". */
export function rateLabel(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return '—';
  if (perSecond === 0) return '0/s';
  if (perSecond < 10) return `${+perSecond.toFixed(2)}/s`;
  return `${Math.round(perSecond).toLocaleString()}/s`;
}

/** How long ago `ms` was, roughly: "12 s ago", "5 min ago". */
export function agoLabel(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
