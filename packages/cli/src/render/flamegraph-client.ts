/**
 * The HTML flamegraph's style and script (flamegraph-html.ts puts them in a
 * page or a fragment). The script is plain ES2019, no modules; it defines
 * `heapscopeMountFlame(root, data, views)` once per page and mounts each
 * flamegraph fragment into its root element, finding its parts by class
 * inside that root, so a page (the report) may hold several.
 *
 * Views: top-down (the tree as embedded), inverted (bottom-up: call sites
 * at the top row, their callers below) and the sandwich of one function
 * (its callers above it, its callees below). The inverted and sandwich
 * trees and their layout come from `views` — the analyzer's
 * call-tree-views.ts and the renderer's `layoutColumns`, embedded as
 * source — so the page computes them as the Node side does.
 *
 * Drawing stays proportional to what is on screen: frames are in
 * depth-first order, so a frame's subtree is one contiguous range; drawing
 * walks the zoomed frame's range and skips subtrees narrower than half a
 * pixel or below the visible rows. Search matches narrower than that stay
 * visible: each drawn frame shows, as a magenta strip along its edge, the
 * share of its width that matched frames hold (the ancestors of sub-pixel
 * matches carry their share, as pprof's flame graph does).
 */

/** The fragment's style, every rule scoped under `.hs-flame`. */
export const FLAME_STYLE = `
.hs-flame{font:13px system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222}
.hs-flame *{box-sizing:border-box}
.hs-flame .controls{display:flex;gap:8px;align-items:center;flex-wrap:wrap;padding:0 12px 6px}
.hs-flame .controls input{font:inherit;padding:3px 6px;width:260px;border:1px solid #bbb;border-radius:3px}
.hs-flame .controls input.bad{border-color:#c00;background:#fff0f0}
.hs-flame .controls button{font:inherit;padding:3px 10px;border:1px solid #bbb;border-radius:3px;background:#fff;cursor:pointer}
.hs-flame .controls button:hover{background:#eee}
.hs-flame .controls button.on{background:#dde6f5;border-color:#7a93c2}
.hs-flame .views{display:inline-flex;gap:0}
.hs-flame .views button{border-radius:0;margin-left:-1px}
.hs-flame .views button:first-child{border-radius:3px 0 0 3px;margin-left:0}
.hs-flame .views button:last-child{border-radius:0 3px 3px 0}
.hs-flame .status{color:#444;padding:0 12px 2px;min-height:1.3em}
.hs-flame .status .error{color:#b00;font-weight:600}
.hs-flame .legend{color:#555;padding:0 12px 6px;display:flex;align-items:center;gap:6px;flex-wrap:wrap}
.hs-flame .legend .scale{display:inline-block;width:160px;height:10px;border:1px solid #aaa;background:linear-gradient(to right,rgb(45,115,255),rgb(235,235,235),rgb(255,45,45))}
.hs-flame .chart{position:relative;padding:0 12px 8px}
.hs-flame .chart h2{font-size:13px;font-weight:600;margin:4px 0;color:#333}
.hs-flame canvas{display:block;width:100%;cursor:pointer}
.hs-flame .tip{position:fixed;pointer-events:none;background:#fffff0;border:1px solid #999;border-radius:3px;padding:5px 7px;font:12px Menlo,Consolas,"DejaVu Sans Mono",monospace;max-width:640px;white-space:pre-wrap;display:none;box-shadow:0 2px 6px rgba(0,0,0,.2);z-index:20}
.hs-flame .details{padding:0 12px 12px;color:#333;font:12px Menlo,Consolas,"DejaVu Sans Mono",monospace;min-height:1.4em;white-space:pre;overflow:hidden;text-overflow:ellipsis}
`;

