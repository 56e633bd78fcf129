/**
 * Growing the accumulator's direct tables (per stack, per site), which are
 * indexed by ids that only ever increase.
 */

/** `a`, or a copy of it doubled until index `i` fits (the new entries 0). */
export function holding<T extends Int32Array | Float64Array>(a: T, i: number): T {
  if (i < a.length) return a;
  let n = a.length * 2;
  while (n <= i) n *= 2;
  const grown = new (a.constructor as new (n: number) => T)(n);
  grown.set(a);
  return grown;
}
