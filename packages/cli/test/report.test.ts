/**
 * `heapscope report`, looked at as a person would, in real headless
 * Chromium: reports of a jemalloc series, a perf trace and the Android
 * record_allocs trace of the corpus open from file:// without a request to
 * anywhere, draw memory over time with the series the analyses give, sort
 * their tables, and focus the flamegraph on a clicked row; the flamegraph
 * inside the report toggles to inverted and searches; the waste tables
 * under it carry `heapscope waste`'s numbers. Screenshots at
 * 1400×900 go to packages/cli/test-output/report/ (git-ignored) for a
 * person to look at; the tests check what can be checked of them (text in
 * the charts inside the picture, tick labels that do not overlap).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { formatBytes, loadProfile, loadProfiles, memoryOfTrace, seriesOrder, type FragmentationReport, type SizeClassWasteReport } from '@heapscope/analyzer';
import { CORPUS, FIXTURES, REPO } from '@heapscope/testkit/paths';
import { fixtureFiles } from '@heapscope/testkit/inputs';
import { runCli } from './run-cli.js';
import { HAVE_CHROMIUM, chromiumSkipNote, withPage } from './browser.js';

chromiumSkipNote();
const scratch = mkdtempSync(join(tmpdir(), 'heapscope-report-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const SHOTS = resolve(REPO, 'packages/cli/test-output/report');
mkdirSync(SHOTS, { recursive: true });

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const SERIES = fixtureFiles('jemalloc/all', /\.m\d+\.heap$/);
const PERF = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
const ANDROID = join(CORPUS, 'android-record-allocs', 'systemui.zip');
const VIEWPORT = { width: 1400, height: 900 };
const FRAGMENT_BIN = join(FIXTURES, 'waste', 'bin', 'fragment-sites');
const FRAGMENT = join(FIXTURES, 'waste', 'fragment');

interface Area {
  name: string;
  values: number[];
}

/** Writes a report; returns its path and the JSON summary. */
async function report(name: string, args: string[]): Promise<{ path: string; summary: Record<string, unknown> }> {
  const path = join(scratch, `${name}.html`);
  const r = await runCli(['report', '--quiet', '--format', 'json', '-o', path, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { path, summary: JSON.parse(r.stdout) };
}

/** Opens a report, failing on a page error or on any request that is not the file itself. */
async function open(page: Page, errors: string[], path: string): Promise<void> {
  const requests: string[] = [];
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith('file://') && !url.startsWith('about:') && !url.startsWith('data:')) requests.push(url);
  });
  await page.goto(`file://${path}`);
  await page.waitForFunction(() => (window as unknown as { heapscopeReport?: { flameReady(): boolean } }).heapscopeReport?.flameReady() === true);
  expect(requests).toEqual([]);
  expect(errors).toEqual([]);
}

/** The memory chart's areas and axis, from the DOM. */
async function chart(page: Page): Promise<{ axis: string; areas: Area[] }> {
  return page.evaluate(() => {
    const svg = document.querySelector('svg.memory-chart') as SVGSVGElement;
    const areas = [...svg.querySelectorAll('path.area')].map((p) => ({ name: p.getAttribute('data-series') as string, values: (p.getAttribute('data-values') as string).split(',').map(Number) }));
    return { axis: svg.getAttribute('data-axis') as string, areas };
  });
}

/**
 * What a person would see wrong in the chart: text that runs outside the
 * picture, and tick labels of one axis that overlap.
 */
async function chartTextProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const svg = document.querySelector('svg.memory-chart') as SVGSVGElement;
    const box = svg.viewBox.baseVal;
    const problems: string[] = [];
    const texts = [...svg.querySelectorAll('text')] as SVGTextElement[];
    for (const t of texts) {
      const b = t.getBBox();
      if (b.x < box.x - 0.5 || b.y < box.y - 0.5 || b.x + b.width > box.x + box.width + 0.5 || b.y + b.height > box.y + box.height + 0.5) problems.push(`cut off: ${t.textContent}`);
    }
    // Labels on one line (same y): none may overlap its neighbour.
    const rows = new Map<number, DOMRect[]>();
    for (const t of texts) {
      const b = t.getBBox();
      const key = Math.round(b.y);
      rows.set(key, [...(rows.get(key) ?? []), b]);
    }
    for (const [y, boxes] of rows) {
      boxes.sort((a, b) => a.x - b.x);
      for (let i = 1; i < boxes.length; i++) if (boxes[i].x < boxes[i - 1].x + boxes[i - 1].width - 0.5) problems.push(`overlap at y=${y}`);
    }
    return problems;
  });
}

