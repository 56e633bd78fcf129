/**
 * The HTML flamegraph's views and search in real headless Chromium, as a
 * person uses them: the inverted toggle and the sandwich of a function
 * (checked path by path against the analyzer's call-tree-views.ts, which
 * the page runs by its source), file:line in tooltips, a valid and an
 * invalid search, matches under a pixel wide made visible through their
 * ancestors, and focusing a function by the URL hash; the SVG
 * flamegraph's click-to-zoom and search, its legend, and its validity as
 * XML (xmllint) and as a static picture (no script run). Screenshots at
 * 1400×900 go to packages/cli/test-output/flamegraph/ for a person to
 * look at.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { INUSE_SPACE } from '@heapscope/parser';
import { invertTree, plainFlame, sandwichTrees, type TreeColumns } from '@heapscope/analyzer';
import { buildProfile } from '@heapscope/testkit/build-profile';
import { FIXTURES, REPO } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { runCli } from './run-cli.js';
import { HAVE_CHROMIUM, chromiumSkipNote, withPage } from './browser.js';
import { renderFlameHtml } from '../src/render/flamegraph-html.js';

chromiumSkipNote();

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-flame-views-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** Screenshots kept for a person (and CI artifacts); ignored by git. */
const SHOTS = join(REPO, 'packages', 'cli', 'test-output', 'flamegraph');
mkdirSync(SHOTS, { recursive: true });
const VIEWPORT = { width: 1400, height: 900 };

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const SERIES_FIRST = fixtureFile('jemalloc/all', /\.0\.m0\.heap$/);
const HAVE_XMLLINT = spawnSync('xmllint', ['--version']).status === 0;
if (!HAVE_XMLLINT) console.warn('[heapscope tests] no xmllint (apt-get install libxml2-utils; scripts/setup.sh does): SVG validity checks are skipped');
const JEMALLOC = fixtureFile('jemalloc/all', /\.f\.heap$/);

interface FlameApi {
  state(): Record<string, unknown> & { view: string; matchedCount: number; matchedValue: number; matchedBelow: number; searchError: string; zoom: string; selected: string | null };
  paths(chart?: string): Record<string, number>;
  setView(view: string): boolean;
  focus(name: string, view?: string): boolean;
  search(q: string): void;
}
const state = (page: Page) => page.evaluate(() => (window as unknown as { heapscopeFlame: FlameApi }).heapscopeFlame.state());
const pagePaths = (page: Page, chart?: string) => page.evaluate((c) => (window as unknown as { heapscopeFlame: FlameApi }).heapscopeFlame.paths(c), chart);

/** Root-first paths below a tree's root, with their self values (as the page's `paths`). */
function analyzerPaths(cols: TreeColumns, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let n = 1; n < cols.parent.length; n++) {
    if (cols.self[n] <= 0) continue;
    const path: string[] = [];
    for (let k = n; k > 0; k = cols.parent[k]) path.unshift(names[cols.name[k]]);
    out[path.join(';')] = cols.self[n];
  }
  if (cols.self[0] > 0) out[''] = cols.self[0];
  return out;
}

/** Pixels of the search colour in a canvas. */
function magenta(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel) as HTMLCanvasElement;
    const { data } = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] === 230 && data[i + 1] === 0 && data[i + 2] === 230) n++;
    return n;
  }, selector);
}

