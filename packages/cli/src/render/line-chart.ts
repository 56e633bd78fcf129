/**
 * A self-contained SVG line chart (no scripts, no external fonts or
 * styles): byte values over an x axis, one polyline per line, broken where a
 * value is unknown, with a heading, a y grid in bytes, the caller's x ticks
 * and a legend. The charts of `diagnose --plot` (memory over a run's points
 * or time) and `replay --plot` (RSS over operations, per allocator) draw
 * with it.
 */
import { formatBytes } from '@heapscope/analyzer';
import { esc, niceScale } from './chart-axes.js';

const WIDTH = 860;
const HEIGHT = 440;
const MARGIN = { left: 84, right: 24, top: 56, bottom: 72 };
/** The widest legend entry; narrower when more entries must fit the width. */
const LEGEND_STEP = 190;

/** One line of a chart: a value (bytes) per x position, null where unknown. */
export interface ChartLine {
  name: string;
  color: string;
  /** An SVG stroke-dasharray. */
  dash?: string;
  values: readonly (number | null)[];
}

/** What a chart draws. */
export interface LineChart {
  /** The document's `<title>` (its tooltip and accessible name). */
  title: string;
  /** The bold first line, and the grey line under it. */
  heading: string;
  subheading: string;
  /** The x position of each value of the lines. */
  xs: readonly number[];
  /** The x axis's ticks (positions in `xs`' terms) and its label. */
  xTicks: readonly { value: number; label: string }[];
  xLabel: string;
  /** Lines without any known value are left out (and out of the legend). */
  lines: readonly ChartLine[];
}

/** Renders the chart as an SVG document. */
export function renderLineChart(chart: LineChart): string {
  const { xs } = chart;
  const shown = chart.lines.filter((l) => l.values.some((v) => v !== null));
  const all = shown.flatMap((l) => l.values.filter((v): v is number => v !== null));
  const maxValue = Math.max(1, ...all);
  const { step, top } = niceScale(maxValue);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const xAt = (x: number) => MARGIN.left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
  const yAt = (v: number) => MARGIN.top + plotH - (v / top) * plotH;

  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(chart.title)}</title>`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">${esc(chart.heading)}</text>`);
  out.push(`<text x="${MARGIN.left}" y="40" fill="#57606a">${esc(truncate(chart.subheading, 120))}</text>`);
  // Grid and y axis.
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = yAt(v).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH - MARGIN.right}" y2="${y}" stroke="#d0d7de" stroke-width="1"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#57606a">${esc(formatBytes(v))}</text>`);
  }
  for (const tick of chart.xTicks) {
    const x = xAt(tick.value).toFixed(1);
    out.push(`<line x1="${x}" y1="${MARGIN.top + plotH}" x2="${x}" y2="${MARGIN.top + plotH + 4}" stroke="#57606a"/>`);
    out.push(`<text x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle" fill="#57606a">${esc(tick.label)}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 38}" text-anchor="middle" fill="#57606a">${esc(chart.xLabel)}</text>`);
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
  const legendStep = Math.min(LEGEND_STEP, Math.floor((WIDTH - MARGIN.left) / Math.max(1, shown.length)));
  shown.forEach((line, i) => {
    const x = MARGIN.left + i * legendStep;
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
