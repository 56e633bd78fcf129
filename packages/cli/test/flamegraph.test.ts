/**
 * `heapscope flamegraph` (and `convert --to svg|html`): self-contained SVG
 * and HTML, orientation, diff and growth colouring, and the HTML page in a
 * real headless Chromium — frames drawn, search highlights, click zooms —
 * including a 32k-stack profile that must stay responsive.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '@heapscope/cli';
import { ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE, ProfileBuilder, withLocationLines, type HeapProfile } from '@heapscope/parser';
import { runCli } from './run-cli.js';
import { HAVE_CHROMIUM, chromiumSkipNote, nonBackgroundPixels, withPage } from './browser.js';
import { buildProfile } from '@heapscope/testkit/build-profile';
import { FIXTURES } from '@heapscope/testkit/paths';
import { encodePprof } from '../src/render/pprof.js';
import { FrameTreeBuilder, cumulative, plainFlame } from '@heapscope/analyzer';
import { renderFlameHtml } from '../src/render/flamegraph-html.js';
import { layoutTree } from '../src/render/flamegraph-layout.js';
import { fixtureFile, fixtureFiles } from '@heapscope/testkit/inputs';

chromiumSkipNote();

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-flamegraph-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const JEMALLOC = fixtureFile('jemalloc/all', /\.f\.heap$/);
const SERIES = fixtureFiles('jemalloc/all', /\.m\d+\.heap$/);

/** The JSON data embedded in an HTML flamegraph. */
function flameData(html: string): {
  names: string[];
  d: number[];
  n: number[];
  w: number[];
  c?: number[];
  base?: number[];
  input?: number[];
  slope?: number[];
  mode: string;
} {
  const m = /<script type="application\/json" class="flame-data">(.*?)<\/script>/s.exec(html);
  if (!m) throw new Error('no flame data');
  return JSON.parse(m[1]);
}

