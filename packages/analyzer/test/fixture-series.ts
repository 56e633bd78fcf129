/** Loads the fixture dumps, symbolized against the workload binary (symbol tables only: fast). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { symbolize } from '@heapscope/parser';
import { readInput, type LoadedInput } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';

export const WORKLOAD = join(FIXTURES, 'bin', 'workload');

/** Dump files in a fixture directory whose names match, sorted by name. */
export function fixtureDumps(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(FIXTURES, dir))
    .filter((n) => pattern.test(n))
    .sort()
    .map((n) => join(FIXTURES, dir, n));
}

export async function loadSymbolized(paths: string[]): Promise<LoadedInput[]> {
  return Promise.all(
    paths.map(async (path) => {
      const loaded = await readInput(path);
      const { profile } = await symbolize(loaded.profile, { symbolPaths: [WORKLOAD], external: 'none' });
      return { ...loaded, profile };
    }),
  );
}
