import type { Series } from './metrics';

const W = 140;
const H = 34;

/**
 * The last values of a series as a small line (SVG); gaps where a value is missing. The lowest
 * line is 0 unless the series goes below it. `label` names it for screen readers.
 */
export function Sparkline({ values, label, format }: { values: Series; label: string; format: (v: number) => string }) {
  const defined = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (defined.length < 2) {
    return (
      <svg className="sparkline" width={W} height={H} role="img" aria-label={`${label}: not enough samples yet`}>
        <line x1={0} y1={H - 1} x2={W} y2={H - 1} className="sparkline-base" />
      </svg>
    );
  }
  const lo = Math.min(0, ...defined);
  const hi = Math.max(...defined);
  const span = hi - lo || 1;
  const step = W / Math.max(1, values.length - 1);
  // One path, a new segment after each gap.
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === undefined || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const x = (i * step).toFixed(1);
    const y = (H - 2 - ((v - lo) / span) * (H - 4)).toFixed(1);
    d += `${pen ? 'L' : 'M'}${x} ${y}`;
    pen = true;
  });
  return (
    <svg
      className="sparkline"
      width={W}
      height={H}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`${label}: from ${format(defined[0])} to ${format(defined[defined.length - 1])}, highest ${format(hi)}`}
    >
      <line x1={0} y1={H - 1} x2={W} y2={H - 1} className="sparkline-base" />
      <path d={d} className="sparkline-line" />
    </svg>
  );
}
