/**
 * A self-contained, interactive HTML flamegraph: one file with the data as
 * JSON and a small script, drawn on a canvas — no network, no external
 * script, style or font.
 *
 * Interaction: click a frame to zoom to it (click an ancestor bar or press
 * Escape / "Reset zoom" to go back), double-click for the sandwich of its
 * function (callers above, callees below), switch between the top-down,
 * inverted (bottom-up) and sandwich views, type in the search box to
 * highlight frames whose name matches (a regular expression; the page says
 * so when it is not one and searches the plain text) with the matched
 * total and share, hover for a tooltip with the value, its shares and the
 * frame's file:line, flip between flame (root at the bottom) and icicle.
 * The drawing and the views are in flamegraph-client.ts.
 *
 * {@link renderFlameFragment} gives the flamegraph as a part of a page
 * (style, markup and scripts) for pages that hold more (the report);
 * {@link renderFlameHtml} is the flamegraph alone, as a page.
 *
 * Scripting: `window.heapscopeFlame` (the first flamegraph of the page; all
 * of them in `window.heapscopeFlames` by id) has `state()`, `search(re)`,
 * `setView('top-down'|'inverted'|'sandwich')`, `focus(name, view?)` (by
 * exact function name; default view: its sandwich), `zoomTo(frame)`,
 * `reset()`, `redraw()` (after the page shows a hidden flamegraph) and
 * `paths(chart)`. The page's URL hash does the same for
 * links: `#focus=NAME`, `&view=VIEW`, `&search=RE` (URL-encoded).
 */
import { assertFinite, formatValue } from '@heapscope/analyzer';
import { callTreeViews } from '@heapscope/analyzer';
import { layoutColumns, layoutTree } from './flamegraph-layout.js';
import { nameColour, signedPalette, signedStep } from './flamegraph-colour.js';
import { FLAME_CLIENT, FLAME_STYLE } from './flamegraph-client.js';
import type { FlameData, Orientation } from './flame-data.js';
import { xmlEscape as esc } from './flamegraph-svg.js';
import { htmlPage } from './html-page.js';

/** Keeps 3 decimals below 100 and integers above: enough for drawing and tooltips, and compact. */
function compact(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

/** JSON text made safe inside a `<script>` element. */
function scriptJson(json: string): string {
  // Scanning 2 MB for characters that are almost never there is cheaper than replacing.
  return /[<\u2028\u2029]/.test(json) ? json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : json;
}

/** The data the page's script reads (arrays in depth-first order). */
export function flameJson(data: FlameData, orientation: Orientation): string {
  const layout = layoutTree(data.tree, data.width);
  const { tree } = data;
  const order = layout.order;
  const count = order.length;
  // The per-frame arrays are the bulk of the page (160k frames for the
  // benchmark dump): written as joined typed arrays, not through
  // JSON.stringify of boxed number arrays, which took several times longer.
  const numbers = (column: Float64Array | undefined): string | undefined => {
    if (!column) return undefined;
    const out = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const v = column[order[k]];
      // JSON has no NaN: a value that is not finite is refused, never written as 0.
      out[k] = compact(Number.isFinite(v) ? v : assertFinite(v, "a flamegraph frame's value"));
    }
    return `[${out.join(',')}]`;
  };
  const ints = (f: (node: number) => number): string => {
    const out = new Int32Array(count);
    for (let k = 0; k < count; k++) out[k] = f(order[k]);
    return `[${out.join(',')}]`;
  };
  const colour = data.colour;
  const head = JSON.stringify({
    title: data.title,
    subtitle: data.subtitle,
    mode: data.mode,
    orientation,
    sampleType: data.sampleType.type,
    unit: data.sampleType.unit,
    points: data.points,
    names: tree.names,
    files: tree.files,
    modules: tree.modules,
    palette: { names: tree.names.map(nameColour), signed: colour ? signedPalette() : undefined },
    total: formatValue(data.width[0] ?? 0, data.sampleType.unit),
  });
  // Per frame, depth-first: depth, name id, width, colour step (self widths
  // are the width minus the children's, computed by the page).
  const arrays: [string, string | undefined][] = [
    ['d', `[${layout.depth.join(',')}]`],
    ['n', ints((node) => (node === 0 ? -1 : tree.name[node]))],
    ['w', numbers(data.width)],
    ['c', colour ? ints((node) => signedStep(colour[node])) : undefined],
    // Source line per frame (0 unknown, -1 several): only when some frame has one.
    ['l', tree.line.some((l) => l !== 0) ? ints((node) => tree.line[node]) : undefined],
    ['base', numbers(data.base)],
    ['input', numbers(data.input)],
    ['first', numbers(data.first)],
    ['last', numbers(data.last)],
    ['slope', numbers(data.slope)],
  ];
  const body = arrays
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `,"${k}":${v}`)
    .join('');
  return scriptJson(`${head.slice(0, -1)}${body}}`);
}


