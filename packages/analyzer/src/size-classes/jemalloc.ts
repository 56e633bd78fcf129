/**
 * jemalloc's size classes (5.x, 64-bit; include/jemalloc/internal/sc.h
 * describes them): with the defaults `lg_quantum` 4 (a 16-byte quantum),
 * `lg_tiny_min` 3 and `lg_ngroup` 2 (four classes per doubling), the classes
 * are 8, then multiples of 16 up to 128, then for each doubling
 * (2^k, 2^(k+1)] the four classes spaced 2^(k−2) apart: 160, 192, 224, 256,
 * 320, …, 8192, 10240, 12288, 14336, 16384, … A request of 8225 bytes gets
 * 10240. Classes up to 14336 bytes live in slabs (the bins of
 * `malloc_stats_print`); from 16384 on they are "large" extents of whole
 * pages. `malloc_usable_size` returns the class.
 *
 * Android's bionic, when built with jemalloc (before scudo became the
 * default), uses the same parameters on 64-bit targets.
 */

/** The largest class served from slabs (jemalloc `SC_SMALL_MAXCLASS` with 4 KiB pages). */
export const JEMALLOC_SMALL_MAX_BYTES = 14336;

/** The jemalloc size class a request of `size` bytes gets. */
export function jemallocSizeClass(size: number): number {
  if (size <= 8) return 8;
  if (size <= 128) return Math.ceil(size / 16) * 16;
  const k = Math.floor(Math.log2(size - 1)); // 2^k < size <= 2^(k+1)
  const delta = 2 ** (k - 2);
  return Math.ceil(size / delta) * delta;
}
