/**
 * The `diagnose --plot` chart: a self-contained SVG line chart of allocated
 * bytes, the allocator's resident (or mapped) bytes and RSS over the
 * series' points. No scripts, no external fonts or styles.
 */
import type { DiagnoseReport } from '@heapscope/analyzer';
import { renderLineChart, type ChartLine } from './line-chart.js';
import { xTicks } from './chart-axes.js';


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
