/**
 * mimalloc's size classes (2.0, 64-bit, the default 16-byte alignment).
 *
 * Bins: a request is counted in 8-byte words. One word gets 8 bytes; up to
 * 8 words the count is rounded up to an even number (16-byte alignment:
 * 16, 32, 48, 64); beyond, each doubling of the word count has four bins,
 * spaced an eighth of the doubling's top apart (80, 96, 112, 128, 160, …),
 * the same classes as jemalloc's from 16 bytes on. Bins go up to 128 KiB
 * (`MI_MEDIUM_OBJ_SIZE_MAX`, a quarter of a 512 KiB medium page).
 *
 * Beyond the bins a block gets a page of its own, and `malloc_usable_size`
 * reports the whole page: up to 512 KiB in 64 KiB slices of a segment, then
 * in the steps of mimalloc's OS allocation rounding (512 KiB below 8 MiB,
 * 1 MiB below 32 MiB, 4 MiB beyond). These large-object steps are checked
 * against the real library at sample points (test/size-classes-native).
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** The largest request served from a bin. */
export const MIMALLOC_MAX_BIN_BYTES = 128 * KiB;

/** The bytes mimalloc gives a request of `size` bytes. */
export function mimallocSizeClass(size: number): number {
  const words = Math.max(1, Math.ceil(size / 8));
  if (words === 1) return 8;
  if (words <= 8) return Math.ceil(words / 2) * 16;
  if (size <= MIMALLOC_MAX_BIN_BYTES) {
    // (2^b, 2^(b+1)] words in four steps of 2^(b−2) words.
    const b = Math.floor(Math.log2(words - 1));
    const step = 2 ** (b - 2);
    return Math.ceil(words / step) * step * 8;
  }
  const align = size <= 512 * KiB ? 64 * KiB : size < 8 * MiB ? 512 * KiB : size < 32 * MiB ? MiB : 4 * MiB;
  return Math.ceil(size / align) * align;
}
