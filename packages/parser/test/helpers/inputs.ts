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
