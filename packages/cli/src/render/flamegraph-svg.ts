/**
 * A self-contained SVG flamegraph: one rectangle per frame with a `<title>`
 * tooltip (name; file:line where known; value and share), labels where they
 * fit, a legend on diff and growth pictures, and no external resource.
 * Frames narrower than half a pixel at the chosen width are left out with
 * their subtrees (they could not be seen).
 *
 * It is a complete static picture; an embedded script (flamegraph-svg-script.ts)
 * adds click-to-zoom and search where the viewer runs scripts (a browser
 * opening the file), and changes nothing where it does not (an `<img>`,
 * an image viewer, a converter).
 */
import { formatShare, formatValue } from '@heapscope/analyzer';
import { layoutTree } from './flamegraph-layout.js';
import { nameColour, signedPalette, signedStep } from './flamegraph-colour.js';
import type { FlameData, Orientation } from './flame-data.js';
import { escapeName } from '../terminal-text.js';
import { SVG_SCRIPT } from './flamegraph-svg-script.js';

export interface SvgOptions {
  /** Image width in pixels (default 1200). */
  width?: number;
  orientation: Orientation;
}

const ROW = 17;
const HEADER = 58;
/** The legend's row under the subtitle (diff and growth pictures). */
const LEGEND = 18;
const BOTTOM = 12;
const SIDE = 10;
const CHAR_WIDTH = 6.6; // 11px monospace
const LEGEND_CHAR = 7.3; // 12px monospace
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

/** The legend of a diff or growth picture: the colour scale and what its ends mean. */
function legendSvg(data: FlameData, imageWidth: number, y: number): string {
  const palette = signedPalette();
  const [low, high] = data.mode === 'diff' ? ['shrank', 'grew'] : ['shrinking', 'growing'];
  const what = data.mode === 'diff' ? 'deeper = larger change; width: the larger of base and input' : `least-squares slope over ${data.points} points; width: the last point`;
  const step = 4;
  const x0 = SIDE + Math.ceil(low.length * LEGEND_CHAR) + 6;
  const out = [`<g class="legend"><text class="s" x="${SIDE}" y="${y + 10}">${low}</text>`];
  palette.forEach((colour, i) => out.push(`<rect x="${x0 + step * i}" y="${y}" width="${step}" height="12" fill="${colour}"/>`));
  out.push(`<text class="s" x="${x0 + step * palette.length + 6}" y="${y + 10}">${high} · ${xmlEscape(what)}</text></g>\n`);
  return out.join('');
}

/** Renders a flamegraph as SVG text. */
export function renderFlameSvg(data: FlameData, options: SvgOptions): string {
  const imageWidth = options.width ?? 1200;
  const layout = layoutTree(data.tree, data.width);
  const total = data.width[0] ?? 0;
  const plotWidth = imageWidth - 2 * SIDE;
  const scale = total > 0 ? plotWidth / total : 0;
  const legend = data.mode !== 'plain';
  const TOP = HEADER + (legend ? LEGEND : 0);
  const height = TOP + (layout.maxDepth + 1) * ROW + BOTTOM;
  const palette = signedPalette();
  const { tree } = data;
  const unit = data.sampleType.unit;
  const out: string[] = [];
  out.push(
    `<?xml version="1.0" standalone="no"?>\n`,
    `<svg version="1.1" width="${imageWidth}" height="${height}" viewBox="0 0 ${imageWidth} ${height}" xmlns="http://www.w3.org/2000/svg">\n`,
    `<style>text{font-family:Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:11px;fill:#000}.t{font-size:16px}.s{font-size:12px;fill:#444}g.f:hover rect{stroke:#000;stroke-width:0.5}.c{font-size:12px;fill:#36c;cursor:pointer}.hidden{display:none}</style>\n`,
    `<rect x="0" y="0" width="${imageWidth}" height="${height}" fill="#f8f8f8"/>\n`,
    `<text class="t" x="${imageWidth / 2}" y="22" text-anchor="middle">${xmlEscape(data.title)}</text>\n`,
    `<text class="s" x="${imageWidth / 2}" y="42" text-anchor="middle">${xmlEscape(data.subtitle)}</text>\n`,
    legend ? legendSvg(data, imageWidth, HEADER - 6) : '',
    // Controls for the script (hidden until it runs, so the static picture shows none).
    `<text id="hs-reset" class="c hidden" x="${SIDE}" y="22">Reset zoom</text>`,
    `<text id="hs-search" class="c hidden" x="${imageWidth - SIDE}" y="22" text-anchor="end">Search</text>`,
    `<text id="hs-matched" class="s" x="${imageWidth - SIDE}" y="42" text-anchor="end"></text>\n`,
    `<g id="hs-frames" data-side="${SIDE}" data-plot="${plotWidth}" data-row="${ROW}" data-char="${CHAR_WIDTH}">\n`,
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
    const line = node === 0 ? 0 : tree.line[node];
    const where = file ? `${file}${line > 0 ? `:${line}` : line < 0 ? ' (several lines)' : ''}` : '';
    // The name alone on the first line: the script reads it back for labels and search.
    const valueLine = `${formatValue(value, unit)}, ${formatShare(data.mode === 'diff' ? layout.width[k] : value, total)}${changeText(data, node)}`;
    // Each line escaped on its own: a name's control characters become visible escapes, the line breaks stay.
    const tip = [name, where, valueLine].filter(Boolean).map(xmlEscape).join('\n');
    const w = Math.max(pw - 0.5, 0.1);
    out.push(`<g class="f" data-d="${d}"><title>${tip}</title><rect x="${px.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 1}" fill="${fill}" rx="1"/>`);
    const chars = Math.floor((pw - 6) / CHAR_WIDTH);
    if (chars >= 3) {
      const label = name.length <= chars ? name : `${name.slice(0, chars - 2)}..`;
      out.push(`<text x="${(px + 3).toFixed(1)}" y="${y + ROW - 5}">${xmlEscape(label)}</text>`);
    }
    out.push('</g>\n');
    drawn++;
  }
  out.push(`</g>\n<!-- ${drawn} frames drawn -->\n<script type="text/ecmascript"><![CDATA[${SVG_SCRIPT}]]></script>\n</svg>\n`);
  return out.join('');
}
