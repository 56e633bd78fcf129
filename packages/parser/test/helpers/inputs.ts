/**
 * The list of real dumps every snapshot check runs over: the project's
 * fixtures (always) and the shared corpus (when present).
 */
import { join } from 'node:path';
import { CORPUS, FIXTURES, findFiles } from './paths.js';

/** Heap dumps written by real allocators: project fixtures then corpus files. */
export function snapshotInputs(): string[] {
  return [
    ...findFiles(join(FIXTURES, 'jemalloc'), /\.heap$/),
    ...findFiles(join(FIXTURES, 'gperftools'), /\.heap$/),
    ...findFiles(join(CORPUS, 'jemalloc'), /\.heap$/),
    ...findFiles(join(CORPUS, 'pprof-legacy'), /\.(heap|growth)$/),
  ];
}

/** The one fixture file in `dir` (under fixtures/) whose name matches; its pid changes on every regeneration. */
export function fixtureFile(dir: string, pattern: RegExp): string {
  const found = findFiles(join(FIXTURES, dir), pattern);
  if (found.length !== 1) throw new Error(`expected one fixture matching ${pattern} in fixtures/${dir}, found ${found.length}`);
  return found[0];
}

/** Fixture files in `dir` whose names match, in name order. */
export function fixtureFiles(dir: string, pattern: RegExp): string[] {
  return findFiles(join(FIXTURES, dir), pattern);
}
