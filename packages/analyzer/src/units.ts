/**
 * Human units for text: terminal reports and the analyses' one-line
 * verdicts. JSON values never go through these.
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * A number that is not finite (NaN, ±Infinity) on its way into an output.
 * Every writer refuses one: "NaN B" in a report, `null` in JSON or a
 * speedscope weight, or a pprof varint (which cannot encode it) would be a
 * wrong answer given as a right one.
 */
export class NonFiniteValueError extends Error {
  override readonly name = 'NonFiniteValueError';

  constructor(
    /** What the value is (`inuse_space of sample 3 of x.heap`, `rows[2].flat`). */
    readonly what: string,
    readonly value: number,
    /** Why it cannot be written, when it is finite but out of the output's range. */
    reason = 'not a finite number',
  ) {
    super(`${what} is ${value}, ${reason}: refusing to write it`);
  }
}

/** `value`, when it is finite. */
function finite(value: number): number {
  if (!Number.isFinite(value)) throw new NonFiniteValueError('a value to print', value);
  return value;
}

/** `1.5 MiB`, `812 B`, `-3.0 KiB`. */
export function formatBytes(value: number): string {
  finite(value);
  // Values within a millionth of a byte of zero are zero (sums of unsampled values).
  if (Math.abs(value) < 1e-6) return '0 B';
  const sign = value < 0 ? '-' : '';
  let v = Math.abs(value);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return Math.round(v) === 0 ? '0 B' : `${sign}${Math.round(v)} B`;
  return `${sign}${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${BYTE_UNITS[u]}`;
}

/** Counts with thousands separators; fractional (unsampled) values rounded. */
export function formatCount(value: number): string {
  finite(value);
  // Not toLocaleString: loading ICU's number formatting is a start-up cost every run would pay (docs/BENCHMARKS.md#measured-design-choices).
  const digits = Math.abs(Math.round(value)).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return value < 0 && Math.round(value) !== 0 ? `-${grouped}` : grouped;
}

/**
 * A sampled estimate's standard error in a ± column: `±12.3 KiB`; `±<1 B`
 * (`±<1` for counts) when it is above zero but rounds to zero, so that an
 * estimate never reads as exact; '' when it is exactly 0 — the value is exact,
 * as every allocation behind it was recorded (allocations far above the
 * sampling period, or an unsampled input among sampled ones).
 */
export function formatPlusMinus(stderr: number, unit: string): string {
  finite(stderr);
  if (stderr === 0) return '';
  return Math.round(stderr) === 0 ? `±<1${unit === 'bytes' ? ' B' : ''}` : `±${formatValue(stderr, unit)}`;
}

/** What a blank cell of a ± column means, for the note under a table that has one. */
export const PLUS_MINUS_EXACT = 'a blank ± is exact: every allocation behind it was recorded';

/** A value in its unit (`bytes` or `count`, else plain). */
export function formatValue(value: number, unit: string): string {
  return unit === 'bytes' ? formatBytes(value) : formatCount(value);
}

/** `12.3%`; `-` when the whole is zero. */
export function formatShare(part: number, whole: number): string {
  finite(part);
  finite(whole);
  if (whole === 0) return '-';
  return `${((100 * part) / whole).toFixed(1)}%`;
}

/** A duration: `812 ns`, `3.4 µs`, `15.2 ms`, `3.2 s`, `125 s`. */
export function formatDuration(ns: number): string {
  finite(ns);
  const abs = Math.abs(ns);
  const [value, unit] = abs >= 1e9 ? [ns / 1e9, 's'] : abs >= 1e6 ? [ns / 1e6, 'ms'] : abs >= 1e3 ? [ns / 1e3, 'µs'] : [ns, 'ns'];
  if (unit === 'ns') return `${Math.round(value)} ns`;
  return `${value.toFixed(Math.abs(value) >= 100 ? 0 : 1)} ${unit}`;
}
