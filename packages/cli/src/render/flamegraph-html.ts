/**
 * A self-contained, interactive HTML flamegraph: one file with the data as
 * JSON and a small script, drawn on a canvas — no network, no external
 * script, style or font.
 *
 * Interaction: click a frame to zoom to it (click an ancestor bar or press
 * Escape / "Reset zoom" to go back), type in the search box to highlight
 * frames whose name matches (a regular expression, or plain text when it is
 * not one) with the matched total and share, hover for a tooltip with the
 * value and its share of the whole and of the zoomed frame, flip between
 * flame (root at the bottom) and icicle (root at the top).
 *
 * Staying responsive on large profiles (the 32k-stack benchmark has about
 * 100k frames): frames are stored in depth-first order, so a frame's
 * subtree is one contiguous range; drawing walks only the zoomed frame's
 * range, skips whole subtrees whose frame is narrower than half a pixel or
 * below the visible rows, and hit-testing descends from the zoomed frame.
 * A redraw therefore costs what is on screen, not the profile's size.
 *
 * `window.heapscopeFlame` exposes the state (frames drawn, zoom, matches)
 * for tests and scripting.
 */
import { assertFinite, formatValue } from '@heapscope/analyzer';
import { layoutTree } from './flamegraph-layout.js';
import { nameColour, signedPalette, signedStep } from './flamegraph-colour.js';
import type { FlameData, Orientation } from './flame-data.js';

