import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
/** The test helpers' package: one module per helper, `@heapscope/testkit/<name>`. */
const testkit = fileURLToPath(new URL('./packages/testkit/src', import.meta.url));

// Tests run against the TypeScript sources (no build needed for a test edit);
// the CLI's end-to-end tests that spawn `heapscope` use the built dist/.
// Every test run gets a symbol cache of its own (removed by the global
// teardown): answers cached by another checkout's symbolizer, or by an
// earlier version of this one, must never decide a test's result.
const symbolCache = process.env.HEAPSCOPE_TEST_CACHE_DIR ?? mkdtempSync(join(tmpdir(), 'heapscope-test-cache-'));
process.env.HEAPSCOPE_TEST_CACHE_DIR = symbolCache;

export default defineConfig({
  resolve: {
    alias: {
      '@heapscope/parser': src('parser'),
      '@heapscope/analyzer': src('analyzer'),
      '@heapscope/replay': src('replay'),
      '@heapscope/store': src('store'),
      '@heapscope/cli': src('cli'),
      '@heapscope/testkit': testkit,
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'fixtures/test/**/*.test.ts'],
    env: { HEAPSCOPE_CACHE_DIR: symbolCache },
    globalSetup: ['./vitest.global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
