/**
 * What `--format json` says of a file a command wrote: the totals of the
 * profile it holds.
 */
import type { HeapProfile } from '@heapscope/parser';

/** Each sample type's total in `profile`. */
export function totalsOf(profile: HeapProfile): Record<string, number> {
  const totals: Record<string, number> = {};
  profile.sampleTypes.forEach((t, i) => (totals[t.type] = profile.total(i)));
  return totals;
}