/** The script: defines `heapscopeMountFlame` once. */
export const FLAME_CLIENT = String.raw`
window.heapscopeMountFlame = window.heapscopeMountFlame || function (root, D, V) {
  'use strict';
  var ROW = 18, MIN_PX = 0.5, FONT = '12px Menlo, Consolas, "DejaVu Sans Mono", monospace', MATCH = 'rgb(230,0,230)';
  function $(cls) { return root.querySelector('.' + cls); }
  var tip = $('tip'), details = $('details'), status = $('status'), search = $('search');
  var mainBox = $('main'), sandBox = $('sandwich');
  // Name ranks for the layout's tie-break (names in code-unit order, as on the Node side).
  var rankOf = new Int32Array(D.names.length);
  D.names.map(function (s, i) { return i; }).sort(function (a, b) { return D.names[a] < D.names[b] ? -1 : D.names[a] > D.names[b] ? 1 : a - b; })
    .forEach(function (id, r) { rankOf[id] = r; });

  // Laid-out frames (depth-first, widest child first) with x, end of subtree, parent, self.
  function frames(depth, name, width, topIndex) {
    var N = depth.length, x = new Float64Array(N), end = new Int32Array(N), parent = new Int32Array(N), self = new Float64Array(N);
    var cursor = [], open = [], maxDepth = 0;
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
    return { N: N, depth: depth, name: name, width: width, x: x, end: end, parent: parent, self: self, maxDepth: maxDepth, top: topIndex };
  }
  // A tree as columns (parent, name, self; parents first) laid out by the shared layout.
  function framesOf(cols) {
    var n = cols.parent.length, cum = Float64Array.from(cols.self), rank = new Int32Array(n);
    for (var k = n - 1; k > 0; k--) cum[cols.parent[k]] += cum[k];
    for (k = 1; k < n; k++) rank[k] = rankOf[cols.name[k]];
    var L = V.layout(cols.parent, cum, rank), name = new Int32Array(L.order.length);
    for (k = 0; k < name.length; k++) name[k] = cols.name[L.order[k]];
    return frames(L.depth, name, L.width, null);
  }
  var topDown = frames(D.d, D.n, D.w, true);
  // The top-down tree as columns (its depth-first order is parents first).
  var columns = { parent: topDown.parent, name: topDown.name, self: topDown.self };

  function Chart(canvas, orientation) {
    this.canvas = canvas; this.ctx = canvas.getContext('2d'); this.orientation = orientation;
    this.f = null; this.zoom = 0; this.drawn = 0; this.below = null; this.cssWidth = 0; this.charWidth = 7.2;
  }
  Chart.prototype.set = function (f) { this.f = f; this.zoom = 0; this.below = matchesBelow(f); };
  Chart.prototype.rowY = function (d, height) { return this.orientation === 'icicle' ? d * ROW : height - (d + 1) * ROW; };
  Chart.prototype.draw = function () {
    var f = this.f, canvas = this.canvas, ctx = this.ctx;
    if (!f || canvas.offsetParent === null) { this.drawn = 0; return; }
    var dpr = window.devicePixelRatio || 1;
    this.cssWidth = canvas.parentNode.clientWidth - 24;
    var height = (f.maxDepth + 1) * ROW;
    canvas.style.height = height + 'px';
    canvas.width = Math.round(this.cssWidth * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#f8f8f8';
    ctx.fillRect(0, 0, this.cssWidth, height);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    this.charWidth = ctx.measureText('mmmmmmmmmm').width / 10 || 7.2;
    // Rows on screen: frames in rows outside the viewport are not drawn.
    var rect = canvas.getBoundingClientRect();
    var top = Math.max(0, -rect.top), bottom = Math.min(height, window.innerHeight - rect.top);
    var dLow, dHigh;
    if (this.orientation === 'icicle') { dLow = Math.floor(top / ROW); dHigh = Math.ceil(bottom / ROW); }
    else { dLow = Math.floor((height - bottom) / ROW); dHigh = Math.ceil((height - top) / ROW); }
    this.drawn = 0;
    for (var a = f.parent[this.zoom]; a >= 0; a = f.parent[a]) this.frame(a, 0, this.cssWidth, height, true);
    var x0 = f.x[this.zoom], scale = this.cssWidth / (f.width[this.zoom] || 1);
    for (var i = this.zoom; i < f.end[this.zoom];) {
      var pw = f.width[i] * scale;
      if (pw < MIN_PX || f.depth[i] > dHigh) { i = f.end[i]; continue; }
      if (f.depth[i] >= dLow) this.frame(i, (f.x[i] - x0) * scale, pw, height, false);
      i++;
    }
    canvas.setAttribute('data-drawn', String(this.drawn));
  };
  Chart.prototype.frame = function (i, px, pw, height, dim) {
    var f = this.f, ctx = this.ctx, y = this.rowY(f.depth[i], height);
    var matched = matchName && f.name[i] >= 0 && matchName[f.name[i]];
    ctx.fillStyle = matched ? MATCH : colour(f, i);
    ctx.globalAlpha = dim ? 0.55 : 1;
    ctx.fillRect(px, y, Math.max(pw - 1, 0.5), ROW - 1);
    // The share of this frame that matched frames below it hold (at least a pixel).
    if (!matched && this.below && this.below[i] > 0) {
      ctx.fillStyle = MATCH;
      ctx.fillRect(px, y + (this.orientation === 'icicle' ? 0 : ROW - 5), Math.max(1, Math.min(pw - 1, pw * this.below[i] / f.width[i])), 4);
    }
    var chars = Math.floor((pw - 6) / this.charWidth);
    if (chars >= 3) {
      var label = nameOf(f, i);
      if (label.length > chars) label = label.slice(0, chars - 2) + '..';
      ctx.fillStyle = matched ? '#fff' : '#000';
      ctx.fillText(label, px + 3, y + ROW / 2);
    }
    ctx.globalAlpha = 1;
    this.drawn++;
  };
  // The frame under a point: ancestors of the zoomed frame span the width;
  // below it, descend through the children that contain x.
  Chart.prototype.hit = function (mx, my) {
    var f = this.f, zoom = this.zoom;
    if (!f) return -1;
    var height = (f.maxDepth + 1) * ROW;
    var d = this.orientation === 'icicle' ? Math.floor(my / ROW) : Math.floor((height - my) / ROW);
    if (d < 0 || d > f.maxDepth) return -1;
    if (d < f.depth[zoom]) { var a = zoom; while (f.depth[a] > d) a = f.parent[a]; return a; }
    var scale = this.cssWidth / (f.width[zoom] || 1), xv = f.x[zoom] + mx / scale, cur = zoom;
    if (xv < f.x[zoom] || xv > f.x[zoom] + f.width[zoom]) return -1;
    while (f.depth[cur] < d) {
      var next = -1;
      for (var j = cur + 1; j < f.end[cur]; j = f.end[j]) {
        if (xv >= f.x[j] && xv < f.x[j] + f.width[j]) { next = j; break; }
      }
      if (next < 0) return -1;
      cur = next;
    }
    return f.width[cur] * scale >= MIN_PX ? cur : -1;
  };

  var view = 'top-down', selected = -1, matchName = null, matchedCount = 0, matchedValue = 0, searchError = '';
  var main = new Chart($('flame'), D.orientation), callers = new Chart($('callers'), 'flame'), callees = new Chart($('callees'), 'icicle');
  main.set(topDown);
  var charts = [main, callers, callees], inverted = null;

  function nameOf(f, i) { return f.name[i] < 0 ? 'all' : D.names[f.name[i]]; }
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
  function colour(f, i) {
    if (D.c && f.top) return D.palette.signed[D.c[i]];
    return f.name[i] < 0 ? 'rgb(250,220,180)' : D.palette.names[f.name[i]];
  }
  // Per frame: the value of the outermost matched frames in its subtree (0 without a search).
  function matchesBelow(f) {
    if (!matchName || !f) return null;
    var below = new Float64Array(f.N), inside = 0;
    for (var i = 1; i < f.N; i++) {
      if (i < inside || !matchName[f.name[i]]) continue;
      inside = f.end[i];
      for (var a = f.parent[i]; a >= 0; a = f.parent[a]) below[a] += f.width[i];
    }
    return below;
  }

  function describe(f, i) {
    var lines = [nameOf(f, i)], n = f.name[i];
    if (n >= 0) {
      var file = D.files[n], line = f.top && D.l ? D.l[i] : 0;
      var where = file ? file + (line > 0 ? ':' + line : line < 0 ? ' (several lines)' : '') : '';
      if (where || D.modules[n]) lines.push([where, D.modules[n]].filter(Boolean).join('  ·  '));
    }
    var total = f.width[0], chart = f === main.f ? main : f === callers.f ? callers : callees;
    var shown = f.top && D.mode === 'diff' ? D.input[i] : f.top && D.mode === 'growth' ? D.last[i] : f.width[i];
    var line1 = D.sampleType + ': ' + fmt(shown) + '  (' + pct(f.width[i], total) + ' of ' + (f.top || view === 'inverted' ? 'all' : nameOf(f, 0));
    if (chart.zoom !== 0) line1 += ', ' + pct(f.width[i], f.width[chart.zoom]) + ' of ' + nameOf(f, chart.zoom);
    lines.push(line1 + ')');
    if ((D.mode === 'plain' || !f.top) && f.self[i] >= 0.5 && i !== 0) lines.push('self: ' + fmt(f.self[i]));
    if (f.top && D.mode === 'diff') {
      var b = D.base[i], v = D.input[i];
      lines.push('base ' + fmt(b) + ' → ' + fmt(v) + '  (' + signed(v - b) + (b ? ', ' + (v >= b ? '+' : '') + (100 * (v - b) / Math.abs(b)).toFixed(1) + '%' : '') + ')');
    }
    if (f.top && D.mode === 'growth') lines.push(fmt(D.first[i]) + ' → ' + fmt(D.last[i]) + ' over ' + D.points + ' points; slope ' + signed(D.slope[i]) + ' per point');
    if (n >= 0) lines.push('click: zoom · double-click: sandwich of this function');
    return lines.join('\n');
  }

  function updateStatus() {
    var text = view === 'sandwich' ? 'sandwich: ' + D.names[selected] : 'zoom: ' + (main.zoom === 0 ? 'all' : nameOf(main.f, main.zoom) + ' (' + fmt(main.f.width[main.zoom]) + ')');
    if (matchName) text += '  ·  matched ' + matchedCount + (matchedCount === 1 ? ' frame, ' : ' frames, ') + fmt(matchedValue) + ' (' + pct(matchedValue, topDown.width[0]) + ' of all)';
    status.textContent = text;
    if (searchError) {
      var e = document.createElement('span');
      e.className = 'error';
      e.textContent = '  ·  ' + searchError;
      status.appendChild(e);
    }
    var buttons = root.querySelectorAll('.views button');
    for (var k = 0; k < buttons.length; k++) buttons[k].classList.toggle('on', buttons[k].getAttribute('data-view') === view);
  }

  function drawAll() { for (var k = 0; k < charts.length; k++) charts[k].draw(); }

  function setSearch(query) {
    matchName = null; matchedCount = 0; matchedValue = 0; searchError = '';
    if (query) {
      var re;
      try { re = new RegExp(query, 'i'); }
      catch (e) {
        // Said visibly: the query is searched as plain text instead.
        searchError = 'not a regular expression (' + String(e.message).replace(/^Invalid regular expression: /, '') + '): searching for the plain text';
        re = new RegExp(query.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&'), 'i');
      }
      matchName = D.names.map(function (s) { return re.test(s); });
      // Matched value: matched frames of the top-down tree, not counting those inside a matched frame.
      var inside = 0, f = topDown;
      for (var i = 1; i < f.N; i++) {
        if (!matchName[f.name[i]]) continue;
        matchedCount++;
        if (i >= inside) { matchedValue += f.width[i]; inside = f.end[i]; }
      }
    }
    search.classList.toggle('bad', searchError !== '');
    for (var k = 0; k < charts.length; k++) charts[k].below = matchesBelow(charts[k].f);
    updateStatus();
    drawAll();
  }

  function setView(next, fn) {
    if (next !== 'top-down' && next !== 'inverted' && next !== 'sandwich') return false;
    if (next === 'sandwich') {
      if (fn !== undefined && fn >= 0) selected = fn;
      if (selected < 0) { var z = main.f.name[main.zoom]; selected = z >= 0 ? z : main.f.N > 1 ? main.f.name[1] : -1; }
      if (selected < 0) return false;
      var s = V.sandwich(columns, selected);
      callers.set(framesOf(s.callers));
      callees.set(framesOf(s.callees));
      root.querySelector('.callers-title').textContent = 'Callers of ' + D.names[selected] + ' (root at the bottom)';
      root.querySelector('.callees-title').textContent = 'Callees of ' + D.names[selected];
    } else if (next === 'inverted') {
      inverted = inverted || framesOf(V.invert(columns));
      main.set(inverted);
      main.orientation = 'icicle';
    } else {
      main.set(topDown);
      main.orientation = D.orientation;
    }
    view = next;
    details.textContent = '';
    tip.style.display = 'none';
    mainBox.style.display = next === 'sandwich' ? 'none' : '';
    sandBox.style.display = next === 'sandwich' ? '' : 'none';
    updateStatus();
    drawAll();
    return true;
  }

  // Focus a function by its exact name: its sandwich (or, in the other
  // views, the widest of its frames zoomed), its frames highlighted.
  function focus(name, where) {
    var id = D.names.indexOf(name);
    if (id < 0) return false;
    search.value = '^' + name.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&') + '$';
    setSearch(search.value);
    var target = where || 'sandwich';
    if (target === 'sandwich') return setView('sandwich', id);
    setView(target);
    var f = main.f, best = -1;
    for (var i = 1; i < f.N; i++) if (f.name[i] === id && (best < 0 || f.width[i] > f.width[best])) best = i;
    // A name of the table with no frame in this view: nothing to focus on.
    if (best < 0) return false;
    zoomTo(main, best);
    root.scrollIntoView({ block: 'start' });
    return true;
  }

  function zoomTo(chart, i) { chart.zoom = i < 0 ? 0 : i; updateStatus(); chart.draw(); }

  charts.forEach(function (chart) {
    var canvas = chart.canvas;
    canvas.addEventListener('mousemove', function (e) {
      var r = canvas.getBoundingClientRect(), i = chart.hit(e.clientX - r.left, e.clientY - r.top);
      if (i < 0) { tip.style.display = 'none'; details.textContent = ''; return; }
      var text = describe(chart.f, i);
      tip.textContent = text;
      details.textContent = text.split('\n').slice(0, 2).join('  ·  ');
      tip.style.display = 'block';
      var left = e.clientX + 14, topPx = e.clientY + 14;
      if (left + tip.offsetWidth > window.innerWidth - 4) left = Math.max(4, e.clientX - tip.offsetWidth - 14);
      if (topPx + tip.offsetHeight > window.innerHeight - 4) topPx = Math.max(4, e.clientY - tip.offsetHeight - 14);
      tip.style.left = left + 'px';
      tip.style.top = topPx + 'px';
    });
    canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    canvas.addEventListener('click', function (e) {
      var r = canvas.getBoundingClientRect(), i = chart.hit(e.clientX - r.left, e.clientY - r.top);
      if (i >= 0) { if (chart.f.name[i] >= 0) selected = chart.f.name[i]; zoomTo(chart, i); }
    });
    canvas.addEventListener('dblclick', function (e) {
      var r = canvas.getBoundingClientRect(), i = chart.hit(e.clientX - r.left, e.clientY - r.top);
      if (i >= 0 && chart.f.name[i] >= 0) setView('sandwich', chart.f.name[i]);
    });
  });
  $('reset').addEventListener('click', function () { charts.forEach(function (c) { c.zoom = 0; }); updateStatus(); drawAll(); });
  $('flip').addEventListener('click', function () { main.orientation = main.orientation === 'icicle' ? 'flame' : 'icicle'; main.draw(); });
  var viewButtons = root.querySelectorAll('.views button');
  for (var k = 0; k < viewButtons.length; k++) {
    viewButtons[k].addEventListener('click', function () { setView(this.getAttribute('data-view')); });
  }
  search.addEventListener('input', function () { setSearch(search.value); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { if (document.activeElement === search && search.value) { search.value = ''; setSearch(''); } else { main.zoom = 0; updateStatus(); main.draw(); } }
  });
  var pending = false;
  function schedule() { if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; drawAll(); }); } }
  window.addEventListener('resize', schedule);
  window.addEventListener('scroll', schedule, { passive: true });

  function chartState(c) { return c.f ? { frames: c.f.N, drawn: c.drawn, total: c.f.width[0], zoom: nameOf(c.f, c.zoom), root: nameOf(c.f, 0), matchedBelow: c.below ? c.below[0] : 0 } : null; }
  var api = {
    state: function () {
      return {
        view: view, frames: main.f.N, drawn: main.drawn, zoom: nameOf(main.f, main.zoom), zoomIndex: main.zoom, total: topDown.width[0],
        matchedCount: matchedCount, matchedValue: matchedValue, matchedBelow: main.below ? main.below[0] : 0, searchError: searchError,
        orientation: main.orientation, selected: selected >= 0 ? D.names[selected] : null,
        callers: view === 'sandwich' ? chartState(callers) : null, callees: view === 'sandwich' ? chartState(callees) : null
      };
    },
    /** Collapsed stacks ("a;b;c" → value, root first) of the chart shown: main, callers or callees. */
    paths: function (which) {
      var c = which === 'callers' ? callers : which === 'callees' ? callees : main, f = c.f, out = {}, path = [];
      for (var i = 0; i < f.N; i++) {
        path.length = f.depth[i];
        path.push(nameOf(f, i));
        if (f.self[i] > 0) out[path.slice(1).join(';')] = f.self[i];
      }
      return out;
    },
    search: function (q) { search.value = q; setSearch(q); },
    setView: setView,
    focus: focus,
    zoomTo: function (i) { zoomTo(main, i); },
    reset: function () { zoomTo(main, 0); },
    /** Draws again: for a page that shows the flamegraph after it was hidden (a tab, a closed section). */
    redraw: drawAll,
    describe: function (i) { return describe(main.f, i); }
  };
  updateStatus();
  drawAll();
  return api;
};
`;
