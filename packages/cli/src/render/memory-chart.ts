/**
 * The memory-over-time chart: a self-contained SVG of the live value of the
 * top call sites stacked as areas (largest at the bottom, "other" on top),
 * and below it, when the input records them, the allocation rate and the
 * temporary allocations per window as bars. One renderer for every picture
 * of memory over time: `heapscope report` (inline), `growth --plot` and
 * `diagnose --plot` on traces. No scripts, no external fonts or styles.
 *
 * Every area carries its site and values (`data-series`, `data-values`) and
 * the root its axis (`data-axis`), so the page's tests read the series from
 * the DOM.
 */
import { formatValue, type MemoryOverTime } from '@heapscope/analyzer';
import { countTicks, niceScale, shortCount, xTicks } from './chart-axes.js';
import { xmlEscape as esc } from './flamegraph-svg.js';

/** Options of the chart. */
export interface MemoryChartOptions {
  title: string;
  subtitle?: string;
  /** Width in pixels (default 1000). */
  width?: number;
  /** With the `<?xml?>` declaration, for a file of its own. */
  standalone?: boolean;
}

/** Colours of the sites, in rank order (distinct hues of similar weight); "other" is grey. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#86bcb6'];
const OTHER = '#bab0ac';
const MAIN_H = 280;
const PANEL_H = 90;
const PANEL_GAP = 44;
const MARGIN = { left: 84, right: 16, top: 58, bottom: 16 };
const LEGEND_W = 300;
/** Legend names longer than this are cut (the full name is in the area's tooltip). */
const LEGEND_CHARS = 40;

/** The colour of the i-th series. */
export function seriesColour(m: MemoryOverTime, i: number): string {
  return m.series[i].other ? OTHER : PALETTE[i % PALETTE.length];
}

