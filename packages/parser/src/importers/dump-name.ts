/**
 * What producers encode in dump file names:
 * - jemalloc: `<prefix>.<pid>.<seq>.<f|i|m|u><n>.heap` (`f` has no n); with a
 *   pid namespace, `<prefix>.<ns>.<pid>.<seq>...` (src/prof_sys.c)
 * - gperftools: `<prefix>.<NNNN>.heap` (src/heap-profiler.cc)
 *
 * A compressed copy (`gzip jeprof.*.heap` → `….heap.gz`, `.zst`) keeps the
 * producer's name before its suffix, and with it the facts: a series of
 * compressed dumps is ordered by sequence number like the dumps themselves
 * (a shell sorts `…10.i10.heap.gz` before `…2.i2.heap.gz`).
 */
import { basename } from 'node:path';

export interface DumpName {
  pid?: number;
  /** Sequence number: jemalloc's per-process counter, gperftools' NNNN. */
  seq?: number;
  /** jemalloc dump kind letter. */
  kind?: string;
}

// `(?:\.(?:gz|zst|zstd))?`: the suffix of a compressed copy.
const JEMALLOC = /\.(\d+)\.(\d+)\.(f|[imu]\d+)\.heap(?:\.(?:gz|zst|zstd))?$/;
const GPERFTOOLS = /\.(\d{4,})\.heap(?:\.(?:gz|zst|zstd))?$/;

/** Parses a dump file name; fields the name does not have stay undefined. */
export function parseDumpName(path: string): DumpName {
  const name = basename(path);
  let m = JEMALLOC.exec(name);
  if (m) return { pid: Number(m[1]), seq: Number(m[2]), kind: m[3][0] };
  m = GPERFTOOLS.exec(name);
  if (m) return { seq: Number(m[1]) };
  return {};
}
