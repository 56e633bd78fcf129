import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources (no build needed for a test edit);
// the CLI's end-to-end tests that spawn `heapscope` use the built dist/.
export default defineConfig({
  resolve: {
    alias: {
      '@heapscope/parser': src('parser'),
      '@heapscope/analyzer': src('analyzer'),
      '@heapscope/store': src('store'),
      '@heapscope/cli': src('cli'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'fixtures/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