/** The words under a flamegraph's controls: what its colours mean. */
function legendHtml(data: FlameData): string {
  if (data.mode === 'diff') return '<span>shrank</span><span class="scale"></span><span>grew</span><span>· deeper colour = larger change; width: the larger of base and input · the inverted and sandwich views show widths only</span>';
  if (data.mode === 'growth') return `<span>shrinking</span><span class="scale"></span><span>growing</span><span>· least-squares slope over ${data.points} points; width: the last point · the inverted and sandwich views show widths only</span>`;
  return '<span>click a frame to zoom, double-click for its sandwich (callers and callees), Escape to reset; search takes a regular expression</span>';
}

/** Options of {@link renderFlameFragment}. */
export interface FlameFragmentOptions {
  orientation: Orientation;
  /** The root element's id, unique in the page (default `flame`): `window.heapscopeFlames[id]`. */
  id?: string;
  /**
   * Mount after the page's load event and a paint, not as the page is read:
   * the rest of a larger page (the report) is on screen and responds before
   * the flamegraph's data is parsed. The root gets a `heapscope-flame-ready`
   * event (its `detail` is the API) once mounted, either way.
   */
  deferMount?: boolean;
}

/** A flamegraph as a part of a page: its style (scoped under `.hs-flame`) and its markup with the data and scripts. */
export interface FlameFragment {
  style: string;
  body: string;
}

/**
 * The views' code as the page runs it: the analyzer's inverted and sandwich
 * trees and the renderer's layout, by their source (they are self-contained).
 */
function viewsScript(): string {
  return `(function (v) { return { invert: v.invertTree, sandwich: v.sandwichTrees, layout: (${layoutColumns.toString()}) }; })((${callTreeViews.toString()})())`;
}

/** The flamegraph as a fragment of a page, with its data; it mounts itself when the page loads it. */
export function renderFlameFragment(data: FlameData, options: FlameFragmentOptions): FlameFragment {
  const id = options.id ?? 'flame';
  if (!/^[A-Za-z][\w-]*$/.test(id)) throw new Error(`not an element id: ${id}`);
  const body = `<div class="hs-flame" id="${id}">
<div class="controls">
<input class="search" type="search" placeholder="Search (regular expression)" autocomplete="off" spellcheck="false" aria-label="Search frames">
<span class="views"><button type="button" data-view="top-down">Top down</button><button type="button" data-view="inverted">Inverted</button><button type="button" data-view="sandwich">Sandwich</button></span>
<button class="reset" type="button">Reset zoom</button>
<button class="flip" type="button">Flip</button>
</div>
<div class="status"></div>
<div class="legend">${legendHtml(data)}</div>
<div class="main chart"><canvas class="flame"></canvas></div>
<div class="sandwich" style="display:none">
<div class="chart"><h2 class="callers-title"></h2><canvas class="callers"></canvas></div>
<div class="chart"><h2 class="callees-title"></h2><canvas class="callees"></canvas></div>
</div>
<div class="details"></div>
<div class="tip"></div>
<script type="application/json" class="flame-data">${flameJson(data, options.orientation)}</script>
<script>${FLAME_CLIENT}
(function () {
  var root = document.getElementById(${JSON.stringify(id)});
  function mount() {
    var api = window.heapscopeMountFlame(root, JSON.parse(root.querySelector('.flame-data').textContent), ${viewsScript()});
    window.heapscopeFlames = window.heapscopeFlames || {};
    window.heapscopeFlames[${JSON.stringify(id)}] = api;
    if (!window.heapscopeFlame) {
      window.heapscopeFlame = api;
      // Links into the page: #focus=NAME&view=VIEW&search=RE.
      var fromHash = function () {
        var h = new URLSearchParams(location.hash.slice(1));
        if (h.get('search') !== null) api.search(h.get('search'));
        if (h.get('focus') !== null) api.focus(h.get('focus'), h.get('view') || undefined);
        else if (h.get('view') !== null) api.setView(h.get('view'));
      };
      window.addEventListener('hashchange', fromHash);
      fromHash();
    }
    root.dispatchEvent(new CustomEvent('heapscope-flame-ready', { detail: api }));
  }
  ${options.deferMount ? `// After the load event and the paint that follows it.
  var later = function () { requestAnimationFrame(function () { setTimeout(mount, 0); }); };
  if (document.readyState === 'complete') later(); else window.addEventListener('load', later);` : 'mount();'}
})();
</script>
</div>`;
  return { style: FLAME_STYLE, body };
}

/** Renders the flamegraph page. */
export function renderFlameHtml(data: FlameData, orientation: Orientation): string {
  const fragment = renderFlameFragment(data, { orientation });
  return htmlPage({
    title: data.title,
    style: `
body{margin:0;background:#f8f8f8;color:#222;font:13px system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{padding:10px 12px 6px}
h1{font-size:17px;margin:0 0 2px;font-weight:600;overflow-wrap:anywhere}
.sub{color:#555}
${fragment.style}`,
    body: `<header>
<h1>${esc(data.title)}</h1>
<div class="sub">${esc(data.subtitle)}</div>
</header>
${fragment.body}`,
  });
}
