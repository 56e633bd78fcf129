/**
 * glibc malloc's chunk rounding (64-bit; the rules of malloc/malloc.c):
 *
 * - A heap chunk is the request plus one 8-byte size field, rounded up to
 *   16 bytes, at least 32 (`request2size`). `malloc_usable_size` returns the
 *   chunk minus that 8-byte field: the next chunk's `prev_size` word is
 *   usable while this one is in use.
 * - From the mmap threshold up the chunk is mmapped on its own: that size
 *   plus one more 8-byte field, rounded up to whole 4 KiB pages, and
 *   `malloc_usable_size` is the mapping minus both 8-byte fields.
 *
 * The threshold is 128 KiB at start, but glibc raises it (up to 32 MiB) to
 * the size of each mmapped chunk freed, so in a long-running process large
 * requests often come from the heap: the heap rule is the one that holds
 * for every request below 128 KiB, the mmap rule an assumption above it.
 */

/** glibc's initial mmap threshold. */
export const GLIBC_MMAP_THRESHOLD = 128 * 1024;
const SIZE_FIELD = 8;
const PAGE = 4096;

/** The heap chunk for a request (before the mmap threshold applies). */
function heapChunk(size: number): number {
  return Math.max(32, Math.ceil((size + SIZE_FIELD) / 16) * 16);
}

/** The glibc malloc chunk size for a request of `size` bytes (64-bit): the memory the request takes. */
export function glibcChunkSize(size: number): number {
  if (size >= GLIBC_MMAP_THRESHOLD) return Math.ceil((heapChunk(size) + SIZE_FIELD) / PAGE) * PAGE;
  return heapChunk(size);
}

/** What glibc's `malloc_usable_size` returns for a request of `size` bytes. */
export function glibcUsableSize(size: number): number {
  return glibcChunkSize(size) - (size >= GLIBC_MMAP_THRESHOLD ? 2 * SIZE_FIELD : SIZE_FIELD);
}
