#!/usr/bin/env node
/**
 * Makes the screenshots of docs/report.md: `heapscope report` of a jemalloc
 * series, a perf trace and an Android record_allocs trace, opened in
 * headless Chromium (playwright-core, /usr/bin/chromium, a fresh profile) at
 * 1400×900, each scrolled to its memory-over-time chart; of the perf
 * report, its chart, the flamegraph focused by a table row's click, the
 * flamegraph's inverted view and the waste under it; and the waste section
 * of a gperftools dump with its tcmalloc statistics.
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
  { name: 'perf-trace', args: ['--windows', '60', '--symbols', 'fixtures/bin/workload', 'fixtures/perf/workload.fp.perf.txt.gz'], focus: true, waste: true },
  {
    name: 'gperftools-stats',
    args: ['--symbols', 'fixtures/waste/bin/fragment-sites', 'fixtures/waste/fragment/tcmalloc/tcmalloc-stats.txt', 'fixtures/waste/fragment/tcmalloc/fragment-sites.0001.heap'],
    waste: true,
    only: 'waste',
  },
  // Relative to the repository (the command runs there): the page names its inputs as given.
  { name: 'android-record-allocs', args: [path.relative(ROOT, path.join(CORPUS, 'android-record-allocs', 'systemui.zip'))], needs: path.join(CORPUS, 'android-record-allocs', 'systemui.zip') },
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
      const shot = async (file, locator) => {
        await (locator ?? tab).screenshot({ path: path.join(OUT, file) });
        console.log(`docs/report/${file}`);
      };
      // The first screen: the summary and the start of the chart, as a reader opens it.
      if (kind.only !== 'waste') await shot(`${kind.name}.png`);
      if (kind.focus) {
        await tab.locator('#top-table tbody tr[data-site]').first().locator('td').nth(1).click();
        await tab.waitForTimeout(200);
        await shot(`${kind.name}-focused.png`);
        // The inverted view, its search on the focused site kept.
        await tab.locator('#flame .views button[data-view="inverted"]').click();
        await tab.waitForTimeout(200);
        await shot(`${kind.name}-inverted.png`, tab.locator('#flame'));
        await tab.locator('#flame .views button[data-view="top-down"]').click();
        await tab.locator('#memory').scrollIntoViewIfNeeded();
        await shot(`${kind.name}-memory.png`, tab.locator('#memory'));
      }
      if (kind.waste) {
        await tab.locator('#waste').scrollIntoViewIfNeeded();
        await shot(`${kind.name}-waste.png`, tab.locator('#waste'));
      }
    } finally {
      await context.close();
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
