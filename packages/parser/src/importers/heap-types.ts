/**
 * Helpers shared by the heap-dump importers about their sample types.
 */
import type { HeapProfile } from '../model/profile.js';

/**
 * Drops `alloc_objects`/`alloc_space` when every value in them is zero: the
 * producer did not record cumulative counts (jemalloc without `prof_accum`
 * writes `[0: 0]`), so showing zeros would mislead. pprof does the same.
 */
export function dropEmptyAllocTypes(profile: HeapProfile): HeapProfile {
  const keep: number[] = [];
  profile.sampleTypes.forEach((t, i) => {
    const isAlloc = t.type === 'alloc_objects' || t.type === 'alloc_space';
    if (!isAlloc || profile.samples.values[i].some((v) => v !== 0)) keep.push(i);
  });
  if (keep.length === profile.sampleTypes.length) return profile;
  return profile.with({
    sampleTypes: keep.map((i) => profile.sampleTypes[i]),
    samples: { ...profile.samples, values: keep.map((i) => profile.samples.values[i]) },
  });
}