/** Clicks a row of a table (the first by default) and returns the site it names and the flamegraph's zoom then. */
async function clickFirstRow(page: Page, table: string, index = 0): Promise<{ site: string; zoom: string; focused: boolean; status: string }> {
  const row = page.locator(`#${table} tbody tr[data-site]`).nth(index);
  const site = (await row.getAttribute('data-site')) as string;
  await row.locator('td').nth(1).click();
  return page.evaluate(
    (s) => {
      const state = (window as unknown as { heapscopeReport: { state(): { flame: { zoom: string } } } }).heapscopeReport.state();
      const tr = document.querySelector(`tr.focused`);
      return { site: s, zoom: state.flame.zoom, focused: tr?.getAttribute('data-site') === s, status: document.getElementById('flame-status')?.textContent ?? '' };
    },
    site,
  );
}

interface FlameState {
  view: string;
  zoom: string;
  orientation: string;
  drawn: number;
  matchedCount: number;
  matchedValue: number;
  searchError: string;
}
type FlameApi = { state(): FlameState; paths(chart?: string): Record<string, number> };
const reportFlame = 'window.heapscopeFlames[document.querySelector("#flame .hs-flame").id]';
const flameState = (page: Page): Promise<FlameState> => page.evaluate(`${reportFlame}.state()`) as Promise<FlameState>;

/**
 * Toggles the report's flamegraph to inverted by its button and back:
 * the API's view, the button shown pressed, a canvas drawn anew, and the
 * inverted paths are the top-down paths read leaf first. A row clicked in
 * the inverted view zooms to its site there.
 */
async function toggleInverted(page: Page): Promise<void> {
  const canvas = () => page.evaluate(() => (document.querySelector('#flame .hs-flame canvas.flame') as HTMLCanvasElement).toDataURL());
  const before = { state: await flameState(page), paths: (await page.evaluate(`${reportFlame}.paths()`)) as Record<string, number>, canvas: await canvas() };
  expect(before.state.view).toBe('top-down');
  await page.locator('#flame .hs-flame .views button[data-view="inverted"]').click();
  const after = await flameState(page);
  expect(after).toMatchObject({ view: 'inverted', orientation: 'icicle' });
  expect(after.drawn).toBeGreaterThan(0);
  expect(await page.locator('#flame .hs-flame .views button.on').textContent()).toBe('Inverted');
  expect(await canvas()).not.toBe(before.canvas);
  const inverted = (await page.evaluate(`${reportFlame}.paths()`)) as Record<string, number>;
  const expected = Object.fromEntries(Object.entries(before.paths).map(([path, v]) => [path.split(';').reverse().join(';'), v]));
  expect(Object.keys(inverted).sort()).toEqual(Object.keys(expected).sort());
  for (const [path, v] of Object.entries(expected)) expect(inverted[path]).toBeCloseTo(v, 3);
  const clicked = await clickFirstRow(page, 'top-table');
  expect(clicked).toMatchObject({ zoom: clicked.site, focused: true });
  expect((await flameState(page)).view).toBe('inverted');
  await page.locator('#flame .hs-flame .views button[data-view="top-down"]').click();
  expect(await flameState(page)).toMatchObject({ view: 'top-down', orientation: 'flame' });
}

/** A table's header cells, and per row its site and its cells' sort values (the exact numbers of numeric columns). */
async function tableData(page: Page, id: string): Promise<{ heads: string[]; rows: { site: string; values: string[] }[] }> {
  return page.evaluate((t) => {
    const table = document.getElementById(t) as HTMLTableElement;
    const heads = [...table.tHead!.rows[0].cells].map((c) => c.textContent as string);
    const rows = [...table.tBodies[0].rows].map((tr) => ({ site: tr.getAttribute('data-site') as string, values: [...tr.cells].map((c) => c.getAttribute('data-v') as string) }));
    return { heads, rows };
  }, id);
}