/** Renders memory over time as an SVG document (or element, unless `standalone`). */
export function renderMemoryChart(m: MemoryOverTime, options: MemoryChartOptions): string {
  const width = options.width ?? 1000;
  const plotW = width - MARGIN.left - MARGIN.right - LEGEND_W;
  const a = m.allocations;
  const panels: { title: string; values: (number | null)[]; unit: string }[] = [];
  if (a) {
    const perSecond = a.bytesPerSecond !== null;
    panels.push({ title: perSecond ? 'allocation rate (bytes per second)' : m.axis === 'dumps' ? 'allocated between dumps' : 'allocated per window', values: perSecond ? (a.bytesPerSecond as (number | null)[]) : a.bytes, unit: 'bytes' });
    if (a.temporary) panels.push({ title: 'temporary allocations per window', values: a.temporary, unit: 'count' });
  }
  const mainTop = MARGIN.top;
  const axisH = 40;
  const height = mainTop + MAIN_H + axisH + panels.length * (PANEL_H + PANEL_GAP) + MARGIN.bottom;
  const xs = m.x;
  const x0 = xs[0] ?? 0;
  const x1 = xs[xs.length - 1] ?? 0;
  const xAt = (v: number) => MARGIN.left + (x1 === x0 ? plotW / 2 : ((v - x0) / (x1 - x0)) * plotW);

  const out: string[] = [];
  if (options.standalone) out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="memory-chart" data-axis="${m.axis}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<title>${esc(options.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">${esc(options.title)}</text>`);
  if (options.subtitle) out.push(`<text x="${MARGIN.left}" y="40" fill="#57606a">${esc(cut(options.subtitle, Math.floor((width - MARGIN.left) / 6.5)))}</text>`);

  // The stacked areas.
  const mainBottom = mainTop + MAIN_H;
  const { step, top } = niceScale(Math.max(1, ...m.totals), m.unit === 'bytes');
  const yAt = (v: number) => mainBottom - (v / top) * MAIN_H;
  yGrid(out, mainTop, MAIN_H, top, step, m.unit, MARGIN.left, MARGIN.left + plotW);
  if (!m.live) {
    out.push(`<text x="${MARGIN.left + plotW / 2}" y="${mainTop + MAIN_H / 2}" text-anchor="middle" fill="#57606a">live memory unknown: the trace records sizes, not pointers</text>`);
  }
  const below = new Array<number>(xs.length).fill(0);
  m.series.forEach((s, i) => {
    const upper = s.values.map((v, k) => below[k] + v);
    const points = [...upper.map((v, k) => `${xAt(xs[k]).toFixed(1)},${yAt(v).toFixed(1)}`), ...below.map((v, k) => `${xAt(xs[k]).toFixed(1)},${yAt(v).toFixed(1)}`).reverse()];
    const peak = Math.max(...s.values);
    const last = s.values[s.values.length - 1] ?? 0;
    out.push(
      `<path class="area" data-series="${esc(s.name)}" data-values="${s.values.map(compact).join(',')}" d="M${points.join('L')}Z" fill="${seriesColour(m, i)}" fill-opacity="0.85" stroke="#ffffff" stroke-width="0.5"><title>${esc(`${s.name}\nlargest ${formatValue(peak, m.unit)}, last ${formatValue(last, m.unit)}`)}</title></path>`,
    );
    upper.forEach((v, k) => (below[k] = v));
  });
  if (m.live && xs.length > 0) {
    out.push(`<polyline class="total" points="${m.totals.map((v, k) => `${xAt(xs[k]).toFixed(1)},${yAt(v).toFixed(1)}`).join(' ')}" fill="none" stroke="#24292f" stroke-width="1.2"/>`);
  }
  xAxis(out, m, xAt, mainBottom, plotW);

  // Panels of bars, one bar per window (from the point before to its point).
  let panelTop = mainBottom + axisH + PANEL_GAP;
  for (const p of panels) {
    const known = p.values.filter((v): v is number => v !== null);
    const scale = niceScale(Math.max(1, ...known), p.unit === 'bytes');
    const yP = (v: number) => panelTop + PANEL_H - (v / scale.top) * PANEL_H;
    out.push(`<text x="${MARGIN.left}" y="${panelTop - 10}" font-weight="bold" fill="#24292f">${esc(p.title)}</text>`);
    yGrid(out, panelTop, PANEL_H, scale.top, scale.top / 2, p.unit, MARGIN.left, MARGIN.left + plotW);
    const bars: string[] = [];
    for (let k = 1; k < xs.length; k++) {
      const v = p.values[k];
      if (v === null || v <= 0) continue;
      const left = xAt(xs[k - 1]);
      const w = Math.max(1, xAt(xs[k]) - left - 0.5);
      bars.push(`<rect x="${left.toFixed(1)}" y="${yP(v).toFixed(1)}" width="${w.toFixed(1)}" height="${(panelTop + PANEL_H - yP(v)).toFixed(1)}"><title>${esc(`${m.labels[k]}: ${formatValue(v, p.unit)}`)}</title></rect>`);
    }
    out.push(`<g class="panel" data-panel="${esc(p.title)}" data-values="${p.values.map((v) => (v === null ? '' : compact(v))).join(',')}" fill="#6e7781">${bars.join('')}</g>`);
    out.push(`<line x1="${MARGIN.left}" y1="${panelTop + PANEL_H}" x2="${MARGIN.left + plotW}" y2="${panelTop + PANEL_H}" stroke="#57606a"/>`);
    panelTop += PANEL_H + PANEL_GAP;
  }

  // The legend, on the right: the top of the stack first, as it is drawn.
  const lx = width - LEGEND_W + 8;
  out.push(`<g class="legend">`);
  out.push(`<text x="${lx}" y="${mainTop + 4}" font-weight="bold" fill="#24292f">${esc(m.series.length > 0 ? `top ${m.series.filter((s) => !s.other).length} of ${m.siteCount} sites (largest value)` : 'no live memory')}</text>`);
  [...m.series.keys()].reverse().forEach((i, row) => {
    const s = m.series[i];
    const y = mainTop + 24 + row * 20;
    out.push(`<rect x="${lx}" y="${y - 10}" width="12" height="12" fill="${seriesColour(m, i)}"/>`);
    out.push(`<text x="${lx + 18}" y="${y}"><title>${esc(s.name)}</title>${esc(cut(s.name, LEGEND_CHARS))} <tspan fill="#57606a">${esc(formatValue(Math.max(...s.values), m.unit))}</tspan></text>`);
  });
  out.push(`</g>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Horizontal grid lines with their values on the left. */
function yGrid(out: string[], top: number, height: number, max: number, step: number, unit: string, left: number, right: number): void {
  for (let v = 0; v <= max + step / 2; v += step) {
    const y = (top + height - (v / max) * height).toFixed(1);
    out.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#d0d7de" stroke-width="1"/>`);
    out.push(`<text x="${left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#57606a">${esc(unit === 'bytes' ? formatValue(v, unit) : shortCount(v))}</text>`);
  }
}

/** The x axis: seconds since the first event, operations, or dump numbers (1 is the first). */
function xAxis(out: string[], m: MemoryOverTime, xAt: (v: number) => number, y: number, plotW: number): void {
  const x0 = m.x[0] ?? 0;
  const range = (m.x[m.x.length - 1] ?? 0) - x0;
  const ticks = m.axis === 'seconds' ? xTicks(range, true) : m.axis === 'operations' ? countTicks(range) : xTicks(Math.max(0, m.x.length - 1), false);
  for (const t of ticks) {
    const x = xAt(x0 + t.value).toFixed(1);
    out.push(`<line x1="${x}" y1="${y}" x2="${x}" y2="${y + 4}" stroke="#57606a"/>`);
    out.push(`<text x="${x}" y="${y + 17}" text-anchor="middle" fill="#57606a">${esc(t.label)}</text>`);
  }
  const label = m.axis === 'seconds' ? 'time since the first event' : m.axis === 'operations' ? 'operations (allocations, frees, reallocs)' : 'dump';
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${y + 34}" text-anchor="middle" fill="#57606a">${esc(label)}</text>`);
  out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#57606a"/>`);
}

/** Whole numbers as they are, fractions (unsampled values) to 3 decimals: exact enough to check, short in an attribute. */
export function compact(v: number): number {
  return Number.isInteger(v) ? v : Number(v.toFixed(3));
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
