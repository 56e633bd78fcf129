/** Small statistics over repeated runs. */

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The index of the value nearest the median (the run whose details stand for all). */
export function medianIndex(values: readonly number[]): number {
  const m = median(values);
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i] - m) < Math.abs(values[best] - m)) best = i;
  return best;
}

/** The name whose value is smallest among rows that have one; null when none has. */
export function smallest<T extends { allocator: string }>(rows: readonly T[], value: (row: T) => number | null): string | null {
  let best: string | null = null;
  let bestValue = Infinity;
  for (const row of rows) {
    const v = value(row);
    if (v !== null && v < bestValue) {
      best = row.allocator;
      bestValue = v;
    }
  }
  return best;
}

/** Checks a count option: an integer ≥ 1. */
export function positiveInteger(value: number | undefined, fallback: number): number | null {
  const v = value ?? fallback;
  return Number.isInteger(v) && v >= 1 ? v : null;
}