/** `heapscope waste --format json` of the same inputs, with as many sites as the report's tables show. */
async function wasteJson(args: string[]): Promise<{ sizeClasses: SizeClassWasteReport | null; sizeClassesUnavailable: string | null; fragmentation: FragmentationReport | null }> {
  const r = await runCli(['waste', '--quiet', '--format', 'json', '-n', '50', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

/** The report's size-class waste table and its totals are `heapscope waste`'s, number for number. */
async function expectSizeClassWaste(page: Page, expected: SizeClassWasteReport): Promise<void> {
  const { heads, rows } = await tableData(page, 'waste-table');
  expect(heads).toEqual(['site', 'requests', 'requested', ...expected.allocators]);
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.map((r) => r.site)).toEqual(expected.sites.map((s) => s.name));
  rows.forEach((r, i) => {
    const s = expected.sites[i];
    expect(r.values.slice(1).map(Number)).toEqual([s.count, s.requestedBytes, ...expected.allocators.map((a) => s.waste[a])]);
  });
  const intro = (await page.locator('#waste p.note').first().textContent()) as string;
  for (const a of expected.allocators) expect(intro).toContain(`${a} ${formatBytes(expected.total.waste[a])}`);
}

/** The report's fragmentation table is `heapscope waste DUMP STATS`'s: pinned (±), live, per site in its order. */
async function expectFragmentation(page: Page, expected: FragmentationReport): Promise<void> {
  const { heads, rows } = await tableData(page, 'fragmentation-table');
  const sampled = heads.includes('±');
  expect(rows.map((r) => r.site)).toEqual(expected.sites.map((s) => s.name));
  rows.forEach((r, i) => {
    const s = expected.sites[i];
    expect(r.values.slice(1, sampled ? 4 : 3).map(Number)).toEqual(sampled ? [s.pinnedBytes, s.pinnedStderr, s.liveBytes] : [s.pinnedBytes, s.liveBytes]);
  });
}

/** Sorts a table by a column (clicking its heading) and returns the column's sort values in row order. */
async function sortBy(page: Page, table: string, column: number): Promise<number[]> {
  await page.locator(`#${table} thead th`).nth(column).click();
  return page.evaluate(([t, c]) => [...document.querySelectorAll(`#${t} tbody tr`)].map((tr) => Number((tr as HTMLTableRowElement).cells[c as number].getAttribute('data-v'))), [table, column] as const);
}

/** Screenshots of the page at 1400×900: the first screen, each section, and the whole page. */
async function screenshots(page: Page, kind: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${kind}.png`) });
  for (const id of ['summary', 'memory', 'top', 'growth', 'churn', 'sizes', 'flame', 'waste']) {
    await page.locator(`#${id}`).screenshot({ path: join(SHOTS, `${kind}-${id}.png`) });
  }
  await page.screenshot({ path: join(SHOTS, `${kind}-full.png`), fullPage: true });
  expect(readFileSync(join(SHOTS, `${kind}-memory.png`)).length).toBeGreaterThan(10_000);
}

/** Nothing the page would fetch: no external script, style, font or image; the flamegraph in the page itself, its data once. */
function checkSelfContained(html: string): void {
  expect(html).not.toMatch(/<iframe\b/i);
  expect(html.match(/<script type="application\/json" class="flame-data">/g)?.length).toBe(1);
  expect(html.match(/<!DOCTYPE html>/g)?.length).toBe(1);
  expect(html).not.toMatch(/<(script|img|iframe)[^>]*\ssrc=/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
}

describe('heapscope report', () => {
  it('sampled dumps: top and growth carry the ± columns the text shows, with its values; exact dumps none', async () => {
    /** A table's header cells and its rows' cells (text), from the page. */
    const tableOf = (html: string, id: string) => {
      const t = new RegExp(`<table class="sortable" id="${id}">([\\s\\S]*?)</table>`).exec(html)![1];
      const cells = (row: string, tag: string) => [...row.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1].replace(/<[^>]+>/g, ''));
      const [head, ...rows] = [...t.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
      return { head: cells(head, 'th'), rows: rows.map((r) => cells(r, 'td')) };
    };
    const sampled = fixtureFiles('jemalloc/sampled', /\.m\d+\.heap$/);
    const { path } = await report('sampled', ['--symbols', WORKLOAD, ...sampled]);
    const html = readFileSync(path, 'utf8');
    const top = tableOf(html, 'top-table');
    expect(top.head.slice(0, 3)).toEqual(['site', 'flat', '±']);
    const text = await runCli(['top', '-n', '0', '--symbols', WORKLOAD, sampled[sampled.length - 1]]);
    const leakLine = text.stdout.split('\n').find((l) => l.endsWith(' leak_site'))!.trim().split(/\s{2,}/);
    expect(top.rows.find((r) => r[0] === 'leak_site')!.slice(1, 3)).toEqual(leakLine.slice(0, 2));
    const growth = tableOf(html, 'growth-table');
    expect(growth.head).toEqual(['site', 'over the series', 'delta', '±', 'slope / point', '±', 'r²', 'trend']);
    const g = JSON.parse((await runCli(['growth', '--format', 'json', '--symbols', WORKLOAD, ...sampled])).stdout);
    const leak = g.rows.find((r: { name: string }) => r.name === 'leak_site');
    expect(growth.rows.find((r) => r[0] === 'leak_site')!.slice(2, 6)).toEqual([`+${formatBytes(leak.delta)}`, `±${formatBytes(leak.noise)}`, `+${formatBytes(leak.slope)}`, `±${formatBytes(leak.slopeNoise)}`]);
    // Every allocation recorded: no ± column.
    const exact = readFileSync((await report('exact', ['--symbols', WORKLOAD, ...SERIES])).path, 'utf8');
    expect(tableOf(exact, 'top-table').head).not.toContain('±');
    expect(tableOf(exact, 'growth-table').head).not.toContain('±');
  });

  it('--format json says what was written: path, bytes and inputs', async () => {
    const { path, summary } = await report('summary', [PERF]);
    expect(summary.path).toBe(path);
    expect(summary.format).toBe('html');
    expect(summary.bytes).toBe(readFileSync(path).length);
    expect(summary.inputs).toEqual([PERF]);
    checkSelfContained(readFileSync(path, 'utf8'));
  });

  it('allocator statistics with the heap dumps of the run: diagnose\'s verdict in the summary', async () => {
    const dir = join(FIXTURES, 'stats', 'jemalloc', 'leak');
    const dumps = fixtureFiles('stats/jemalloc/leak/heap', /\.heap$/);
    const { path, summary } = await report('stats', [join(dir, 'jemalloc-stats.txt.gz'), join(dir, 'proc.txt'), ...dumps]);
    expect(summary.profiles).toBe(dumps.length + 2);
    const html = readFileSync(path, 'utf8');
    expect(html).toMatch(/<b>diagnose<\/b> leak: allocated grew/);
    expect(html).toMatch(/<b>grew most<\/b> \S+ grew/);
  });

  it('refuses a trace with dumps, and statistics alone (no page written)', async () => {
    expect((await runCli(['report', '-o', join(scratch, 'x.html'), PERF, SERIES[0]])).stderr).toMatch(/one event trace, or heap dumps/);
    const stats = join(FIXTURES, 'stats', 'glibc', 'leak', 'malloc-info.xml');
    const r = await runCli(['report', '-o', join(scratch, 'y.html'), stats]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs a heap dump or an event trace/);
    expect(existsSync(join(scratch, 'y.html'))).toBe(false);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('heapscope report in headless Chromium', () => {
  it('a jemalloc series: one point per dump, growth colours, sorting, a row focuses the flamegraph', async () => {
    const { path } = await report('jemalloc-series', ['--symbols', WORKLOAD, ...SERIES]);
    const html = readFileSync(path, 'utf8');
    checkSelfContained(html);
    // The series as the analyzer sees it: each point's total is the dump's in-use bytes.
    const loaded = await loadProfiles(SERIES);
    const ordered = seriesOrder(loaded.map((l) => l.profile)).indexes.map((i) => loaded[i].profile);
    await withPage(async (page, errors) => {
      await open(page, errors, path);
      const { axis, areas } = await chart(page);
      expect(axis).toBe('dumps');
      expect(areas[0].name).toBe('leak_site');
      expect(areas[0].values).toEqual([1, 2, 3, 4, 5].map((m) => m * 1048576));
      ordered.forEach((p, i) => expect(areas.reduce((s, a) => s + a.values[i], 0)).toBeCloseTo(p.total(p.sampleTypeIndex('inuse_space')), -1));
      expect(await chartTextProblems(page)).toEqual([]);
      expect(await page.locator('#summary .verdicts').textContent()).toMatch(/grew most\s*leak_site grew 1\.00 MiB per point/);
      expect(await page.locator('#flame').textContent()).toMatch(/shrinking.*growing/);
      // Sorting: flat descending on the first click, ascending on the second.
      const desc = await sortBy(page, 'top-table', 1);
      expect(desc).toEqual([...desc].sort((a, b) => b - a));
      const asc = await sortBy(page, 'top-table', 1);
      expect(asc).toEqual([...desc].reverse());
      await sortBy(page, 'top-table', 1);
      const clicked = await clickFirstRow(page, 'growth-table');
      expect(clicked).toMatchObject({ site: 'leak_site', zoom: 'leak_site', focused: true });
      // The flamegraph's own search still works inside the report.
      await page.locator('#flame .hs-flame .search').fill('steady');
      expect(await page.locator('#flame .hs-flame .status').textContent()).toMatch(/matched 1 frame, /);
      const searched = await flameState(page);
      expect(searched).toMatchObject({ matchedCount: 1, searchError: '' });
      // The match is steady_site: its share is its last-dump value in the top table.
      expect(searched.matchedValue).toBeCloseTo(Number(await page.locator('#top-table tr[data-site="steady_site"] td').nth(1).getAttribute('data-v')), 0);
      await page.locator('#flame .hs-flame .search').fill('steady(');
      expect(await page.locator('#flame .hs-flame .status .error').textContent()).toMatch(/not a regular expression/);
      await page.locator('#flame .hs-flame .search').fill('');
      await toggleInverted(page);
      await screenshots(page, 'jemalloc-series');
      // A row clicked before the flamegraph is ready: focused once it is.
      await page.goto(`file://${path}`, { waitUntil: 'domcontentloaded' });
      // (The flamegraph mounts after the load event, so this focus normally waits; either way it must end focused.)
      await page.evaluate(() => (window as unknown as { heapscopeReport: { focus(n: string): boolean } }).heapscopeReport.focus('steady_site'));
      await page.waitForFunction(() => (window as unknown as { heapscopeReport: { state(): { flame: { zoom: string } | null } } }).heapscopeReport.state().flame?.zoom === 'steady_site');
    }, VIEWPORT);
  }, 60_000);

  it('a perf trace: x in seconds, the series of the analysis, allocation rate and temporaries, a row focuses the flamegraph', async () => {
    const { path } = await report('perf-trace', ['--windows', '40', '--symbols', WORKLOAD, PERF]);
    const { trace } = await loadProfile(PERF, { windows: 40, symbolize: true, symbols: [WORKLOAD] });
    const expected = memoryOfTrace(trace!);
    await withPage(async (page, errors) => {
      await open(page, errors, path);
      const { axis, areas } = await chart(page);
      expect(axis).toBe('seconds');
      expect(areas.map((a) => a.name)).toEqual(expected.series.map((s) => s.name));
      expect(areas[0].values.length).toBe(41);
      const last = areas.reduce((s, a) => s + a.values[40], 0);
      expect(last).toBeCloseTo(trace!.report.liveBytes, -1);
      const panels = await page.evaluate(() => [...document.querySelectorAll('svg.memory-chart g.panel')].map((g) => g.getAttribute('data-panel')));
      expect(panels).toEqual(['allocation rate (bytes per second)', 'temporary allocations per window']);
      expect(await chartTextProblems(page)).toEqual([]);
      expect(await page.locator('#summary .verdicts').textContent()).toMatch(/peak.*grew most.*churn/s);
      const clicked = await clickFirstRow(page, 'top-table');
      expect(clicked.zoom).toBe(clicked.site);
      expect(clicked.focused).toBe(true);
      await toggleInverted(page);
      // Waste under the flamegraph: heapscope waste's numbers (perf records exact requested sizes); no fragmentation for a trace.
      const waste = await wasteJson(['--symbols', WORKLOAD, PERF]);
      await expectSizeClassWaste(page, waste.sizeClasses!);
      expect(await page.locator('#waste').textContent()).toMatch(/fragmentation per site needs a heap dump .* an event trace has no bins/);
      // A waste row focuses the flamegraph on its site when the flamegraph (live bytes) has it; a site with nothing live says so.
      const live = new Set((await tableData(page, 'top-table')).rows.map((r) => r.site));
      const index = waste.sizeClasses!.sites.findIndex((s) => live.has(s.name));
      expect(index).toBeGreaterThanOrEqual(0);
      const wasteRow = await clickFirstRow(page, 'waste-table', index);
      expect(wasteRow).toMatchObject({ site: waste.sizeClasses!.sites[index].name, zoom: waste.sizeClasses!.sites[index].name, focused: true });
      const gone = waste.sizeClasses!.sites.findIndex((s) => !live.has(s.name));
      if (gone >= 0) expect((await clickFirstRow(page, 'waste-table', gone)).status).toMatch(/not a frame of the flamegraph/);
      // Churn rows carry their lifetime histograms.
      expect(await page.locator('#churn-table svg.hist').count()).toBeGreaterThan(0);
      const sizes = await sortBy(page, 'sizes-table', 0);
      expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
      await screenshots(page, 'perf-trace');
    }, VIEWPORT);
  }, 60_000);

  it('waste beside the flamegraph, dumps with their allocator statistics: fragmentation per site (and size-class waste with requested sizes) as heapscope waste says', async () => {
    const cases = [
      { name: 'waste-jemalloc', dump: join(FRAGMENT, 'jemalloc', 'jeprof.12295.0.m0.heap'), stats: join(FRAGMENT, 'jemalloc', 'jemalloc-stats.json') },
      { name: 'waste-tcmalloc', dump: join(FRAGMENT, 'tcmalloc', 'fragment-sites.0001.heap'), stats: join(FRAGMENT, 'tcmalloc', 'tcmalloc-stats.txt') },
    ];
    for (const c of cases) {
      const { path } = await report(c.name, ['--symbols', FRAGMENT_BIN, c.stats, c.dump]);
      const waste = await wasteJson(['--symbols', FRAGMENT_BIN, c.dump, c.stats]);
      await withPage(async (page, errors) => {
        await open(page, errors, path);
        await expectFragmentation(page, waste.fragmentation!);
        expect((await tableData(page, 'fragmentation-table')).rows[0].site).toBe('survivor_site');
        if (waste.sizeClasses) await expectSizeClassWaste(page, waste.sizeClasses);
        else {
          // A jemalloc dump records usable sizes: the page says why there is no size-class table.
          expect(await page.locator('#waste-table').count()).toBe(0);
          expect(await page.locator('#waste').textContent()).toMatch(/size-class waste: not known: .*records usable sizes/);
        }
        const row = await clickFirstRow(page, 'fragmentation-table');
        expect(row).toMatchObject({ site: 'survivor_site', zoom: 'survivor_site', focused: true });
        if (c.name === 'waste-tcmalloc') await page.locator('#waste').screenshot({ path: join(SHOTS, `${c.name}.png`) });
      }, VIEWPORT);
    }
    // A dump without statistics: the page says what the fragmentation needs.
    const { path } = await report('waste-no-stats', ['--symbols', FRAGMENT_BIN, cases[0].dump]);
    expect(readFileSync(path, 'utf8')).toMatch(/fragmentation per site needs the allocator&#39;s statistics taken with the dump/);
  }, 90_000);

  it.skipIf(!existsSync(ANDROID))('the Android record_allocs trace (corpus): x in operations, sites by thread, a thread row says it is not a frame', async () => {
    const { path } = await report('android-record-allocs', [ANDROID]);
    await withPage(async (page, errors) => {
      await open(page, errors, path);
      const { axis, areas } = await chart(page);
      expect(axis).toBe('operations');
      expect(areas.length).toBe(9);
      expect(areas[8].name).toBe('other');
      expect(await chartTextProblems(page)).toEqual([]);
      expect(await page.locator('#summary').textContent()).toMatch(/sites by thread/);
      // Threads are not frames of a trace without stacks: the page says so rather than zooming anywhere.
      const clicked = await clickFirstRow(page, 'top-table');
      expect(clicked.zoom).toBe('all');
      expect(clicked.status).toMatch(/not a frame of the flamegraph/);
      await screenshots(page, 'android-record-allocs');
    }, VIEWPORT);
  }, 90_000);
});
