/**
 * The script an SVG flamegraph embeds (in CDATA, so the file stays
 * well-formed XML): click a frame to zoom to it (its ancestors span the
 * width, dimmed; the rest is hidden), "Reset zoom" or Escape to go back,
 * "Search" for a regular expression (matching frames turn magenta; the
 * share of the width they hold is shown; an invalid expression is said so).
 *
 * It reads everything from the picture itself — each frame's `<g class="f"
 * data-d=depth>`, its rectangle's x and width, its title's first line (the
 * name) — so the static SVG is the whole truth and the script only moves
 * and recolours what is there. Frames are in depth-first order, so a
 * frame's subtree is the run of frames after it that are deeper. Plain
 * ES5 (SVG viewers' script engines vary). `window.heapscopeSvg` exposes
 * `zoom(i)`, `reset()`, `search(re)` and `state()` for tests.
 */
export const SVG_SCRIPT = String.raw`
(function () {
  'use strict';
  var MATCH = 'rgb(230,0,230)';
  var root = document.getElementById('hs-frames');
  if (!root) return;
  var SIDE = +root.getAttribute('data-side'), PLOT = +root.getAttribute('data-plot'), ROW = +root.getAttribute('data-row'), CHAR = +root.getAttribute('data-char');
  var resetButton = document.getElementById('hs-reset'), searchButton = document.getElementById('hs-search'), matchedText = document.getElementById('hs-matched');
  var gs = root.getElementsByTagName('g'), frames = [], open = [], zoomed = -1, query = '', matchedShare = 0, searchError = '';
  for (var i = 0; i < gs.length; i++) {
    var g = gs[i];
    if (g.getAttribute('class') !== 'f') continue;
    var rect = g.getElementsByTagName('rect')[0], title = g.getElementsByTagName('title')[0];
    var f = { g: g, rect: rect, label: g.getElementsByTagName('text')[0] || null, depth: +g.getAttribute('data-d'),
      x: +rect.getAttribute('x'), w: +rect.getAttribute('width') + 0.5, fill: rect.getAttribute('fill'),
      name: title.textContent.split('\n')[0], parent: -1, end: 0 };
    var k = frames.length;
    while (open.length && frames[open[open.length - 1]].depth >= f.depth) frames[open.pop()].end = k;
    f.parent = open.length ? open[open.length - 1] : -1;
    open.push(k);
    frames.push(f);
  }
  while (open.length) frames[open.pop()].end = frames.length;

  function labelFor(f, w) {
    var chars = Math.floor((w - 6) / CHAR);
    if (chars < 3) { if (f.label) f.label.setAttribute('display', 'none'); return; }
    if (!f.label) {
      f.label = document.createElementNS(root.namespaceURI, 'text');
      f.label.setAttribute('y', String(+f.rect.getAttribute('y') + ROW - 5));
      f.g.appendChild(f.label);
    }
    f.label.removeAttribute('display');
    f.label.setAttribute('x', (+f.rect.getAttribute('x') + 3).toFixed(1));
    f.label.textContent = f.name.length <= chars ? f.name : f.name.slice(0, chars - 2) + '..';
  }
  function place(f, x, w, shown, dim) {
    f.g.setAttribute('display', shown ? 'inline' : 'none');
    if (!shown) return;
    f.g.setAttribute('opacity', dim ? '0.5' : '1');
    f.rect.setAttribute('x', x.toFixed(1));
    f.rect.setAttribute('width', Math.max(w - 0.5, 0.1).toFixed(1));
    labelFor(f, w);
  }
  function isAncestor(a, b) { for (var p = frames[b].parent; p >= 0; p = frames[p].parent) if (p === a) return true; return false; }
  function zoom(i) {
    var z = frames[i];
    if (!z) return;
    zoomed = i;
    var scale = PLOT / z.w;
    for (var j = 0; j < frames.length; j++) {
      var f = frames[j];
      if (j >= i && j < z.end) place(f, SIDE + (f.x - z.x) * scale, f.w * scale, true, false);
      else if (isAncestor(j, i)) place(f, SIDE, PLOT, true, true);
      else place(f, 0, 0, false, false);
    }
    resetButton.setAttribute('class', i === 0 ? 'c hidden' : 'c');
  }
  function reset() {
    zoomed = -1;
    for (var j = 0; j < frames.length; j++) place(frames[j], frames[j].x, frames[j].w, true, false);
    resetButton.setAttribute('class', 'c hidden');
  }
  function search(q) {
    query = q || ''; searchError = ''; matchedShare = 0;
    var re = null;
    if (query) {
      try { re = new RegExp(query, 'i'); }
      catch (e) { searchError = 'not a regular expression: ' + query; }
    }
    var inside = 0, matched = 0;
    for (var j = 0; j < frames.length; j++) {
      var f = frames[j], hit = re !== null && f.parent >= 0 && re.test(f.name);
      f.rect.setAttribute('fill', hit ? MATCH : f.fill);
      if (hit && j >= inside) { matched += f.w; inside = f.end; }
    }
    matchedShare = frames.length ? matched / frames[0].w : 0;
    matchedText.textContent = searchError ? searchError : re ? 'Matched: ' + (100 * matchedShare).toFixed(1) + '%' : '';
    matchedText.setAttribute('fill', searchError ? '#b00' : '#444');
  }
  for (var n = 0; n < frames.length; n++) {
    (function (index) { frames[index].g.addEventListener('click', function () { zoom(index); }); })(n);
    frames[n].g.setAttribute('cursor', 'pointer');
  }
  resetButton.addEventListener('click', reset);
  searchButton.setAttribute('class', 'c');
  searchButton.addEventListener('click', function () {
    var q = window.prompt('Search frames (regular expression)', query);
    if (q !== null) search(q);
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') reset(); });
  window.heapscopeSvg = {
    zoom: zoom, reset: reset, search: search,
    state: function () {
      var shown = 0;
      for (var j = 0; j < frames.length; j++) if (frames[j].g.getAttribute('display') !== 'none') shown++;
      return { frames: frames.length, shown: shown, zoom: zoomed >= 0 ? frames[zoomed].name : 'all', matchedShare: matchedShare, searchError: searchError };
    },
    frameIndex: function (name) { for (var j = 0; j < frames.length; j++) if (frames[j].name === name) return j; return -1; }
  };
})();
`;
