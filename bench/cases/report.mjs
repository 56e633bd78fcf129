/**
 * `heapscope report` of the 20 MiB jemalloc dump with 32k stacks (issue 20):
 * the page must stay under 10 MB and be interactive within a second in
 * Chromium.
 *
 * The timed commands write the page (with and without symbolization). The
 * verify hook opens the page in real headless Chromium (playwright-core,
 * /usr/bin/chromium, a fresh profile) five times and measures, from the
 * start of navigation: first contentful paint, the load event, and the
 * moment the flamegraph inside it has mounted (a standalone flamegraph:
 * drawn); then three interactions: a scroll to the flamegraph until it has
 * drawn its rows on screen and painted, a click on the first row of the top
 * table until the flamegraph is zoomed to its site and has painted, and a
 * click on a column heading until the table is sorted and painted. The page is
 * interactive at its load event: its summary, chart and tables are drawn
 * and respond; the flamegraph (a fragment of the page) mounts after it (a
 * row clicked before then is focused once it is). For comparison, the standalone HTML
 * flamegraph of the same dump is opened the same way. It fails the run when
 * the page is 10 MB or more, or the median load event, scroll, row click
 * or sort takes over 1000 ms; the time until the flamegraph has mounted is recorded
 * beside the standalone page's, with the machine's load average.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { HEAPSCOPE_BIN, ROOT } from '../lib/exec.mjs';
import { outputs } from '../generate/jemalloc-32k.mjs';

const { heap, binary } = outputs;
const OUT = 'bench/out/report';
mkdirSync(path.join(ROOT, OUT), { recursive: true });
const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const files = {
  html: `${OUT}/jemalloc-32k.report.html`,
  htmlRaw: `${OUT}/jemalloc-32k.nosym.report.html`,
  flame: `${OUT}/jemalloc-32k.flamegraph.html`,
};
const CHROMIUM = process.env.HEAPSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const MAX_BYTES = 10 * 1000 * 1000;
const MAX_MS = 1000;
const RUNS = 5;

const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One visit: load timings and (for a report) two interactions, in ms. */
async function visit(chromium, file, standaloneFlame = false) {
  const profile = mkdtempSync(path.join(tmpdir(), 'heapscope-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    // The report's flamegraph is below the first screen: it draws the rows on screen, none until it is scrolled to.
    if (standaloneFlame) await page.waitForFunction(() => window.heapscopeFlame?.state().drawn > 0);
    else await page.waitForFunction(() => window.heapscopeReport?.flameReady());
    const load = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return { fcp: fcp ? fcp.startTime : null, load: nav.loadEventEnd, ready: performance.now() };
    });
    if (standaloneFlame) return load;
    // Each interaction: from the event to the next frame painted after it.
    const scrollMs = await page.evaluate(
      () =>
        new Promise((done, fail) => {
          const t0 = performance.now();
          document.getElementById('flame').scrollIntoView({ block: 'start' });
          requestAnimationFrame(() =>
            setTimeout(() => {
              if (!(window.heapscopeReport.state().flame.drawn > 0)) fail(new Error('the flamegraph did not draw when scrolled to'));
              done(performance.now() - t0);
            }, 0),
          );
        }),
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    const focusMs = await page.evaluate(
      () =>
        new Promise((done) => {
          const row = document.querySelector('#top-table tbody tr[data-site]');
          const t0 = performance.now();
          row.cells[1].click();
          const site = row.getAttribute('data-site');
          if (window.heapscopeReport.state().flame.zoom !== site) throw new Error(`the flamegraph did not focus ${site}`);
          requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
        }),
    );
    const sortMs = await page.evaluate(
      () =>
        new Promise((done) => {
          const th = document.querySelector('#top-table thead th:nth-child(4)');
          const t0 = performance.now();
          th.click();
          requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
        }),
    );
    if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
    return { ...load, scrollMs, focusMs, sortMs };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

export default {
  name: 'report',
  title: 'heapscope report -o x.html (20 MB jemalloc dump, 32k stacks): size, and time to interactive in Chromium',
  inputs: ['jemalloc-32k'],
  tools: { chromium: [CHROMIUM, '--version'] },
  baseline: 'heapscope report',
  commands: [
    { label: 'heapscope report', role: 'heapscope', argv: heapscope('report', '--symbols', binary, '-o', files.html, heap) },
    { label: 'heapscope report --no-symbolize', role: 'heapscope', argv: heapscope('report', '--no-symbolize', '-o', files.htmlRaw, heap) },
    { label: 'heapscope flamegraph -o x.html (for comparison)', role: 'heapscope', argv: heapscope('flamegraph', '--symbols', binary, '-o', files.flame, heap) },
  ],

  async verify() {
    const notes = [];
    const { chromium } = await import('playwright-core');
    const before = loadavg()[0];
    const flameRuns = [];
    for (let i = 0; i < RUNS; i++) flameRuns.push(await visit(chromium, path.join(ROOT, files.flame), true));
    const fm = (k) => median(flameRuns.map((r) => r[k]));
    for (const file of [files.html, files.htmlRaw]) {
      const bytes = statSync(path.join(ROOT, file)).size;
      if (bytes >= MAX_BYTES) throw new Error(`${file} is ${fmt(bytes)} bytes: over the 10 MB limit`);
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await visit(chromium, path.join(ROOT, file)));
      const m = (k) => median(runs.map((r) => r[k]));
      const over = ['load', 'scrollMs', 'focusMs', 'sortMs'].filter((k) => m(k) > MAX_MS);
      if (over.length > 0) throw new Error(`${file}: medians over ${MAX_MS} ms: ${over.map((k) => `${k} ${fmt(m(k))} ms`).join(', ')}`);
      notes.push(
        `\`${file}\`: ${fmt(bytes)} bytes. In Chromium at 1400×900, median of ${RUNS} fresh launches: first contentful paint ${fmt(m('fcp'))} ms, ` +
          `load event (interactive: summary, chart and tables drawn and responding) ${fmt(m('load'))} ms, flamegraph mounted ${fmt(m('ready'))} ms after navigation start; ` +
          `scroll to the flamegraph until it has drawn and painted ${fmt(m('scrollMs'))} ms, click on a top row until the flamegraph is focused and painted ${fmt(m('focusMs'))} ms, click on a heading until the table is sorted and painted ${fmt(m('sortMs'))} ms.`,
      );
    }
    notes.push(
      `For comparison, the standalone \`heapscope flamegraph -o x.html\` page of the same dump (${fmt(statSync(path.join(ROOT, files.flame)).size)} bytes), opened the same way: ` +
        `first contentful paint ${fmt(fm('fcp'))} ms, load event ${fmt(fm('load'))} ms, flamegraph drawn ${fmt(fm('ready'))} ms. ` +
        `Load average (1 min) ${before.toFixed(1)} before the visits, ${loadavg()[0].toFixed(1)} after, on ${cpus().length} cores shared with other work.`,
    );
    return notes;
  },
};
