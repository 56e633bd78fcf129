/**
 * The `diagnose --plot` chart: a self-contained SVG line chart of allocated
 * bytes, the allocator's resident (or mapped) bytes and RSS over the
 * series' points. No scripts, no external fonts or styles.
 */
import { formatBytes, type DiagnoseReport } from '@heapscope/analyzer';
import { esc, niceScale, xTicks } from './chart-axes.js';

export { niceStep, xTicks } from './chart-axes.js';

const WIDTH = 860;
const HEIGHT = 440;
const MARGIN = { left: 84, right: 24, top: 56, bottom: 72 };

interface Line {
  name: string;
  color: string;
  dash?: string;
  values: (number | null)[];
}

/** Renders the report's series as an SVG document. */
export function renderDiagnosePlot(report: DiagnoseReport): string {
  const s = report.series;
  const lines: Line[] = [
    { name: 'allocated', color: '#1f6feb', values: s.map((p) => p.allocated) },
    { name: 'resident (allocator)', color: '#d1242f', values: s.map((p) => p.resident) },
    { name: 'RSS', color: '#8250df', dash: '6 4', values: s.map((p) => p.rss) },
  ];
  // Without a resident figure, the allocator's mapped (mimalloc: committed) bytes stand in.
  if (s.every((p) => p.resident === null) && s.some((p) => p.mapped !== null)) {
    lines.splice(1, 1, { name: report.allocator === 'mimalloc' ? 'committed (allocator)' : 'mapped (allocator)', color: '#bf8700', values: s.map((p) => p.mapped) });
  }
  const shown = lines.filter((l) => l.values.some((v) => v !== null));
  const all = shown.flatMap((l) => l.values.filter((v): v is number => v !== null));
  const maxValue = Math.max(1, ...all);
  const { step, top } = niceScale(maxValue);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const useTime = s.length > 1 && s.every((p) => p.timeSec !== null);
  const xs = s.map((p, i) => (useTime ? (p.timeSec as number) : i));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const xAt = (x: number) => MARGIN.left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
  const yAt = (v: number) => MARGIN.top + plotH - (v / top) * plotH;

  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(report.summary)}</title>`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">${esc(report.verdict)}</text>`);
  out.push(`<text x="${MARGIN.left}" y="40" fill="#57606a">${esc(truncate(report.summary, 120))}</text>`);
  // Grid and y axis.
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = yAt(v).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH - MARGIN.right}" y2="${y}" stroke="#d0d7de" stroke-width="1"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#57606a">${esc(formatBytes(v))}</text>`);
  }
  // x axis: ticks at nice 1/2/5 steps of the range, labelled with the precision the step needs.
  for (const tick of xTicks(useTime ? x1 - x0 : s.length - 1, useTime)) {
    const x = xAt(useTime ? x0 + tick.value : tick.value).toFixed(1);
    out.push(`<line x1="${x}" y1="${MARGIN.top + plotH}" x2="${x}" y2="${MARGIN.top + plotH + 4}" stroke="#57606a"/>`);
    out.push(`<text x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle" fill="#57606a">${esc(tick.label)}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 38}" text-anchor="middle" fill="#57606a">${useTime ? 'time since the first point' : 'point'}</text>`);
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${WIDTH - MARGIN.right}" y2="${MARGIN.top + plotH}" stroke="#57606a"/>`);
  // Lines, broken where a value is unknown.
  for (const line of shown) {
    const segments: string[][] = [[]];
    line.values.forEach((v, i) => {
      if (v === null) {
        if (segments[segments.length - 1].length > 0) segments.push([]);
        return;
      }
      segments[segments.length - 1].push(`${xAt(xs[i]).toFixed(1)},${yAt(v).toFixed(1)}`);
    });
    for (const seg of segments) {
      if (seg.length === 0) continue;
      const dash = line.dash ? ` stroke-dasharray="${line.dash}"` : '';
      out.push(`<polyline points="${seg.join(' ')}" fill="none" stroke="${line.color}" stroke-width="2"${dash}/>`);
      for (const pt of seg) {
        const [cx, cy] = pt.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${line.color}"/>`);
      }
    }
  }
  // Legend.
  shown.forEach((line, i) => {
    const x = MARGIN.left + i * 190;
    const y = HEIGHT - 14;
    const dash = line.dash ? ` stroke-dasharray="${line.dash}"` : '';
    out.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 24}" y2="${y - 4}" stroke="${line.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${x + 30}" y="${y}">${esc(line.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
