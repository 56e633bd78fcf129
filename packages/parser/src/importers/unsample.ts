/**
 * Undoing allocation sampling, row by row, exactly as jeprof's
 * `AdjustSamples` does (jemalloc `bin/jeprof.in`), in floating point and
 * without truncation. See docs/formats.md#unsampling.
 *
 * Poisson (jemalloc heap_v2, tcmalloc heap_v2/heapz_v2, Go): an allocation
 * of S bytes is sampled with probability 1 − exp(−S/R), so a row of `count`
 * objects averaging `bytes/count` is scaled by 1 / (1 − exp(−avg/R)). A row
 * with count 0 is left as it is (jemalloc ≥ 5.3's unbias can write
 * `0: <bytes>` for tiny rows; jeprof leaves those unscaled).
 *
 * Uniform (jeprof's "v1", old tcmalloc heapz/N): ratio = avg/A; rows with
 * ratio < 1 are divided by it. jeprof divides by zero on a `0: 0` row; here
 * such a row stays 0.
 */
import type { Sampling } from '../model/profile.js';
import { counted } from '../plural.js';

/** The factor by which a (count, bytes) pair is multiplied. */
export function scaleFactor(sampling: Sampling, count: number, bytes: number): number {
  if (count === 0) return 1;
  switch (sampling.model) {
    case 'none':
      return 1;
    case 'poisson': {
      const ratio = bytes / count / sampling.periodBytes;
      return 1 / (1 - Math.exp(-ratio));
    }
    case 'uniform': {
      const ratio = bytes / count / sampling.periodBytes;
      return ratio < 1 ? 1 / ratio : 1;
    }
  }
}

/** The largest sampling period accepted: beyond 2^53 bytes a period is not an exact number, and no sampler uses one. */
export const MAX_PERIOD_BYTES = 2 ** 53;

/**
 * Why a row of `count` objects and `bytes` bytes cannot be unsampled, or
 * undefined when it can: a positive count of zero bytes has no average
 * size to divide by, and an average so small beside the period that
 * 1 − exp(−avg/R) rounds to 0 gives an infinite factor. Either would put
 * Infinity or NaN into the profile, so the importer reports the row instead.
 */
export function unsampleProblem(sampling: Sampling, count: number, bytes: number): string | undefined {
  const factor = scaleFactor(sampling, count, bytes);
  if (Number.isFinite(factor * count) && Number.isFinite(factor * bytes)) return undefined;
  if (bytes === 0) return `${counted(count, 'object')} of 0 bytes cannot be unsampled (the sampling model divides by their average size)`;
  return `${counted(count, 'object')} of ${bytes} bytes cannot be unsampled with a sampling period of ${sampling.periodBytes} bytes (the scale factor is not finite)`;
}
