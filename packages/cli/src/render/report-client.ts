/**
 * The report page's style and script (plain ES2019, no modules, nothing
 * fetched): sortable tables, and rows that focus the flamegraph on their
 * site. `window.heapscopeReport` exposes the state for tests and scripting.
 */

/** The page's style sheet. */
export const REPORT_STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;background:#f6f8fa;color:#24292f}
header.top{background:#24292f;color:#fff;padding:12px 20px;position:sticky;top:0;z-index:3;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header.top h1{font-size:18px;margin:0;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:60%}
header.top nav a{color:#c9d1d9;margin-right:14px;text-decoration:none}
header.top nav a:hover{color:#fff;text-decoration:underline}
main{padding:8px 20px 40px;max-width:1600px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:16px 0;padding:12px 16px}
section h2{font-size:16px;margin:0 0 8px}
section h3{font-size:14px;margin:14px 0 6px}
.note{color:#57606a}
.verdicts{margin:6px 0 10px;padding-left:0;list-style:none}
.verdicts li{margin:4px 0}
.verdicts b{display:inline-block;min-width:110px}
.warnings{color:#9a6700;margin:6px 0;padding-left:18px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:3px 8px;border-bottom:1px solid #eaeef2;vertical-align:middle}
th{background:#f6f8fa;text-align:left;cursor:pointer;user-select:none;white-space:nowrap;position:sticky;top:0}
th.num,td.num{text-align:right}
th.sorted-asc::after{content:" \\25B2";font-size:10px}
th.sorted-desc::after{content:" \\25BC";font-size:10px}
td.text{max-width:560px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
tbody tr{cursor:pointer}
tbody tr:hover{background:#f3f8ff}
tbody tr.focused{background:#ddf4ff}
a.focus{color:#0969da;text-decoration:none;font-family:Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px}
.scroll{max-height:520px;overflow:auto;border:1px solid #eaeef2}
.bar{display:inline-block;width:160px;height:10px;background:#eaeef2;vertical-align:middle;margin-right:6px}
.bar span{display:block;height:100%;background:#0969da}
.bar.bytes span{background:#bf3989}
.barlabel{color:#57606a;font-size:12px;display:inline-block;min-width:44px;text-align:right}
.chart{overflow-x:auto}
.chart svg{max-width:100%;height:auto}
.inputs td{vertical-align:top}
.inputs td.text{max-width:420px}
.inputs td.totals{white-space:normal;color:#57606a}
section{scroll-margin-top:56px}
.hs-flame{scroll-margin-top:56px;margin:0 -12px}
#flame-status{color:#57606a;margin-left:12px}
`;

/** The page's script. */
export const REPORT_CLIENT = String.raw`
(function () {
  'use strict';
  var flameRoot = document.querySelector('#flame .hs-flame');
  var status = document.getElementById('flame-status');
  var focused = null, pending = null;

  function flame() { return flameRoot && window.heapscopeFlames ? window.heapscopeFlames[flameRoot.id] : undefined; }

  // Focus: the flamegraph's focus on the site's function, in the view shown
  // (top-down or inverted: its widest frame zoomed; sandwich: its sandwich),
  // every frame of it highlighted.
  function focus(name) {
    focused = name;
    var rows = document.querySelectorAll('tr[data-site]');
    for (var i = 0; i < rows.length; i++) rows[i].classList.toggle('focused', rows[i].getAttribute('data-site') === name);
    var f = flame();
    // Before the flamegraph is mounted: focus once it is.
    if (!f) { pending = name; status.textContent = 'the flamegraph is still loading'; return false; }
    var view = f.state().view, found = f.focus(name, view), now = f.state();
    // A thread of a trace without stacks, or a site with nothing in the
    // flamegraph's sample type (all of it freed): no frame to show.
    if (!found || (view === 'sandwich' ? now.selected !== name : now.zoom !== name)) {
      f.search(''); f.reset();
      status.textContent = name + ': not a frame of the flamegraph';
      return false;
    }
    status.textContent = 'focused on ' + name;
    return true;
  }

  function sortTable(table, col, descending) {
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var th = table.tHead.rows[0].cells[col], numeric = th.classList.contains('num');
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
      var c = numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
      return descending ? -c : c;
    });
    for (var i = 0; i < rows.length; i++) body.appendChild(rows[i]);
    var heads = table.tHead.rows[0].cells;
    for (var k = 0; k < heads.length; k++) heads[k].classList.remove('sorted-asc', 'sorted-desc');
    th.classList.add(descending ? 'sorted-desc' : 'sorted-asc');
  }

  var tables = document.querySelectorAll('table.sortable');
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      function go() {
        // Numbers sort largest first on the first click, text A to Z.
        var desc = th.classList.contains('sorted-desc') ? false : th.classList.contains('sorted-asc') ? true : th.classList.contains('num');
        sortTable(table, col, desc);
      }
      th.addEventListener('click', go);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
    });
    table.tBodies[0].addEventListener('click', function (e) {
      var tr = e.target.closest('tr[data-site]');
      if (!tr) return;
      e.preventDefault();
      focus(tr.getAttribute('data-site'));
    });
  });

  if (flameRoot) flameRoot.addEventListener('heapscope-flame-ready', function () {
    if (pending !== null) { var p = pending; pending = null; focus(p); }
  });

  window.heapscopeReport = {
    focus: focus,
    sort: function (id, col, descending) { sortTable(document.getElementById(id), col, descending); },
    state: function () {
      var f = flame();
      return { focused: focused, flame: f ? f.state() : null };
    },
    flameReady: function () { return !!flame(); }
  };
})();
`;
