/**
 * What producers encode in dump file names:
 * - jemalloc: `<prefix>.<pid>.<seq>.<f|i|m|u><n>.heap` (`f` has no n); with a
 *   pid namespace, `<prefix>.<ns>.<pid>.<seq>...` (src/prof_sys.c)
 * - gperftools: `<prefix>.<NNNN>.heap` (src/heap-profiler.cc); a forked
 *   child (and any process with `HEAPPROFILE_USE_PID`) writes
 *   `<prefix>_<pid>.<NNNN>.heap`, so dumps of two processes differ in the
 *   part before `.<NNNN>`, the name's *prefix* here
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
  /** jemalloc's per-kind counter: the `n` of `i<n>`, `m<n>`, `u<n>` (`f` has none). */
  index?: number;
  /**
   * The name before the process and sequence fields (jemalloc `jeprof`,
   * gperftools `app` or `app_4242`): dumps of one process share it.
   */
  prefix?: string;
}

// `(?:\.(?:gz|zst|zstd))?`: the suffix of a compressed copy.
const JEMALLOC = /^(.*)\.(\d+)\.(\d+)\.(f|[imu]\d+)\.heap(?:\.(?:gz|zst|zstd))?$/;
const GPERFTOOLS = /^(.*)\.(\d{4,})\.heap(?:\.(?:gz|zst|zstd))?$/;

/** Parses a dump file name; fields the name does not have stay undefined. */
export function parseDumpName(path: string): DumpName {
  const name = basename(path);
  let m = JEMALLOC.exec(name);
  if (m) return { pid: Number(m[2]), seq: Number(m[3]), kind: m[4][0], index: m[4].length > 1 ? Number(m[4].slice(1)) : undefined, prefix: m[1] };
  m = GPERFTOOLS.exec(name);
  if (m) return { seq: Number(m[2]), prefix: m[1] };
  return {};
}
