/**
 * Allocator size classes, for bucketing allocation sizes the way the
 * allocator sees them.
 *
 * jemalloc (5.x, 64-bit, 16-byte quantum, 4 classes per doubling —
 * `lg_ngroup` 2; include/jemalloc/internal/sc.h): 8, then multiples of 16 up
 * to 128, then for each doubling (2^k, 2^(k+1)] the four classes spaced
 * 2^(k−2) apart: 160, 192, 224, 256, 320, …, 8192, 10240, 12288, 14336,
 * 16384, … A request of 8225 bytes gets 10240.
 *
 * glibc malloc (64-bit; malloc/malloc.c `request2size`): a chunk is the
 * request plus 8 bytes of header, rounded up to 16, at least 32; requests
 * from the mmap threshold up (128 KiB by default) are mmapped whole pages.
 */

/** The jemalloc size class a request of `size` bytes gets. */
export function jemallocSizeClass(size: number): number {
  if (size <= 8) return 8;
  if (size <= 128) return Math.ceil(size / 16) * 16;
  const k = Math.floor(Math.log2(size - 1)); // 2^k < size <= 2^(k+1)
  const delta = 2 ** (k - 2);
  return Math.ceil(size / delta) * delta;
}

/** glibc's default mmap threshold. */
export const GLIBC_MMAP_THRESHOLD = 128 * 1024;

/** The glibc malloc chunk size for a request of `size` bytes (64-bit). */
export function glibcChunkSize(size: number): number {
  if (size >= GLIBC_MMAP_THRESHOLD) return Math.ceil((size + 16) / 4096) * 4096;
  return Math.max(32, Math.ceil((size + 8) / 16) * 16);
}

/** The power-of-two bucket of `size`: the smallest 2^k ≥ size (sizes ≤ 1 go to 1). */
export function pow2Bucket(size: number): number {
  return size <= 1 ? 1 : 2 ** Math.ceil(Math.log2(size));
}
