/**
 * The `replay --plot` chart: RSS over the trace's operations, one line per
 * allocator (its median run's samples), and the trace's own live bytes —
 * the floor every allocator's RSS sits above.
 */
import { formatCount } from '@heapscope/analyzer';
import type { ReplayReport } from '@heapscope/replay';
import { renderLineChart, type ChartLine } from './line-chart.js';
import { MAX_X_TICKS, niceStep } from './chart-axes.js';

/** Line colours, in the order of the allocators. */
const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#bf8700', '#8250df', '#0550ae', '#cf222e', '#116329'];

/** `0`, `500k`, `1.5M`: an operation count as an axis label. */
function opsLabel(n: number): string {
  if (n === 0) return '0';
  if (n >= 1e6) return `${+(n / 1e6).toFixed(3)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(3)}k`;
  return String(n);
}

/** Renders the report's series as an SVG document; `heading` is the verdict in a few words. */
export function renderReplayPlot(report: ReplayReport, heading: string): string {
  // Every run samples at the same operation counts (the trace's), so one x axis serves all lines.
  const xs = [...new Set(report.series.flatMap((s) => s.points.map((p) => p.ops)))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const column = (points: readonly { ops: number }[], value: (i: number) => number) => {
    const values: (number | null)[] = xs.map(() => null);
    points.forEach((p, i) => (values[at.get(p.ops)!] = value(i)));
    return values;
  };
  const lines: ChartLine[] = report.series.map((s, i) => ({ name: `${s.allocator} RSS`, color: COLORS[i % COLORS.length], values: column(s.points, (k) => s.points[k].rss) }));
  const first = report.series[0];
  if (first) lines.push({ name: 'live bytes (trace)', color: '#57606a', dash: '6 4', values: column(first.points, (k) => first.points[k].liveBytes) });
  const last = xs.length > 0 ? xs[xs.length - 1] : 0;
  const { step } = niceStep(Math.max(1, last), MAX_X_TICKS);
  const ticks: { value: number; label: string }[] = [];
  for (let v = 0; v <= last; v += step) ticks.push({ value: v, label: opsLabel(v) });
  const t = report.trace;
  return renderLineChart({
    title: `${t.file}: RSS over operations under ${report.series.map((s) => s.allocator).join(', ')}`,
    heading,
    subheading: `${t.file}: ${formatCount(t.ops)} operations, ${t.mode === 'threads' ? `${formatCount(t.threads)} threads` : 'on one thread'}; RSS of each allocator's median run`,
    xs,
    xTicks: ticks,
    xLabel: 'operations replayed',
    lines,
  });
}
