/**
 * Input `trace-10m`: a record_allocs trace of exactly 10,000,000 operations
 * for `heapscope churn` at the 10-million-event scale of issue 5.
 *
 * Made exactly as the android-record-allocs-13m traces are (that module's
 * writeRepeatedTraces: the real surfaceflinger trace from the shared corpus
 * repeated in order, each repetition's pointers moved into a 4 GiB range of
 * their own, tids, sizes, operation types and order unchanged), cut at
 * 10,000,000 lines: it is the first 10 M lines of
 * bench/inputs/android-record-allocs-13m.txt. Four whole repetitions
 * (9,820,960 lines) and the first 179,040 lines of a fifth.
 *
 *   bench/inputs/trace-10m.txt   10,000,000 lines
 */
import { writeRepeatedTraces } from './android-record-allocs-13m.mjs';

export const id = 'trace-10m';
export const description =
  'record_allocs trace of 10 M operations: the real surfaceflinger trace repeated with each repetition in its own pointer range (the first 10 M lines of android-record-allocs-13m)';
export const outputs = { trace: 'bench/inputs/trace-10m.txt' };
export const sources = ['bench/generate/android-record-allocs-13m.mjs', 'bench/generate/android-surfaceflinger.mjs'];
export const LINES = 10_000_000;

export async function generate({ root, log }) {
  const result = await writeRepeatedTraces(root, { trace: { path: outputs.trace, lines: LINES } }, log);
  const t = result.trace;
  const allocations = t.malloc + t.calloc + t.memalign + t.realloc;
  return {
    summary:
      `${t.lines.toLocaleString('en-US')} operations, ${(t.bytes / 2 ** 20).toFixed(0)} MiB (malloc ${t.malloc.toLocaleString('en-US')}, calloc ${t.calloc.toLocaleString('en-US')}, ` +
      `realloc ${t.realloc.toLocaleString('en-US')}, free ${t.free.toLocaleString('en-US')}, thread_done ${t.thread_done}), ` +
      `${Math.floor(LINES / result.sourceLines)} whole repetitions of the surfaceflinger trace and ${(LINES % result.sourceLines).toLocaleString('en-US')} lines of the next`,
    sourceLines: result.sourceLines,
    allocations,
    ...t,
  };
}
