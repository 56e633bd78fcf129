/**
 * Error bars on sampled profiles: the standard error of each unsampled
 * value.
 *
 * A sampled dump (jemalloc `heap_v2`, tcmalloc/Go heap samples) records an
 * allocation of Z bytes with some probability p(Z), and the importer scales
 * each recorded row back up by 1/p (docs/formats.md, "Unsampling"). That
 * estimate is unbiased; its variance, summed over the allocations it stands
 * for, is Z²·(1 − p)/p per allocation of Z bytes (and (1 − p)/p for an
 * object count), since each allocation is an independent Bernoulli(p)
 * trial weighted by Z/p. With byte-wise Poisson sampling at rate 1/R
 * (jemalloc, tcmalloc), p = 1 − e^(−Z/R), which makes the per-allocation
 * term Z²·e^(−Z/R)/(1 − e^(−Z/R)): about R·Z for small allocations, Z² when
 * Z ≈ 0.69·R, and towards 0 for allocations much larger than R (they are
 * always sampled). With the uniform model (jeprof's v1), p = min(1, Z/R).
 *
 * What the dump gives is the unsampled count N̂ of a row and its average
 * size Z̄, so a row's variance is taken as N̂·Z̄²·(1 − p)/p with p = p(Z̄):
 * exact when the row's objects share one size (the usual case: a call
 * site allocates one type), an approximation when they do not — the same
 * one the unsampling itself makes (jeprof scales a row by its average size).
 * Values of different rows are independent, so variances add over the rows
 * a site or a total sums. A standard error is the square root.
 */
import type { HeapProfile, Sampling } from '@heapscope/parser';

/** The pair of sample types that a sample type's variance needs: its object count and its bytes. */
function countAndBytesTypes(type: string): { objects: string; space: string } | null {
  const m = /^(inuse|alloc)_(objects|space)$/.exec(type);
  return m ? { objects: `${m[1]}_objects`, space: `${m[1]}_space` } : null;
}

/**
 * Whether values were sampled at all. A period of 1 byte (jemalloc's
 * `lg_prof_sample:0`) records every allocation: the producer samples each
 * one, whatever the formula would give for a 1-byte rate.
 */
export function isSampled(sampling: Sampling): boolean {
  return sampling.model !== 'none' && sampling.periodBytes > 1;
}

/** The probability that an allocation of `sizeBytes` was recorded (1 when nothing was sampled). */
export function sampledProbability(sampling: Sampling, sizeBytes: number): number {
  if (!isSampled(sampling)) return 1;
  const ratio = sizeBytes / sampling.periodBytes;
  if (sampling.model === 'poisson') return -Math.expm1(-ratio);
  return Math.min(1, ratio);
}

/**
 * The variance of an unsampled row of `count` objects and `bytes` bytes, for
 * its byte value (`'bytes'`) or its object count (`'objects'`). Signs are
 * ignored (a diff's base rows are negative; their noise is not).
 */
export function rowVariance(sampling: Sampling, count: number, bytes: number, of: 'bytes' | 'objects'): number {
  const n = Math.abs(count);
  if (!(n > 0) || !isSampled(sampling)) return 0;
  const size = Math.abs(bytes) / n;
  const p = sampledProbability(sampling, size);
  if (!(p > 0)) return 0;
  const perAllocation = ((1 - p) / p) * (of === 'bytes' ? size * size : 1);
  return n * perAllocation;
}

/**
 * The variance of each sample's value of sample type `typeIndex`, or null
 * when the profile was not sampled, or when the sample type is not an
 * object count or byte value with its partner (`inuse_space` needs
 * `inuse_objects`): then there is nothing to put an error bar on.
 */
export function sampleVariances(profile: HeapProfile, typeIndex: number): Float64Array | null {
  const { sampling } = profile.meta;
  if (!isSampled(sampling)) return null;
  const type = profile.sampleTypes[typeIndex]?.type;
  const pair = type === undefined ? null : countAndBytesTypes(type);
  if (!pair) return null;
  const objects = profile.samples.values[profile.sampleTypeIndex(pair.objects)];
  const space = profile.samples.values[profile.sampleTypeIndex(pair.space)];
  if (!objects || !space) return null;
  const of = type === pair.space ? 'bytes' : 'objects';
  const out = new Float64Array(profile.samples.length);
  for (let i = 0; i < out.length; i++) out[i] = rowVariance(sampling, objects[i], space[i], of);
  return out;
}

/**
 * The standard error of a least-squares slope over points 0..n−1 whose
 * values have the given variances, taken as independent: √(Σ (x − x̄)²·vₓ) / Σ (x − x̄)².
 * (Snapshots of one process share the objects that live through several of
 * them, so their errors are correlated; for a site that only grows, the
 * shared objects make later points' errors contain earlier ones', and this
 * is of the same order as the exact figure.) 0 with fewer than two points.
 */
export function slopeStandardError(variances: readonly number[]): number {
  const n = variances.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  let sxx = 0;
  let weighted = 0;
  variances.forEach((v, x) => {
    const d = (x - meanX) ** 2;
    sxx += d;
    weighted += d * v;
  });
  return Math.sqrt(weighted) / sxx;
}
