/**
 * `perf report --stdio -n --sort trace -g none` goldens (fixtures/perf,
 * fixtures/perf-shapes): the (size, count) pairs perf counts, to check
 * heapscope's sizes against.
 */
import { readFileSync } from 'node:fs';
import type { AccumulatedTrace } from '@heapscope/analyzer';

/** `perf report --sort trace` rows of the entry events: event → [count, payload]. */
export function reportRows(file: string): { event: string; count: number; args: Record<string, number> }[] {
  const rows: { event: string; count: number; args: Record<string, number> }[] = [];
  let event = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const section = /^# Samples: .* of event '([^']+)'/.exec(line);
    if (section) event = section[1];
    const row = /^\s+[\d.]+%\s+[\d.]+%\s+(\d+)\s+\([0-9a-f]+\)\s*(.*)$/.exec(line);
    if (!row) continue;
    const args: Record<string, number> = {};
    for (const [, name, value] of row[2].matchAll(/(\w+)=(\S+)/g)) args[name] = Number(value);
    rows.push({ event, count: Number(row[1]), args });
  }
  return rows;
}

/** (size → count) of the entry events as perf report counts them: every entry record, nested ones too. */
export function reportSizes(file: string): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const { event, count, args } of reportRows(file)) {
    const size = event.endsWith(':calloc') ? args.nmemb * args.size : args.size;
    if (event.endsWith(':realloc') && args.ptr !== 0 && size === 0) continue; // realloc(p, 0) frees
    sizes.set(size, (sizes.get(size) ?? 0) + count);
  }
  return sizes;
}

/** (size → count) from the accumulator's exact (site, size) rows. */
export function accumulatedSizes(trace: AccumulatedTrace): Map<number, number> {
  const sizes = new Map<number, number>();
  for (let i = 0; i < trace.sizes.length; i++) sizes.set(trace.sizes.sizeBytes[i], (sizes.get(trace.sizes.sizeBytes[i]) ?? 0) + trace.sizes.count[i]);
  return sizes;
}

/**
 * {@link reportSizes} with glibc's malloc(n) inside realloc(NULL, n) taken
 * out: perf report counts it as an event of its own, heapscope counts the
 * realloc (docs/formats.md#perf-script). `nested`: how many were.
 */
export function foldedReportSizes(file: string): { sizes: Map<number, number>; nested: number } {
  const sizes = reportSizes(file);
  let nested = 0;
  for (const { event, count, args } of reportRows(file)) {
    if (event.endsWith(':realloc') && args.ptr === 0) {
      sizes.set(args.size, sizes.get(args.size)! - count);
      nested += count;
    }
  }
  return { sizes: new Map([...sizes].filter(([, c]) => c > 0)), nested };
}