/** The symbolized jemalloc fixture's HTML flamegraph, written by the CLI. */
async function jemallocPage(name: string): Promise<string> {
  const out = join(scratch, name);
  const r = await runCli(['flamegraph', '-o', out, '--symbols', WORKLOAD, JEMALLOC]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** Where a frame is drawn in the main chart: its centre, in page coordinates. */
async function frameCentre(page: Page, name: string): Promise<{ x: number; y: number }> {
  const box = await page.evaluate(() => {
    const r = (document.querySelector('#flame canvas.flame') as HTMLCanvasElement).getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  });
  // Scan rows and columns with the page's own tooltip text.
  for (let y = box.y + 9; y < box.y + box.height; y += 18) {
    for (let x = box.x + 4; x < box.x + box.width; x += 12) {
      await page.mouse.move(x, y);
      const tip = (await page.textContent('#flame .tip')) ?? '';
      if (tip.split('\n')[0] === name) return { x, y };
    }
  }
  throw new Error(`no frame ${name}`);
}

describe.skipIf(!HAVE_CHROMIUM)('HTML flamegraph views in headless Chromium', () => {
  it('toggles inverted and opens the sandwich of a function, as the analyzer computes them', async () => {
    const p = buildProfile([
      { stack: ['malloc', 'c', 'b', 'a', 'main'], bytes: 10 },
      { stack: ['malloc', 'b', 'a', 'main'], bytes: 20 },
      { stack: ['malloc', 'c', 'main'], bytes: 5 },
      { stack: ['malloc', 'b', 'c', 'b', 'main'], bytes: 7 },
    ]);
    const flame = plainFlame(p, INUSE_SPACE);
    const out = join(scratch, 'views.html');
    writeFileSync(out, renderFlameHtml({ ...flame, title: 'views', subtitle: 'recursive' }, 'flame'));
    const cols = { parent: flame.tree.parent, name: flame.tree.name, self: flame.selfWidth };
    const names = flame.tree.names;
    await withPage(async (page, errors) => {
      await page.goto(`file://${out}`);
      expect((await state(page)).view).toBe('top-down');
      await page.click('#flame button[data-view=inverted]');
      expect((await state(page)).view).toBe('inverted');
      expect(await pagePaths(page)).toEqual(analyzerPaths(invertTree(cols), names));
      expect(await pagePaths(page)).toEqual({ 'c;b;a;main': 10, 'b;a;main': 20, 'c;main': 5, 'b;c;b;main': 7 });
      // Double-click a frame: the sandwich of its function.
      const b = await frameCentre(page, 'b');
      await page.mouse.dblclick(b.x, b.y);
      const s = await state(page);
      expect(s.view).toBe('sandwich');
      expect(s.selected).toBe('b');
      const want = sandwichTrees(cols, names.indexOf('b'));
      expect(await pagePaths(page, 'callers')).toEqual(analyzerPaths(want.callers, names));
      expect(await pagePaths(page, 'callees')).toEqual(analyzerPaths(want.callees, names));
      expect(s.callers).toMatchObject({ total: 37, root: 'b' });
      expect(s.callees).toMatchObject({ total: 37, root: 'b' });
      await page.click('#flame button[data-view=top-down]');
      expect((await state(page)).view).toBe('top-down');
      expect(errors).toEqual([]);
    }, VIEWPORT);
  });

  it('on a symbolized dump: file:line in tooltips, inverted, sandwich, searches valid and invalid', async () => {
    const out = await jemallocPage('jemalloc.html');
    await withPage(async (page, errors) => {
      await page.goto(`file://${out}`);
      await page.screenshot({ path: join(SHOTS, 'top-down.png') });
      // The tooltip names the frame's file and line.
      const leak = await frameCentre(page, 'leak_site');
      await page.mouse.move(leak.x, leak.y);
      expect(await page.textContent('#flame .tip')).toMatch(/^leak_site\n\S*workload\.c:\d+ {2}· {2}workload\n/);
      await page.screenshot({ path: join(SHOTS, 'tooltip.png') });

      await page.click('#flame button[data-view=inverted]');
      const inverted = await pagePaths(page);
      // Call sites come first: leak_site's 5 MiB under the root, held through main.
      expect(inverted['leak_site;main;__libc_start_call_main;__libc_start_main_impl;_start']).toBe(5242880);
      await page.screenshot({ path: join(SHOTS, 'inverted.png') });

      await page.click('#flame button[data-view=sandwich]');
      expect((await state(page)).view).toBe('sandwich');
      await page.evaluate(() => (window as unknown as { heapscopeFlame: FlameApi }).heapscopeFlame.focus('worker_main'));
      const s = await state(page);
      expect(s.selected).toBe('worker_main');
      expect((s.callers as { total: number }).total).toBe((s.callees as { total: number }).total);
      await page.screenshot({ path: join(SHOTS, 'sandwich.png') });

      await page.click('#flame button[data-view=top-down]');
      await page.fill('#flame .search', 'leak_|odd_size');
      let st = await state(page);
      expect(st.searchError).toBe('');
      expect(st.matchedCount).toBe(2);
      expect(st.matchedValue).toBe(5242880 + 2560000);
      expect(await magenta(page, '#flame canvas.flame')).toBeGreaterThan(500);
      expect(await page.getAttribute('#flame .search', 'class')).not.toMatch(/\bbad\b/);

      // An invalid expression is said so, and the text is searched as it is.
      await page.fill('#flame .search', 'leak_(');
      st = await state(page);
      expect(st.searchError).toMatch(/not a regular expression/);
      expect(await page.textContent('#flame .status .error')).toMatch(/not a regular expression \(.*\): searching for the plain text/);
      expect(await page.getAttribute('#flame .search', 'class')).toMatch(/\bbad\b/);
      expect(await page.isVisible('#flame .status .error')).toBe(true);
      expect(st.matchedCount).toBe(0);
      await page.screenshot({ path: join(SHOTS, 'invalid-search.png') });
      await page.fill('#flame .search', '');
      expect((await state(page)).searchError).toBe('');
      expect(errors).toEqual([]);
    }, VIEWPORT);
  });

  it('shows matches under a pixel wide as the share of the frames that hold them', async () => {
    // 3000 callers of `needle`, each one byte next to a megabyte: every needle frame is far under a pixel.
    const samples = [{ stack: ['malloc', 'big', 'main'], bytes: 1_000_000 }];
    for (let i = 0; i < 3000; i++) samples.push({ stack: ['malloc', 'needle', `caller_${i}`, 'main'], bytes: 1 });
    const flame = plainFlame(buildProfile(samples), INUSE_SPACE);
    const out = join(scratch, 'needles.html');
    writeFileSync(out, renderFlameHtml({ ...flame, title: 'needles', subtitle: '3000 one-byte matches' }, 'flame'));
    await withPage(async (page, errors) => {
      await page.goto(`file://${out}`);
      expect(await magenta(page, '#flame canvas.flame')).toBe(0);
      await page.fill('#flame .search', '^needle$');
      const st = await state(page);
      expect(st.matchedCount).toBe(3000);
      expect(st.matchedValue).toBe(3000);
      // The root and main carry the matched share: a strip of at least a pixel each.
      expect(st.matchedBelow).toBe(3000);
      const pixels = await magenta(page, '#flame canvas.flame');
      expect(pixels).toBeGreaterThanOrEqual(8);
      await page.screenshot({ path: join(SHOTS, 'sub-pixel-matches.png') });
      await page.fill('#flame .search', '^nothing$');
      expect(await magenta(page, '#flame canvas.flame')).toBe(0);
      expect(errors).toEqual([]);
    }, VIEWPORT);
  });

  it('carries a colour legend on a diff page, and its views still work there', async () => {
    const out = join(scratch, 'diff.html');
    const r = await runCli(['flamegraph', '-o', out, '--symbols', WORKLOAD, '--base', SERIES_FIRST, JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    await withPage(async (page, errors) => {
      await page.goto(`file://${out}`);
      expect(await page.isVisible('#flame .legend .scale')).toBe(true);
      expect(await page.textContent('#flame .legend')).toMatch(/^shrank.*grew· deeper colour = larger change; width: the larger of base and input/);
      await page.screenshot({ path: join(SHOTS, 'diff-legend.png') });
      expect(await page.evaluate(() => (window as unknown as { heapscopeFlame: FlameApi }).heapscopeFlame.focus('leak_site'))).toBe(true);
      expect((await state(page)).callers).toMatchObject({ root: 'leak_site', total: 5242880 });
      expect(errors).toEqual([]);
    }, VIEWPORT);
  });

  it('focuses a function from the URL hash: its sandwich, or its widest frame zoomed', async () => {
    const out = await jemallocPage('hash.html');
    await withPage(async (page, errors) => {
      await page.goto(`file://${out}#focus=steady_site`);
      let st = await state(page);
      expect(st.view).toBe('sandwich');
      expect(st.selected).toBe('steady_site');
      expect(st.matchedCount).toBe(1);
      expect(await page.textContent('#flame .status')).toMatch(/matched 1 frame, /);
      await page.evaluate(() => (location.hash = '#focus=leak_site&view=top-down'));
      await page.waitForFunction(() => (window as unknown as { heapscopeFlame: FlameApi }).heapscopeFlame.state().zoom === 'leak_site');
      st = await state(page);
      expect(st.view).toBe('top-down');
      await page.screenshot({ path: join(SHOTS, 'focused.png') });
      expect(await page.evaluate(() => (window as unknown as { heapscopeFlame: FlameApi }).heapscopeFlame.focus('no_such_function'))).toBe(false);
      expect(await page.evaluate(() => (window as unknown as { heapscopeFlame: FlameApi }).heapscopeFlame.setView('no_such_view'))).toBe(false);
      expect((await state(page)).view).toBe('top-down');
      expect(errors).toEqual([]);
    }, VIEWPORT);
  });
});

interface SvgApi {
  state(): { frames: number; shown: number; zoom: string; matchedShare: number; searchError: string };
  frameIndex(name: string): number;
}
const svgState = (page: Page) => page.evaluate(() => (window as unknown as { heapscopeSvg: SvgApi }).heapscopeSvg.state());

describe('the SVG flamegraph', () => {
  const diffSvg = join(scratch, 'diff.svg');
  const plainSvg = join(scratch, 'plain.svg');

  it('is well-formed XML with its script in CDATA, a legend on diff pictures and none on plain ones', async () => {
    expect((await runCli(['flamegraph', '-o', plainSvg, '--symbols', WORKLOAD, JEMALLOC])).code).toBe(0);
    expect((await runCli(['flamegraph', '-o', diffSvg, '--symbols', WORKLOAD, '--base', SERIES_FIRST, JEMALLOC])).code).toBe(0);
    const diff = readFileSync(diffSvg, 'utf8');
    const plain = readFileSync(plainSvg, 'utf8');
    expect(diff).toMatch(/<g class="legend"><text class="s" [^>]*>shrank<\/text>/);
    expect(diff).toMatch(/>grew · deeper = larger change; width: the larger of base and input<\/text>/);
    expect(plain).not.toContain('class="legend"');
    expect(plain).toMatch(/<script type="text\/ecmascript"><!\[CDATA\[[\s\S]*\]\]><\/script>\n<\/svg>\n$/);
    // The controls are hidden in the file itself: a viewer that runs no script shows none.
    expect(plain).toMatch(/<text id="hs-search" class="c hidden"/);
    if (HAVE_XMLLINT) {
      for (const file of [plainSvg, diffSvg]) {
        const lint = spawnSync('xmllint', ['--noout', file], { encoding: 'utf8' });
        expect(lint.status, lint.stderr).toBe(0);
      }
    }
  });

  it.skipIf(!HAVE_CHROMIUM)('zooms on click and searches in Chromium, and is a whole picture without its script', async () => {
    expect((await runCli(['flamegraph', '-o', plainSvg, '--symbols', WORKLOAD, JEMALLOC])).code).toBe(0);
    expect((await runCli(['flamegraph', '-o', diffSvg, '--symbols', WORKLOAD, '--base', SERIES_FIRST, JEMALLOC])).code).toBe(0);
    await withPage(async (page, errors) => {
      await page.goto(`file://${diffSvg}`);
      const all = await svgState(page);
      expect(all).toMatchObject({ zoom: 'all', matchedShare: 0 });
      expect(all.shown).toBe(all.frames);
      await page.screenshot({ path: join(SHOTS, 'svg-diff.png') });
      // Click worker_main's rectangle: it spans the width, its callers dim, everything else hides.
      const rect = page.locator('g.f', { has: page.locator('title', { hasText: /^worker_main\n/ }) }).locator('rect');
      await rect.click();
      const zoomed = await svgState(page);
      expect(zoomed.zoom).toBe('worker_main');
      expect(zoomed.shown).toBeLessThan(all.shown);
      expect(Number(await rect.getAttribute('width'))).toBeGreaterThan(1150);
      expect(await page.isVisible('#hs-reset')).toBe(true);
      await page.screenshot({ path: join(SHOTS, 'svg-zoomed.png') });
      // Search through the Search control's prompt.
      page.once('dialog', (d) => void d.accept('^leak_site$'));
      await page.click('#hs-search');
      await page.waitForFunction(() => (window as unknown as { heapscopeSvg: SvgApi }).heapscopeSvg.state().matchedShare > 0);
      expect((await svgState(page)).matchedShare).toBeCloseTo(5242880 / 9063232, 2);
      expect(await page.textContent('#hs-matched')).toMatch(/^Matched: 57\.\d%$/);
      page.once('dialog', (d) => void d.accept('leak_('));
      await page.click('#hs-search');
      await page.waitForFunction(() => (window as unknown as { heapscopeSvg: SvgApi }).heapscopeSvg.state().searchError !== '');
      expect(await page.textContent('#hs-matched')).toBe('not a regular expression: leak_(');
      await page.click('#hs-reset');
      expect((await svgState(page)).shown).toBe(all.frames);
      expect(errors).toEqual([]);

      // As an image (no script runs): the frames are drawn and no control shows.
      const html = join(scratch, 'img.html');
      writeFileSync(html, `<!DOCTYPE html><body style="margin:0"><img id="i" src="file://${plainSvg}"></body>`);
      await page.goto(`file://${html}`);
      await page.waitForFunction(() => (document.getElementById('i') as HTMLImageElement).complete);
      const size = await page.evaluate(() => {
        const img = document.getElementById('i') as HTMLImageElement;
        return { w: img.naturalWidth, h: img.naturalHeight };
      });
      expect(size.w).toBe(1200);
      expect(size.h).toBeGreaterThan(100);
      await page.screenshot({ path: join(SHOTS, 'svg-static.png') });
    }, VIEWPORT);
  });
});
