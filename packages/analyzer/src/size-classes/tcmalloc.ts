/**
 * gperftools tcmalloc's size classes (2.x: libtcmalloc.so.4,
 * libtcmalloc_minimal.so.4), derived the way its `SizeMap::Init` derives
 * them at start-up, with the default build's constants: 8 KiB pages,
 * classes up to 256 KiB, and 32 objects per transfer between the thread
 * and central caches (`TCMALLOC_TRANSFER_NUM_OBJ`; another value changes
 * the table).
 *
 * The rule: candidate sizes start at 8 and step by an alignment that grows
 * with the size — 8 below 16, 16 below 128, then an eighth of the size's
 * power of two (so rounding wastes at most 12.5%). Each candidate gets a span
 * of whole pages: enough that the span's leftover is at most an eighth of
 * it, and that it holds at least a quarter of a transfer's objects (a
 * transfer moves about 64 KiB, 2 to 32 objects). A candidate whose span has
 * as many pages and holds as many objects as the previous class's replaces
 * that class's size (the previous class grows to it) instead of making a
 * class of its own. A request gets the smallest class that holds it;
 * requests beyond 256 KiB get whole pages. `malloc_usable_size` returns the
 * class (or the pages).
 */

import { smallestAtLeast } from './table.js';

const PAGE = 8192;
const MAX_CLASS = 256 * 1024;
const TRANSFER_OBJECTS = 32;

/** The largest request tcmalloc serves from a size class. */
export const TCMALLOC_MAX_CLASS_BYTES = MAX_CLASS;

/** The alignment of candidate sizes from `size` on. */
function alignmentFor(size: number): number {
  if (size >= 128) return Math.min(PAGE, 2 ** Math.floor(Math.log2(size)) / 8);
  return size >= 16 ? 16 : 8;
}

/** Pages of the span for a class of `size` bytes. */
function spanPages(size: number): number {
  const transfer = Math.min(TRANSFER_OBJECTS, Math.max(2, Math.floor(65536 / size)));
  const minObjects = Math.floor(transfer / 4);
  let bytes = 0;
  do {
    bytes += PAGE;
    while (bytes % size > bytes / 8) bytes += PAGE;
  } while (Math.floor(bytes / size) < minObjects);
  return bytes / PAGE;
}

function buildClasses(): number[] {
  const sizes: number[] = [];
  let lastPages = 0;
  for (let size = 8, step = 8; size <= MAX_CLASS; size += step) {
    step = alignmentFor(size);
    const pages = spanPages(size);
    const last = sizes.length - 1;
    // Same span, same number of objects: the previous class grows instead.
    if (last >= 0 && pages === lastPages && Math.floor((pages * PAGE) / size) === Math.floor((lastPages * PAGE) / sizes[last])) {
      sizes[last] = size;
      continue;
    }
    sizes.push(size);
    lastPages = pages;
  }
  return sizes;
}

/** tcmalloc's class sizes, ascending (computed once: a pure function of the constants above). */
export const TCMALLOC_CLASSES: readonly number[] = Object.freeze(buildClasses());

/** The bytes tcmalloc gives a request of `size` bytes. */
export function tcmallocSizeClass(size: number): number {
  if (size > MAX_CLASS) return Math.ceil(size / PAGE) * PAGE;
  return smallestAtLeast(TCMALLOC_CLASSES, Math.max(size, 1));
}
