/**
 * A self-contained, static SVG flamegraph: one rectangle per frame with a
 * `<title>` tooltip (name, value, share), labels where they fit, no script
 * and no external resource. Frames narrower than half a pixel at the
 * chosen width are left out with their subtrees (they could not be seen).
 */
import { formatShare, formatValue } from '@heapscope/analyzer';
import { layoutTree } from './flamegraph-layout.js';
import { nameColour, signedPalette, signedStep } from './flamegraph-colour.js';
import type { FlameData, Orientation } from './flame-data.js';
import { escapeName } from '../terminal-text.js';

export interface SvgOptions {
  /** Image width in pixels (default 1200). */
  width?: number;
  orientation: Orientation;
}

const ROW = 17;
const TOP = 58;
const BOTTOM = 12;
const SIDE = 10;
const CHAR_WIDTH = 6.6; // 11px monospace
const MIN_PX = 0.5;

/** Escapes text for SVG content and attributes (control characters, which XML forbids, as visible escapes). */
export function xmlEscape(text: string): string {
  return escapeName(text).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** The change part of a tooltip for diff and growth flamegraphs. */
export function changeText(data: FlameData, node: number): string {
  const unit = data.sampleType.unit;
  const signed = (v: number) => `${v > 0 ? '+' : ''}${formatValue(v, unit)}`;
  if (data.mode === 'diff' && data.base && data.input) {
    const b = data.base[node];
    const i = data.input[node];
    const pct = b !== 0 ? (100 * (i - b)) / Math.abs(b) : NaN;
    const share = Number.isNaN(pct) ? '' : `, ${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`;
    return `; base ${formatValue(b, unit)} → ${formatValue(i, unit)} (${signed(i - b)}${share})`;
  }
  if (data.mode === 'growth' && data.first && data.last && data.slope) {
    return `; ${formatValue(data.first[node], unit)} → ${formatValue(data.last[node], unit)} over ${data.points} points, slope ${signed(data.slope[node])} per point`;
  }
  return '';
}

/** Renders a flamegraph as SVG text. */
export function renderFlameSvg(data: FlameData, options: SvgOptions): string {
  const imageWidth = options.width ?? 1200;
  const layout = layoutTree(data.tree, data.width);
  const total = data.width[0] ?? 0;
  const plotWidth = imageWidth - 2 * SIDE;
  const scale = total > 0 ? plotWidth / total : 0;
  const height = TOP + (layout.maxDepth + 1) * ROW + BOTTOM;
  const palette = signedPalette();
  const { tree } = data;
  const unit = data.sampleType.unit;
  const out: string[] = [];
  out.push(
    `<?xml version="1.0" standalone="no"?>\n`,
    `<svg version="1.1" width="${imageWidth}" height="${height}" viewBox="0 0 ${imageWidth} ${height}" xmlns="http://www.w3.org/2000/svg">\n`,
    `<style>text{font-family:Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:11px;fill:#000}.t{font-size:16px}.s{font-size:12px;fill:#444}g.f:hover rect{stroke:#000;stroke-width:0.5}</style>\n`,
    `<rect x="0" y="0" width="${imageWidth}" height="${height}" fill="#f8f8f8"/>\n`,
    `<text class="t" x="${imageWidth / 2}" y="22" text-anchor="middle">${xmlEscape(data.title)}</text>\n`,
    `<text class="s" x="${imageWidth / 2}" y="42" text-anchor="middle">${xmlEscape(data.subtitle)}</text>\n`,
  );
  // Skip subtrees of frames too narrow to see: a node's subtree follows it in `order`.
  let skipDepth = -1;
  let drawn = 0;
  for (let k = 0; k < layout.order.length; k++) {
    const d = layout.depth[k];
    if (skipDepth >= 0) {
      if (d > skipDepth) continue;
      skipDepth = -1;
    }
    const pw = layout.width[k] * scale;
    if (pw < MIN_PX) {
      skipDepth = d;
      continue;
    }
    const node = layout.order[k];
    const px = SIDE + layout.start[k] * scale;
    const y = options.orientation === 'icicle' ? TOP + d * ROW : TOP + (layout.maxDepth - d) * ROW;
    const name = node === 0 ? 'all' : tree.names[tree.name[node]];
    const file = node === 0 ? '' : tree.files[tree.name[node]];
    const fill = data.colour ? palette[signedStep(data.colour[node])] : node === 0 ? 'rgb(250,220,180)' : nameColour(name);
    const value = data.mode === 'plain' ? layout.width[k] : data.mode === 'diff' ? (data.input as Float64Array)[node] : (data.last as Float64Array)[node];
    const tip = `${name}${file ? ` (${file})` : ''}: ${formatValue(value, unit)}, ${formatShare(data.mode === 'diff' ? layout.width[k] : value, total)}${changeText(data, node)}`;
    const w = Math.max(pw - 0.5, 0.1);
    out.push(`<g class="f"><title>${xmlEscape(tip)}</title><rect x="${px.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 1}" fill="${fill}" rx="1"/>`);
    const chars = Math.floor((pw - 6) / CHAR_WIDTH);
    if (chars >= 3) {
      const label = name.length <= chars ? name : `${name.slice(0, chars - 2)}..`;
      out.push(`<text x="${(px + 3).toFixed(1)}" y="${y + ROW - 5}">${xmlEscape(label)}</text>`);
    }
    out.push('</g>\n');
    drawn++;
  }
  out.push(`<!-- ${drawn} frames drawn -->\n</svg>\n`);
  return out.join('');
}
