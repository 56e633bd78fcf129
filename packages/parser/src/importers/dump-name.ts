/**
 * What producers encode in dump file names:
 * - jemalloc: `<prefix>.<pid>.<seq>.<f|i|m|u><n>.heap` (`f` has no n); with a
 *   pid namespace, `<prefix>.<ns>.<pid>.<seq>...` (src/prof_sys.c)
 * - gperftools: `<prefix>.<NNNN>.heap` (src/heap-profiler.cc)
 */
import { basename } from 'node:path';

export interface DumpName {
  pid?: number;
  /** Sequence number: jemalloc's per-process counter, gperftools' NNNN. */
  seq?: number;
  /** jemalloc dump kind letter. */
  kind?: string;
}

const JEMALLOC = /\.(\d+)\.(\d+)\.(f|[imu]\d+)\.heap$/;
const GPERFTOOLS = /\.(\d{4,})\.heap$/;

/** Parses a dump file name; fields the name does not have stay undefined. */
export function parseDumpName(path: string): DumpName {
  const name = basename(path);
  let m = JEMALLOC.exec(name);
  if (m) return { pid: Number(m[1]), seq: Number(m[2]), kind: m[3][0] };
  m = GPERFTOOLS.exec(name);
  if (m) return { seq: Number(m[1]) };
  return {};
}
