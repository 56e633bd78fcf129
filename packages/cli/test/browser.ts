/**
 * Real headless Chromium for the tests that look at what a person sees
 * (the HTML flamegraph, the speedscope viewer): Debian's chromium, driven
 * by playwright-core, offline, with a fresh profile directory per launch.
 * Never downloads a browser.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.HEAPSCOPE_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** Says once, visibly, that browser tests are skipped. */
export function chromiumSkipNote(): void {
  if (!HAVE_CHROMIUM) console.warn(`[heapscope tests] no Chromium at ${CHROMIUM} (apt-get install chromium, or set HEAPSCOPE_CHROMIUM): browser tests are skipped`);
}

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Runs `fn` with a page of a fresh headless Chromium; errors on the page fail the test. */
export async function withPage<T>(fn: (page: Page, pageErrors: string[]) => Promise<T>, viewport = { width: 1200, height: 800 }): Promise<T> {
  const profileDir = mkdtempSync(join(tmpdir(), 'heapscope-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return await fn(page, errors);
  } finally {
    await context?.close();
    rmSync(profileDir, { recursive: true, force: true });
  }
}

/** Counts pixels of a PNG screenshot region that differ from `background` (via the page itself). */
export async function nonBackgroundPixels(page: Page, selector: string, background: [number, number, number]): Promise<number> {
  return page.evaluate(
    ([sel, bg]) => {
      const canvas = document.querySelector(sel) as HTMLCanvasElement | null;
      if (!canvas) return -1;
      const ctx = canvas.getContext('2d');
      if (!ctx) return -2;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1]) + Math.abs(data[i + 2] - bg[2]) > 30) count++;
      }
      return count;
    },
    [selector, background] as const,
  );
}