/** No way for the page to reach anything outside itself. */
function expectSelfContained(text: string): void {
  expect(text).not.toMatch(/<script[^>]+src=/i);
  expect(text).not.toMatch(/<link[^>]+href=/i);
  expect(text).not.toMatch(/url\(\s*['"]?(https?:|\/\/)/i);
  expect(text).not.toMatch(/@import/i);
  expect(text.replace('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
}

describe('heapscope flamegraph', () => {
  it('writes a self-contained SVG with a tooltip per frame, flame or icicle', async () => {
    const out = join(scratch, 'heap.svg');
    const r = await runCli(['flamegraph', '-o', out, '--symbols', WORKLOAD, JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expectSelfContained(svg);
    expect(svg).toMatch(/^<\?xml version="1.0" standalone="no"\?>\n<svg /);
    expect(svg).toContain('<title>leak_site\n');
    expect(svg).toMatch(/<title>leak_site\n[^\n<]*workload\.c:\d+\n5\.00 MiB, 57\.8%<\/title>/);
    const rootY = (text: string) => Number(/<title>all\n[^<]*<\/title><rect x="[\d.]+" y="(\d+)"/.exec(text)![1]);
    const icicle = join(scratch, 'icicle.svg');
    expect((await runCli(['flamegraph', '--orientation', 'icicle', '-o', icicle, '--symbols', WORKLOAD, JEMALLOC])).code).toBe(0);
    expect(rootY(readFileSync(icicle, 'utf8'))).toBeLessThan(rootY(svg));
    expect([...svg.matchAll(/<rect /g)].length).toBeGreaterThan(15);
  });

  it('writes a self-contained HTML page with the data in it', async () => {
    const out = join(scratch, 'heap.html');
    const r = await runCli(['flamegraph', '-o', out, '-t', 'alloc_space', '--title', 'my <heap>', '--symbols', WORKLOAD, JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expectSelfContained(html);
    expect(html).toContain('<title>my &lt;heap&gt;</title>');
    const data = flameData(html);
    expect(data.mode).toBe('plain');
    // The root is the whole alloc_space: jeprof's total on the same dump (every allocation recorded: no fraction
    // for jeprof to truncate or heapscope to round).
    const golden = readFileSync(join(dirname(JEMALLOC), 'golden', `${basename(JEMALLOC)}.alloc_space.jeprof.txt`), 'utf8');
    expect(data.w[0]).toBe(Number(/^Total: (\d+) B/.exec(golden)![1]));
    expect(data.names).toContain('churn_site');
  });

  it('picks SVG or HTML from the name, and says what to do otherwise', async () => {
    expect((await runCli(['flamegraph', '--no-symbolize', JEMALLOC])).stderr).toMatch(/give -o FILE.svg or FILE.html/);
    const r = await runCli(['flamegraph', '--no-symbolize', '-o', join(scratch, 'x.png'), JEMALLOC]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot tell the flamegraph kind from ".*x.png"/);
    expect((await runCli(['flamegraph', '--no-symbolize', '--to', 'svg', JEMALLOC])).stdout).toMatch(/^<\?xml/);
    let stderr = '';
    const code = await main(['flamegraph', '--no-symbolize', '--to', 'html', JEMALLOC], {
      stdout: { write: () => undefined, isTTY: true },
      stderr: { write: (c) => (stderr += String(c)) },
      stdin: Readable.from([]),
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/HTML flamegraph would go to the terminal/);
    expect((await runCli(['flamegraph', '--base', JEMALLOC, '--growth', '-o', join(scratch, 'x.html'), JEMALLOC])).code).toBe(2);
  });

  it('--base: a diff flamegraph, growth red and shrinkage blue, widths the larger of base and input', async () => {
    // site_grow grows 1 → 4 MiB; site_shrink shrinks 3 → 1 MiB; site_same stays.
    const stacks = [['site_grow', 'main'], ['site_shrink', 'main'], ['site_same', 'main']];
    const write = (bytes: number[], name: string) => {
      const p = buildProfile(stacks.map((stack, i) => ({ stack, bytes: bytes[i] * 1048576 })));
      const path = join(scratch, name);
      writeFileSync(path, encodePprof(p));
      return path;
    };
    const base = write([1, 3, 2], 'base.pb.gz');
    const input = write([4, 1, 2], 'input.pb.gz');
    const out = join(scratch, 'diff.html');
    const r = await runCli(['flamegraph', '--no-symbolize', '--base', base, '-o', out, input]);
    expect(r.code, r.stderr).toBe(0);
    const data = flameData(readFileSync(out, 'utf8'));
    expect(data.mode).toBe('diff');
    const at = (name: string) => data.n.indexOf(data.names.indexOf(name));
    const [grow, shrink, same] = [at('site_grow'), at('site_shrink'), at('site_same')];
    expect(data.c![grow]).toBe(40); // deepest red: the largest change
    expect(data.c![shrink]).toBeLessThan(20); // blue
    expect(data.c![shrink]).toBeGreaterThan(0);
    expect(data.c![same]).toBe(20); // neutral
    expect(data.w[grow]).toBe(4 * 1048576);
    expect(data.w[shrink]).toBe(3 * 1048576);
    expect([data.base![grow], data.input![grow]]).toEqual([1048576, 4 * 1048576]);
    const svg = join(scratch, 'diff.svg');
    expect((await runCli(['flamegraph', '--no-symbolize', '--base', base, '-o', svg, input])).code).toBe(0);
    expect(readFileSync(svg, 'utf8')).toMatch(/<title>site_shrink\n1\.00 MiB, [\d.]+%; base 3\.00 MiB → 1\.00 MiB \(-2\.00 MiB, -66\.7%\)<\/title>/);
  });

  it('--growth: a growth flamegraph over a series, coloured by slope', async () => {
    const out = join(scratch, 'growth.html');
    const r = await runCli(['flamegraph', '--growth', '--symbols', WORKLOAD, '-o', out, ...[...SERIES].reverse()]);
    expect(r.code, r.stderr).toBe(0);
    const data = flameData(readFileSync(out, 'utf8'));
    expect(data.mode).toBe('growth');
    const at = (name: string) => data.n.indexOf(data.names.indexOf(name));
    expect(data.slope![at('leak_site')]).toBeGreaterThan(0);
    expect(data.c![at('leak_site')]).toBeGreaterThan(30); // red
    expect(data.c![at('steady_site')]).toBe(20); // flat: neutral
    expect((await runCli(['flamegraph', '--growth', '--no-symbolize', '-o', out, SERIES[0]])).code).toBe(2);
  });
});

describe('flamegraph layout', () => {
  it('lays out children widest first, each starting where the previous ended', () => {
    const p = buildProfile([
      { stack: ['small', 'main'], bytes: 1 },
      { stack: ['big', 'main'], bytes: 5 },
      { stack: ['main'], bytes: 2 },
    ]);
    const builder = new FrameTreeBuilder(1);
    builder.add(p, [{ typeIndex: 1, channel: 0 }]);
    const tree = builder.finish();
    const layout = layoutTree(tree, cumulative(tree, tree.self[0]));
    const names = Array.from(layout.order, (n) => (n === 0 ? 'all' : tree.names[tree.name[n]]));
    expect(names).toEqual(['all', 'main', 'big', 'small']);
    expect(Array.from(layout.start)).toEqual([0, 0, 0, 5]);
    expect(Array.from(layout.depth)).toEqual([0, 1, 2, 2]);
  });
});

/** A profile of 2^15 distinct stacks, 18 frames deep: a recursion that takes one of two paths per level. */
function largeProfile(): HeapProfile {
  const b = new ProfileBuilder({
    sampleTypes: [ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE],
    meta: { format: 'test', variant: '', file: 'large', sampling: { model: 'none', periodBytes: 0 }, sizeKind: 'exact', returnAddresses: false, warnings: [] },
  });
  const names: string[] = [];
  const loc = new Map<string, number>();
  const location = (name: string) => {
    let l = loc.get(name);
    if (l === undefined) {
      l = b.addLocation(0, 0x1000 + 16 * loc.size);
      loc.set(name, l);
      names[l] = name;
    }
    return l;
  };
  for (let path = 0; path < 1 << 15; path++) {
    const frames = [`leaf_${path % 4}`];
    for (let level = 14; level >= 0; level--) frames.push((path >> level) & 1 ? `step_b_${level}` : `step_a_${level}`);
    frames.push('run', 'main');
    const bytes = 64 * (1 + (path % 7));
    b.addSample(b.internStack(frames.map(location)), -1, [1, bytes, 1, bytes]);
  }
  return withLocationLines(b.finish(), (l) => [{ name: names[l], file: 'large.c' }]);
}

describe.skipIf(!HAVE_CHROMIUM)('the HTML flamegraph in headless Chromium', () => {
  it('draws frames, highlights search matches, zooms on click and resets', async () => {
    const out = join(scratch, 'browser.html');
    expect((await runCli(['flamegraph', '-o', out, '--symbols', WORKLOAD, JEMALLOC])).code).toBe(0);
    await withPage(async (page, errors) => {
      await page.goto(`file://${out}`);
      await page.waitForFunction(() => (window as unknown as { heapscopeFlame?: unknown }).heapscopeFlame !== undefined);
      const state = () => page.evaluate(() => (window as unknown as { heapscopeFlame: { state(): Record<string, number | string> } }).heapscopeFlame.state());
      const initial = await state();
      expect(initial.drawn).toBeGreaterThan(10);
      expect(initial.zoom).toBe('all');
      expect(await nonBackgroundPixels(page, '#flame canvas.flame', [248, 248, 248])).toBeGreaterThan(20000);
      const shot = join(scratch, 'flame.png');
      await page.screenshot({ path: shot });
      expect(readFileSync(shot).length).toBeGreaterThan(5000);

      // Search: matched frames turn magenta, the status line gives their share.
      const magenta = () =>
        page.evaluate(() => {
          const c = document.querySelector('#flame canvas.flame') as HTMLCanvasElement;
          const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
          let n = 0;
          for (let i = 0; i < data.length; i += 4) if (data[i] === 230 && data[i + 1] === 0 && data[i + 2] === 230) n++;
          return n;
        });
      expect(await magenta()).toBe(0);
      await page.fill('#flame .search', 'leak_');
      const searched = await state();
      expect(searched.matchedCount).toBe(1);
      expect(searched.matchedValue).toBe(5242880);
      expect(await magenta()).toBeGreaterThan(500);
      expect(await page.textContent('#flame .status')).toMatch(/matched 1 frame, 5\.00 MiB \(57\.8% of all\)/);

      // Hover shows value and share; click zooms to the frame.
      const box = await page.evaluate(() => {
        const c = document.querySelector('#flame canvas.flame') as HTMLCanvasElement;
        const r = c.getBoundingClientRect();
        return { x: r.left, y: r.top, width: r.width, height: r.height };
      });
      // leak_site is the widest frame at depth 5 (all, _start, __libc_start_main_impl, __libc_start_call_main, main, leak_site), flame orientation.
      const rowY = box.y + box.height - (5 + 0.5) * 18;
      await page.mouse.move(box.x + 20, rowY);
      expect(await page.textContent('#flame .tip')).toMatch(/^leak_site[\s\S]*inuse_space: 5\.00 MiB {2}\(57\.8% of all\)/);
      await page.mouse.click(box.x + 20, rowY);
      const zoomed = await state();
      expect(zoomed.zoom).toBe('leak_site');
      await page.keyboard.press('Escape'); // clears the search box first
      await page.locator('#flame canvas.flame').click({ position: { x: 5, y: 2 } }).catch(() => undefined);
      await page.click('#flame .reset');
      expect((await state()).zoom).toBe('all');
      await page.click('#flame .flip');
      expect((await state()).orientation).toBe('icicle');
      expect(errors).toEqual([]);
    });
  });

  it('stays responsive on a 32k-stack profile: draws only what is visible', async () => {
    const p = largeProfile();
    const data = { ...plainFlame(p, INUSE_SPACE), title: 'large', subtitle: '32768 stacks' };
    const out = join(scratch, 'large.html');
    writeFileSync(out, renderFlameHtml(data, 'icicle'));
    await withPage(async (page, errors) => {
      const start = Date.now();
      await page.goto(`file://${out}`);
      await page.waitForFunction(() => (window as unknown as { heapscopeFlame?: unknown }).heapscopeFlame !== undefined);
      const loadMs = Date.now() - start;
      const timings = await page.evaluate(() => {
        const f = (window as unknown as { heapscopeFlame: { state(): { frames: number; drawn: number; callees: { frames: number } | null }; search(q: string): void; zoomTo(i: number): void; reset(): void; setView(v: string): boolean; focus(name: string): boolean } }).heapscopeFlame;
        const time = (fn: () => void) => {
          const t = performance.now();
          fn();
          return performance.now() - t;
        };
        const frames = f.state().frames;
        const drawnAll = f.state().drawn;
        const search = time(() => f.search('step_b_3'));
        const zoom = time(() => f.zoomTo(5));
        const drawnZoomed = f.state().drawn;
        const reset = time(() => f.reset());
        // The other views are computed in the page when asked for: the whole tree inverted, one function's sandwich.
        const inverted = time(() => f.setView('inverted'));
        const invertedFrames = f.state().frames;
        const sandwich = time(() => f.focus('main'));
        const sandwichFrames = f.state().callees?.frames ?? 0;
        f.setView('top-down');
        return { frames, drawnAll, drawnZoomed, search, zoom, reset, inverted, invertedFrames, sandwich, sandwichFrames };
      });
      expect(timings.frames).toBeGreaterThan(90_000);
      // Culling: far fewer frames drawn than exist.
      expect(timings.drawnAll).toBeLessThan(timings.frames / 10);
      expect(timings.drawnZoomed).toBeGreaterThan(0);
      // Interactions redraw within a frame budget generous enough for a busy CI machine.
      expect(timings.search, JSON.stringify(timings)).toBeLessThan(250);
      expect(timings.zoom, JSON.stringify(timings)).toBeLessThan(100);
      expect(timings.reset, JSON.stringify(timings)).toBeLessThan(100);
      expect(timings.invertedFrames).toBeGreaterThan(1000);
      expect(timings.sandwichFrames).toBeGreaterThan(1000);
      expect(timings.inverted, JSON.stringify(timings)).toBeLessThan(2000);
      expect(timings.sandwich, JSON.stringify(timings)).toBeLessThan(2000);
      expect(loadMs).toBeLessThan(10_000);
      expect(errors).toEqual([]);
      console.log(`[flamegraph] 32k stacks: ${JSON.stringify({ ...timings, loadMs })}`);
    });
  });
});
