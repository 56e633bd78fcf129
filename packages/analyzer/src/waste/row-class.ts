/**
 * Whether a dump row's objects are one size class, and which.
 *
 * A row gives a count and bytes, so only an average size. For tcmalloc
 * (gperftools dumps record requested sizes) a row of one request size has a
 * whole-number average; a fractional one mixes sizes. For jemalloc (usable
 * sizes, so every object's size is a class) a row of one class averages to
 * that class — except in sampled dumps of jemalloc 5.3 and later, which
 * write each row so that jeprof's unbiasing recovers jemalloc's own
 * per-allocation estimate: each sampled allocation of class Z counts as
 * round(8/p)/8 objects and round(Z/p) bytes (p = 1 − e^(−Z/R)), and the
 * written values are truncated to integers. So a one-class row averages to
 * round(Z/p)·8/round(8/p) (the "apparent" size, within a few percent of Z
 * when Z is near R), give or take the truncation of its raw counts. Both
 * forms are accepted; the nearest class within that tolerance wins.
 */
import type { Sampling } from '@heapscope/parser';
import { sampledProbability } from '../sampling-error.js';
import { classBelow } from './mixed-sizes.js';

/** The average size a row of class `classBytes` shows in a sampled jemalloc ≥ 5.3 dump. */
export function jemallocApparentSize(classBytes: number, sampling: Sampling): number {
  const p = sampledProbability(sampling, classBytes);
  if (p >= 1) return classBytes;
  return (Math.round(classBytes / p) * 8) / Math.round(8 / p);
}

/**
 * The class of a row of `count` objects and `bytes` bytes when they are all
 * one class, else null (the row mixes classes). `classOf` maps a size to its class.
 */
export function rowClass(allocator: 'jemalloc' | 'tcmalloc', sampling: Sampling, count: number, bytes: number, classOf: (size: number) => number): number | null {
  const avg = bytes / count;
  if (allocator === 'tcmalloc') return Math.abs(avg - Math.round(avg)) <= 1e-9 * avg ? classOf(Math.round(avg)) : null;
  // The dump's raw counts (before unsampling) were truncated to integers: that much is noise.
  const raw = count * sampledProbability(sampling, avg);
  const upper = classOf(avg);
  const lower = classBelow(upper, classOf);
  let best: number | null = null;
  let bestDistance = Infinity;
  for (const c of lower === null ? [upper] : [lower, upper]) {
    const distance = Math.min(Math.abs(avg - c), Math.abs(avg - jemallocApparentSize(c, sampling))) / c;
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  // One raw object is one size, whatever its average says.
  if (raw <= 1 + 1e-9) return best;
  return bestDistance <= 1e-9 + 1.5 / raw ? best : null;
}
