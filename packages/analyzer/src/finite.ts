/**
 * Refusing numbers that are not finite on their way into an output (see
 * `NonFiniteValueError`). The importers reject them, but a value can still
 * turn non-finite later (a sum that overflows, a profile built by a caller):
 * so every writer checks what it writes. A report object is checked as a
 * whole before it is written as JSON or text; a profile's value columns
 * before a profile writer (pprof, speedscope, collapsed stacks,
 * flamegraphs) reads them.
 */
import { NonFiniteValueError } from './units.js';
import type { HeapProfile } from '@heapscope/parser';

/** Where the first non-finite number under `value` is (`.rows[3].flat`), and the number. */
function firstNonFinite(value: unknown): { path: string; value: number } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path: '', value };
  if (value === null || typeof value !== 'object') return undefined;
  if (ArrayBuffer.isView(value)) {
    const numbers = value as unknown as ArrayLike<number>;
    for (let i = 0; i < numbers.length; i++) if (!Number.isFinite(numbers[i])) return { path: `[${i}]`, value: numbers[i] };
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstNonFinite(value[i]);
      if (found) return { path: `[${i}]${found.path}`, value: found.value };
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const found = firstNonFinite(item);
    if (found) return { path: `.${key}${found.path}`, value: found.value };
  }
  return undefined;
}

/**
 * Throws a `NonFiniteValueError` naming the first number under `report` (a
 * JSON-shaped report) that is not finite, by its path: `rows[3].flat`.
 */
export function assertFiniteReport(report: unknown): void {
  const found = firstNonFinite(report);
  if (found) throw new NonFiniteValueError(found.path === '' ? 'the report' : `the report's ${found.path.replace(/^\./, '')}`, found.value);
}

/**
 * Throws a `NonFiniteValueError` when a value of `profile` in one of the
 * sample types `typeIndexes` (default: all) is not finite, naming the sample
 * type, the sample and the input.
 */
export function assertFiniteSamples(profile: HeapProfile, typeIndexes?: readonly number[]): void {
  const types = typeIndexes ?? profile.sampleTypes.map((_, i) => i);
  for (const t of types) {
    const column = profile.samples.values[t];
    for (let i = 0; i < column.length; i++) {
      if (!Number.isFinite(column[i])) throw new NonFiniteValueError(`${profile.sampleTypes[t].type} of sample ${i + 1} of ${profile.meta.file}`, column[i]);
    }
  }
}

/** Throws a `NonFiniteValueError` when `value` is not finite; `what` names it. */
export function assertFinite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new NonFiniteValueError(what, value);
  return value;
}
