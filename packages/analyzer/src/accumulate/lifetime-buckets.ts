/**
 * The buckets of the event accumulator's lifetime histograms: a lifetime
 * (in allocation events, or in ns) goes to bucket 0 when below 1, else to
 * the bucket of its power of 2 (the whole trace) or of 4 (per site).
 */

/** Lifetime histograms of the whole trace use log2 buckets: bucket 0 holds [0, 1), bucket b holds [2^(b-1), 2^b); the last is open. */
export const LIFETIME_BUCKETS = 64;
/** Per-site lifetime histograms use log4 buckets of events: 0, [1,4), [4,16), …; the last is open. */
export const SITE_LIFETIME_BUCKETS = 16;

/** The log2 bucket of `v`. */
export function log2Bucket(v: number): number {
  if (v < 1) return 0;
  // floor(log2(v)) + 1 = the bit length of floor(v); clz32 is exact below 2^32.
  const b = v < 0x100000000 ? 32 - Math.clz32(v) : Math.floor(Math.log2(v)) + 1;
  return b < LIFETIME_BUCKETS ? b : LIFETIME_BUCKETS - 1;
}

/** The log4 bucket of `v`. */
export function log4Bucket(v: number): number {
  if (v < 1) return 0;
  const b = ((v < 0x100000000 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v))) >> 1) + 1;
  return b < SITE_LIFETIME_BUCKETS ? b : SITE_LIFETIME_BUCKETS - 1;
}
