/**
 * The `diagnose --plot` chart: a self-contained SVG line chart of allocated
 * bytes, the allocator's resident (or mapped) bytes and RSS over the
 * series' points. No scripts, no external fonts or styles.
 */
import type { DiagnoseReport } from '@heapscope/analyzer';
import { MAX_X_TICKS, niceStep, renderLineChart, type ChartLine } from './line-chart.js';

/** Renders the report's series as an SVG document. */
export function renderDiagnosePlot(report: DiagnoseReport): string {
  const s = report.series;
  const lines: ChartLine[] = [
    { name: 'allocated', color: '#1f6feb', values: s.map((p) => p.allocated) },
    { name: 'resident (allocator)', color: '#d1242f', values: s.map((p) => p.resident) },
    { name: 'RSS', color: '#8250df', dash: '6 4', values: s.map((p) => p.rss) },
  ];
  // Without a resident figure, the allocator's mapped (mimalloc: committed) bytes stand in.
  if (s.every((p) => p.resident === null) && s.some((p) => p.mapped !== null)) {
    lines.splice(1, 1, { name: report.allocator === 'mimalloc' ? 'committed (allocator)' : 'mapped (allocator)', color: '#bf8700', values: s.map((p) => p.mapped) });
  }
  const useTime = s.length > 1 && s.every((p) => p.timeSec !== null);
  const xs = s.map((p, i) => (useTime ? (p.timeSec as number) : i));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  // x axis: ticks at nice 1/2/5 steps of the range, labelled with the precision the step needs.
  const ticks = xTicks(useTime ? x1 - x0 : s.length - 1, useTime).map((t) => ({ value: useTime ? x0 + t.value : t.value, label: t.label }));
  return renderLineChart({
    title: report.summary,
    heading: report.verdict,
    subheading: report.summary,
    xs,
    xTicks: ticks,
    xLabel: useTime ? 'time since the first point' : 'point',
    lines,
  });
}

/**
 * The x-axis ticks. By time: offsets from the first point (seconds) at a
 * nice step of the run's span, labelled in µs, ms or s as the span asks,
 * with as many decimals as the step has, so no two labels are equal. By
 * point: `range` is the last position (points − 1); ticks at point numbers
 * (1 is the first) at a nice whole step.
 */
export function xTicks(range: number, byTime: boolean): { value: number; label: string }[] {
  if (!byTime) {
    const count = Math.round(range) + 1;
    const whole = Math.max(1, Math.round(niceStep(Math.max(1, count - 1), MAX_X_TICKS).step));
    const points = [1];
    for (let k = whole; k <= count; k += whole) if (k > 1) points.push(k);
    return points.map((k) => ({ value: k - 1, label: String(k) }));
  }
  if (!(range > 0)) return [{ value: 0, label: '0 s' }];
  const unit = range < 1e-3 ? { name: 'µs', scale: 1e6 } : range < 1 ? { name: 'ms', scale: 1e3 } : { name: 's', scale: 1 };
  const { step, exponent } = niceStep(range * unit.scale, MAX_X_TICKS);
  const decimals = Math.max(0, -exponent);
  const ticks: { value: number; label: string }[] = [];
  for (let k = 0; k * step <= range * unit.scale * (1 + 1e-9); k++) {
    ticks.push({ value: (k * step) / unit.scale, label: `${(k * step).toFixed(decimals)} ${unit.name}` });
  }
  return ticks;
}
