/**
 * Choosing the value column an analysis reads.
 */
import type { HeapProfile, ValueType } from '@heapscope/parser';

/** A sample type that the profile does not have. */
export class SampleTypeError extends Error {
  override readonly name = 'SampleTypeError';
}

/**
 * The index of `requested` (default: the profile's default sample type) in
 * `profile.sampleTypes`. Throws {@link SampleTypeError} naming the types the
 * profile has when it is missing.
 */
export function sampleTypeIndex(profile: HeapProfile, requested?: string): number {
  const wanted = requested ?? profile.defaultSampleType;
  const index = profile.sampleTypeIndex(wanted);
  if (index < 0) {
    const have = profile.sampleTypes.map((t) => t.type).join(', ');
    const why = wanted.startsWith('alloc_') ? ' (this dump has no cumulative allocation counts)' : '';
    throw new SampleTypeError(`${profile.meta.file}: no sample type "${wanted}"${why}; it has: ${have}`);
  }
  return index;
}

/** The sample type an analysis over several profiles uses: the first one's default unless asked. */
export function commonSampleType(profiles: readonly HeapProfile[], requested?: string): ValueType {
  const first = profiles[0];
  const type = first.sampleTypes[sampleTypeIndex(first, requested)];
  for (const p of profiles) sampleTypeIndex(p, type.type);
  return type;
}
