/**
 * The words around a flamegraph (its title and the line under it) and the
 * warning for what it could not draw: shared by `flamegraph` and `convert
 * --to svg|html`.
 */
import { assertFiniteSamples, formatValue, plainFlame, type TreeOptions } from '@heapscope/analyzer';
import { counted, type HeapProfile, type ValueType } from '@heapscope/parser';
import type { Run } from './run.js';
import { inputsLabel } from './labels.js';
import type { FlameData } from './render/flame-data.js';
import { describeSampleType } from './render/speedscope.js';

/** A plain flamegraph's data for inputs summed into `profile`, in one sample type. */
export function plainFlameData(profile: HeapProfile, inputs: readonly string[], type: ValueType, filters: TreeOptions, title?: string): FlameData {
  const typeIndex = profile.sampleTypeIndex(type.type);
  // Checked before the total goes into the subtitle, so the error says which sample.
  assertFiniteSamples(profile, [typeIndex]);
  const total = profile.total(typeIndex);
  return {
    ...plainFlame(profile, type, filters),
    title: title ?? `heapscope: ${inputsLabel(inputs)}`,
    subtitle: `${describeSampleType(type)}, total ${formatValue(total, type.unit)}`,
  };
}

/** Warns about call paths a flamegraph could not draw. */
export function warnNegative(run: Run, data: FlameData): void {
  if (data.negative > 0) run.warn([`${counted(data.negative, 'call path')} with a negative ${data.sampleType.type} ${data.negative === 1 ? 'was' : 'were'} left out of the flamegraph`]);
}
