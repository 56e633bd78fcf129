/**
 * Whole numbers from unsampled estimates, for the outputs that hold only
 * integers (pprof, collapsed stacks, speedscope weights) — see
 * docs/cli.md#whole-objects.
 */

/**
 * Rounds values to integers so that their sum is the exact sum rounded
 * (largest-remainder method): each result is within 1 of its value.
 *
 * Why: pprof values are integers and collapsed stacks are read as integers
 * by most tools; rounding each value alone would move the total by up to
 * half the number of samples, and totals must agree with the reference tools.
 */
export function roundPreservingTotal(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  let exact = 0;
  let floors = 0;
  const fractional: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    exact += v;
    const f = Math.floor(v);
    out[i] = f;
    floors += f;
    if (v !== f) fractional.push(i);
  }
  let up = Math.round(exact) - floors;
  if (up <= 0 || fractional.length === 0) return out;
  // The largest remainders go up; ties by index, so the result is stable.
  fractional.sort((a, b) => values[b] - Math.floor(values[b]) - (values[a] - Math.floor(values[a])) || a - b);
  for (let k = 0; k < fractional.length && up > 0; k++, up--) out[fractional[k]] += 1;
  return out;
}
