#!/usr/bin/env node
/**
 * Makes the screenshots of docs/report.md: `heapscope report` of a jemalloc
 * series, a perf trace and an Android record_allocs trace, opened in
 * headless Chromium (playwright-core, /usr/bin/chromium, a fresh profile) at
 * 1400×900, each scrolled to its memory-over-time chart, and one of the
 * perf report with a table row clicked (the flamegraph focused on it).
 *
 *   pnpm build && node scripts/report-screenshots.mjs [--corpus DIR]
 *
 * The Android trace is the shared corpus' systemui.zip (--corpus, default
 * ../shared/corpus beside the repository, or $HEAPSCOPE_CORPUS); without
 * it that screenshot is skipped, with a message.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'packages/cli/dist/heapscope.mjs');
const OUT = path.join(ROOT, 'docs/report');
const CHROMIUM = process.env.HEAPSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const at = process.argv.indexOf('--corpus');
const CORPUS = at > 0 ? process.argv[at + 1] : (process.env.HEAPSCOPE_CORPUS ?? path.resolve(ROOT, '..', 'shared', 'corpus'));

const fixtures = (dir, re) => readdirSync(path.join(ROOT, dir)).filter((f) => re.test(f)).sort().map((f) => path.join(dir, f));
const KINDS = [
  { name: 'jemalloc-series', args: ['--symbols', 'fixtures/bin/workload', ...fixtures('fixtures/jemalloc/all', /\.m\d+\.heap$/)] },
  { name: 'perf-trace', args: ['--windows', '60', '--symbols', 'fixtures/bin/workload', 'fixtures/perf/workload.fp.perf.txt.gz'], focus: true },
  { name: 'android-record-allocs', args: [path.join(CORPUS, 'android-record-allocs', 'systemui.zip')], needs: path.join(CORPUS, 'android-record-allocs', 'systemui.zip') },
];

mkdirSync(OUT, { recursive: true });
const scratch = mkdtempSync(path.join(tmpdir(), 'heapscope-report-shots-'));
try {
  for (const kind of KINDS) {
    if (kind.needs && !existsSync(kind.needs)) {
      console.error(`report-screenshots: ${kind.needs} not found: no ${kind.name} screenshot`);
      continue;
    }
    const page = path.join(scratch, `${kind.name}.html`);
    execFileSync(process.execPath, [BIN, 'report', '--quiet', '-o', page, ...kind.args], { cwd: ROOT, stdio: 'inherit' });
    const profile = mkdtempSync(path.join(scratch, 'chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'], viewport: { width: 1400, height: 900 } });
    try {
      const tab = context.pages()[0] ?? (await context.newPage());
      await tab.goto(`file://${page}`);
      await tab.waitForFunction(() => window.heapscopeReport?.flameReady());
      // The first screen: the summary and the start of the chart, as a reader opens it.
      await tab.screenshot({ path: path.join(OUT, `${kind.name}.png`) });
      console.log(`docs/report/${kind.name}.png`);
      if (kind.focus) {
        await tab.locator('#top-table tbody tr[data-site]').first().locator('td').nth(1).click();
        await tab.waitForTimeout(200);
        await tab.screenshot({ path: path.join(OUT, `${kind.name}-focused.png`) });
        console.log(`docs/report/${kind.name}-focused.png`);
        await tab.locator('#memory').scrollIntoViewIfNeeded();
        await tab.locator('#memory').screenshot({ path: path.join(OUT, `${kind.name}-memory.png`) });
        console.log(`docs/report/${kind.name}-memory.png`);
      }
    } finally {
      await context.close();
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