/** Keeps 3 decimals below 100 and integers above: enough for drawing and tooltips, and compact. */
function compact(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

/** JSON text made safe inside a `<script>` element. */
function scriptJson(json: string): string {
  // Scanning 2 MB for characters that are almost never there is cheaper than replacing.
  return /[<\u2028\u2029]/.test(json) ? json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : json;
}

function htmlEscape(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
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
    palette: colour ? signedPalette() : tree.names.map(nameColour),
    total: formatValue(data.width[0] ?? 0, data.sampleType.unit),
  });
  // Per frame, depth-first: depth, name id, width, colour step (self widths
  // are the width minus the children's, computed by the page).
  const arrays: [string, string | undefined][] = [
    ['d', `[${layout.depth.join(',')}]`],
    ['n', ints((node) => (node === 0 ? -1 : tree.name[node]))],
    ['w', numbers(data.width)],
    ['c', colour ? ints((node) => signedStep(colour[node])) : undefined],
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

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:13px system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;background:#f8f8f8;color:#222}
header{padding:10px 12px 6px}
h1{font-size:17px;margin:0 0 2px;font-weight:600}
.sub{color:#555;margin-bottom:8px}
.controls{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.controls input{font:inherit;padding:3px 6px;width:260px;border:1px solid #bbb;border-radius:3px}
.controls button{font:inherit;padding:3px 10px;border:1px solid #bbb;border-radius:3px;background:#fff;cursor:pointer}
.controls button:hover{background:#eee}
#status{color:#444}
#legend{color:#555}
#chart{position:relative;padding:0 12px 12px}
canvas{display:block;width:100%;cursor:pointer}
#tip{position:fixed;pointer-events:none;background:#fffff0;border:1px solid #999;border-radius:3px;padding:5px 7px;font:12px Menlo,Consolas,"DejaVu Sans Mono",monospace;max-width:640px;white-space:pre-wrap;display:none;box-shadow:0 2px 6px rgba(0,0,0,.2);z-index:2}
#details{padding:0 12px 12px;color:#333;font:12px Menlo,Consolas,"DejaVu Sans Mono",monospace;min-height:1.4em;white-space:pre}
`;

/** The page's script (plain ES2019, no modules). */
const CLIENT = String.raw`
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('flame-data').textContent);
  var N = D.d.length, depth = D.d, width = D.w, nameOf = D.n, self = new Float64Array(N);
  var ROW = 18, MIN_PX = 0.5, FONT = '12px Menlo, Consolas, "DejaVu Sans Mono", monospace';
  var canvas = document.getElementById('flame'), ctx = canvas.getContext('2d');
  var tip = document.getElementById('tip'), details = document.getElementById('details');
  var status = document.getElementById('status'), search = document.getElementById('search');
  var orientation = D.orientation;
  // Layout: start of each frame from the widths (children start where their parent does).
  var x = new Float64Array(N), end = new Int32Array(N), parent = new Int32Array(N), maxDepth = 0;
  var cursor = [], open = [];
  for (var i = 0; i < N; i++) {
    var d = depth[i];
    x[i] = d === 0 ? 0 : cursor[d];
    cursor[d] = x[i] + width[i];
    cursor[d + 1] = x[i];
    while (open.length > d) end[open.pop()] = i;
    parent[i] = d > 0 ? open[d - 1] : -1;
    self[i] += width[i];
    if (d > 0) self[parent[i]] -= width[i];
    open.push(i);
    if (d > maxDepth) maxDepth = d;
  }
  while (open.length) end[open.pop()] = N;
  var zoom = 0, matchName = null, matchedCount = 0, matchedValue = 0, drawn = 0, charWidth = 7.2, cssWidth = 0;

  function name(i) { return nameOf[i] < 0 ? 'all' : D.names[nameOf[i]]; }
  function fmt(v) {
    if (D.unit === 'bytes') {
      var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], a = Math.abs(v), k = 0;
      while (a >= 1024 && k < u.length - 1) { a /= 1024; k++; }
      return (v < 0 ? '-' : '') + (k === 0 ? Math.round(a) : a.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2)) + ' ' + u[k];
    }
    var r = Math.round(v), s = String(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return (r < 0 ? '-' : '') + s;
  }
  function signed(v) { return (v > 0 ? '+' : '') + fmt(v); }
  function pct(part, whole) { return whole ? (100 * part / whole).toFixed(1) + '%' : '-'; }
  function colour(i) {
    if (D.c) return D.palette[D.c[i]];
    return nameOf[i] < 0 ? 'rgb(250,220,180)' : D.palette[nameOf[i]];
  }
  function rowY(d, height) { return orientation === 'icicle' ? d * ROW : height - (d + 1) * ROW; }

  function draw() {
    var dpr = window.devicePixelRatio || 1;
    cssWidth = canvas.parentNode.clientWidth - 24;
    var height = (maxDepth + 1) * ROW;
    canvas.style.height = height + 'px';
    canvas.width = Math.round(cssWidth * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#f8f8f8';
    ctx.fillRect(0, 0, cssWidth, height);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    charWidth = ctx.measureText('mmmmmmmmmm').width / 10 || 7.2;
    // Rows on screen: frames in rows outside the viewport are not drawn.
    var rect = canvas.getBoundingClientRect();
    var top = Math.max(0, -rect.top), bottom = Math.min(height, window.innerHeight - rect.top);
    var dLow, dHigh;
    if (orientation === 'icicle') { dLow = Math.floor(top / ROW); dHigh = Math.ceil(bottom / ROW); }
    else { dLow = Math.floor((height - bottom) / ROW); dHigh = Math.ceil((height - top) / ROW); }
    drawn = 0;
    for (var a = parent[zoom]; a >= 0; a = parent[a]) drawFrame(a, 0, cssWidth, height, true);
    var x0 = x[zoom], scale = cssWidth / (width[zoom] || 1);
    for (var i = zoom; i < end[zoom];) {
      var pw = width[i] * scale;
      if (pw < MIN_PX || depth[i] > dHigh) { i = end[i]; continue; }
      if (depth[i] >= dLow) drawFrame(i, (x[i] - x0) * scale, pw, height, false);
      i++;
    }
    canvas.setAttribute('data-drawn', String(drawn));
  }

  function drawFrame(i, px, pw, height, dim) {
    var y = rowY(depth[i], height);
    var matched = matchName && nameOf[i] >= 0 && matchName[nameOf[i]];
    ctx.fillStyle = matched ? 'rgb(230,0,230)' : colour(i);
    ctx.globalAlpha = dim ? 0.55 : 1;
    ctx.fillRect(px, y, Math.max(pw - 1, 0.5), ROW - 1);
    var chars = Math.floor((pw - 6) / charWidth);
    if (chars >= 3) {
      var label = name(i);
      if (label.length > chars) label = label.slice(0, chars - 2) + '..';
      ctx.fillStyle = matched ? '#fff' : '#000';
      ctx.fillText(label, px + 3, y + ROW / 2);
    }
    ctx.globalAlpha = 1;
    drawn++;
  }

  // The frame under a point: ancestors of the zoomed frame span the width;
  // below it, descend through the children that contain x.
  function hit(mx, my) {
    var height = (maxDepth + 1) * ROW;
    var d = orientation === 'icicle' ? Math.floor(my / ROW) : Math.floor((height - my) / ROW);
    if (d < 0 || d > maxDepth) return -1;
    if (d < depth[zoom]) { var a = zoom; while (depth[a] > d) a = parent[a]; return a; }
    var scale = cssWidth / (width[zoom] || 1), xv = x[zoom] + mx / scale, cur = zoom;
    if (xv < x[zoom] || xv > x[zoom] + width[zoom]) return -1;
    while (depth[cur] < d) {
      var next = -1;
      for (var j = cur + 1; j < end[cur]; j = end[j]) {
        if (xv >= x[j] && xv < x[j] + width[j]) { next = j; break; }
      }
      if (next < 0) return -1;
      cur = next;
    }
    return width[cur] * scale >= MIN_PX ? cur : -1;
  }

  function describe(i) {
    var lines = [name(i)];
    var n = nameOf[i];
    if (n >= 0 && (D.files[n] || D.modules[n])) lines.push([D.files[n], D.modules[n]].filter(Boolean).join('  ·  '));
    var shown = D.mode === 'diff' ? D.input[i] : D.mode === 'growth' ? D.last[i] : width[i];
    var line = D.sampleType + ': ' + fmt(shown) + '  (' + pct(width[i], width[0]) + ' of all';
    if (zoom !== 0) line += ', ' + pct(width[i], width[zoom]) + ' of ' + name(zoom);
    lines.push(line + ')');
    if (D.mode === 'plain' && self[i] >= 0.5 && i !== 0) lines.push('self: ' + fmt(self[i]));
    if (D.mode === 'diff') {
      var b = D.base[i], v = D.input[i];
      lines.push('base ' + fmt(b) + ' → ' + fmt(v) + '  (' + signed(v - b) + (b ? ', ' + (v >= b ? '+' : '') + (100 * (v - b) / Math.abs(b)).toFixed(1) + '%' : '') + ')');
    }
    if (D.mode === 'growth') {
      lines.push(fmt(D.first[i]) + ' → ' + fmt(D.last[i]) + ' over ' + D.points + ' points; slope ' + signed(D.slope[i]) + ' per point');
    }
    return lines.join('\n');
  }

  function updateStatus() {
    var text = 'zoom: ' + (zoom === 0 ? 'all' : name(zoom) + ' (' + fmt(width[zoom]) + ')');
    if (matchName) text += '  ·  matched ' + matchedCount + ' frames, ' + fmt(matchedValue) + ' (' + pct(matchedValue, width[0]) + ' of all)';
    status.textContent = text;
  }

  function setSearch(query) {
    matchName = null; matchedCount = 0; matchedValue = 0;
    if (query) {
      var re;
      try { re = new RegExp(query, 'i'); } catch (e) { re = new RegExp(query.replace(/[.*+?^${'$'}{}()|[\]\\]/g, '\\$&'), 'i'); }
      matchName = D.names.map(function (s) { return re.test(s); });
      // Matched value: frames that match, not counting those inside a matched frame.
      var inside = 0;
      for (var i = 1; i < N; i++) {
        if (i < inside) { if (matchName[nameOf[i]]) matchedCount++; continue; }
        if (matchName[nameOf[i]]) { matchedCount++; matchedValue += width[i]; inside = end[i]; }
      }
    }
    updateStatus();
    draw();
  }

  function zoomTo(i) { zoom = i < 0 ? 0 : i; updateStatus(); draw(); }

  canvas.addEventListener('mousemove', function (e) {
    var r = canvas.getBoundingClientRect(), i = hit(e.clientX - r.left, e.clientY - r.top);
    if (i < 0) { tip.style.display = 'none'; details.textContent = ''; return; }
    var text = describe(i);
    tip.textContent = text;
    details.textContent = text.split('\n')[0];
    tip.style.display = 'block';
    var left = e.clientX + 14, topPx = e.clientY + 14;
    if (left + tip.offsetWidth > window.innerWidth - 4) left = Math.max(4, e.clientX - tip.offsetWidth - 14);
    if (topPx + tip.offsetHeight > window.innerHeight - 4) topPx = Math.max(4, e.clientY - tip.offsetHeight - 14);
    tip.style.left = left + 'px';
    tip.style.top = topPx + 'px';
  });
  canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  canvas.addEventListener('click', function (e) {
    var r = canvas.getBoundingClientRect(), i = hit(e.clientX - r.left, e.clientY - r.top);
    if (i >= 0) zoomTo(i);
  });
  document.getElementById('reset').addEventListener('click', function () { zoomTo(0); });
  document.getElementById('flip').addEventListener('click', function () { orientation = orientation === 'icicle' ? 'flame' : 'icicle'; draw(); });
  search.addEventListener('input', function () { setSearch(search.value); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { if (document.activeElement === search && search.value) { search.value = ''; setSearch(''); } else zoomTo(0); }
    if ((e.ctrlKey || e.metaKey) && e.key === 'f') { e.preventDefault(); search.focus(); }
  });
  var pending = false;
  function schedule() { if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; draw(); }); } }
  window.addEventListener('resize', schedule);
  window.addEventListener('scroll', schedule, { passive: true });

  window.heapscopeFlame = {
    state: function () {
      return { frames: N, drawn: drawn, zoom: name(zoom), zoomIndex: zoom, matchedCount: matchedCount, matchedValue: matchedValue, total: width[0], orientation: orientation };
    },
    search: setSearch,
    zoomTo: zoomTo,
    reset: function () { zoomTo(0); },
    describe: describe
  };
  updateStatus();
  draw();
})();
`;

/** Renders the flamegraph page. */
export function renderFlameHtml(data: FlameData, orientation: Orientation): string {
  const legend =
    data.mode === 'diff'
      ? 'red: grew, blue: shrank (deeper = larger change); width: the larger of base and input'
      : data.mode === 'growth'
        ? `red: growing, blue: shrinking over ${data.points} points (least-squares slope); width: the last point`
        : 'click a frame to zoom, Escape to reset; search takes a regular expression';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="heapscope">
<title>${htmlEscape(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${htmlEscape(data.title)}</h1>
<div class="sub">${htmlEscape(data.subtitle)}</div>
<div class="controls">
<input id="search" type="search" placeholder="Search (regular expression)" autocomplete="off" spellcheck="false">
<button id="reset" type="button">Reset zoom</button>
<button id="flip" type="button">Flip</button>
<span id="status"></span>
</div>
<div id="legend">${htmlEscape(legend)}</div>
</header>
<div id="chart"><canvas id="flame"></canvas></div>
<div id="details"></div>
<div id="tip"></div>
<script type="application/json" id="flame-data">${flameJson(data, orientation)}</script>
<script>${CLIENT}</script>
</body>
</html>
`;
}
