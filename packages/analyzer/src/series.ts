/**
 * Ordering a series of snapshots of one process, and the checks that say
 * whether the series is one: same process and binary, same format and
 * sampling, cumulative counters that never go backwards, no truncated dump.
 */
import type { HeapProfile } from '@heapscope/parser';

/** How inputs are ordered: by the producer's sequence numbers when every input has one, else as given. */
export type SeriesOrder = 'auto' | 'given' | 'sequence';

/**
 * The order of `profiles` (indexes into it). jemalloc names dumps
 * `prefix.<pid>.<seq>.<kind><n>.heap` with one counter per process;
 * gperftools `prefix.<NNNN>.heap`.
 */
export function seriesOrder(profiles: readonly HeapProfile[], order: SeriesOrder = 'auto'): { indexes: number[]; by: 'sequence' | 'given' } {
  const given = profiles.map((_, i) => i);
  if (order === 'given') return { indexes: given, by: 'given' };
  const haveSeq = profiles.every((p) => p.meta.dumpSeq !== undefined);
  if (!haveSeq) {
    if (order === 'sequence') throw new Error('not every input has a dump sequence number in its name; use the order given');
    return { indexes: given, by: 'given' };
  }
  const sorted = [...given].sort((a, b) => (profiles[a].meta.dumpSeq as number) - (profiles[b].meta.dumpSeq as number) || a - b);
  return { indexes: sorted, by: 'sequence' };
}

/** Warnings about a series that may not be one. Messages state facts. */
export function seriesWarnings(profiles: readonly HeapProfile[]): string[] {
  const out: string[] = [];
  const distinct = <T>(values: T[]) => [...new Set(values)];
  const pids = distinct(profiles.map((p) => p.meta.pid).filter((p) => p !== undefined));
  if (pids.length > 1) out.push(`inputs come from ${pids.length} different processes (pids ${pids.join(', ')})`);
  const formats = distinct(profiles.map((p) => `${p.meta.format}${p.meta.variant ? ` ${p.meta.variant}` : ''}`));
  if (formats.length > 1) out.push(`inputs have different formats (${formats.join(', ')})`);
  const sampling = distinct(profiles.map((p) => `${p.meta.sampling.model}/${p.meta.sampling.periodBytes}`));
  if (sampling.length > 1) out.push(`inputs were sampled differently (${sampling.join(', ')})`);
  const binaries = distinct(profiles.map((p) => mainBinary(p)).filter((b) => b !== ''));
  if (binaries.length > 1) out.push(`inputs come from different binaries (${binaries.join(', ')})`);
  for (const type of ['alloc_objects', 'alloc_space']) {
    for (let i = 1; i < profiles.length; i++) {
      const a = profiles[i - 1];
      const b = profiles[i];
      const ia = a.sampleTypeIndex(type);
      const ib = b.sampleTypeIndex(type);
      if (ia < 0 || ib < 0 || (a.meta.pid !== undefined && a.meta.pid !== b.meta.pid)) continue;
      const before = a.total(ia);
      const after = b.total(ib);
      // Sampled dumps wobble; only a clear step back is a reset or a mix-up.
      if (after < before * (a.meta.sampling.periodBytes > 1 ? 0.9 : 1) - 1e-6) {
        out.push(`cumulative ${type} goes backwards from ${a.meta.file} to ${b.meta.file} (${Math.round(before)} → ${Math.round(after)}): a restarted process or a different one?`);
        break;
      }
    }
  }
  for (const p of profiles) {
    if (p.meta.warnings.some((w) => /truncated/.test(w.message))) out.push(`${p.meta.file} looks truncated`);
  }
  return out;
}

/** The path of the mapping at the lowest address that names a file: usually the executable. */
function mainBinary(p: HeapProfile): string {
  let best: { start: bigint; path: string } | undefined;
  for (const m of p.mappings) {
    if (!m.path.startsWith('/') || !m.perms.includes('x')) continue;
    if (!best || m.start < best.start) best = { start: m.start, path: m.path };
  }
  return best?.path.replace(/.*\//, '') ?? '';
}
