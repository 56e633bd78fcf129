/** Removes the per-run symbol cache that vitest.config.ts made for the tests. */
import { rmSync } from 'node:fs';

export default function setup(): () => void {
  return () => {
    const dir = process.env.HEAPSCOPE_TEST_CACHE_DIR;
    if (dir?.includes('heapscope-test-cache-')) rmSync(dir, { recursive: true, force: true });
  };
}
