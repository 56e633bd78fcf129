/**
 * Allocator size classes: what each allocator rounds a request up to, for
 * bucketing sizes the way an allocator sees them and for the bytes each one
 * loses to rounding (`waste/size-class-waste.ts`).
 *
 * One module per allocator holds its rule (`size-classes/*.ts`, each says
 * where the rule comes from); this one names them. For each allocator:
 *
 * - `blockBytes(size)`: the memory a request of `size` bytes takes — the
 *   size class, glibc's chunk (its 8-byte size field included), scudo's
 *   block (its 16-byte header included), whole pages beyond the classes;
 * - `usableBytes(size)`: what that allocator's `malloc_usable_size` returns
 *   for it — the class for jemalloc, tcmalloc and mimalloc, the chunk minus
 *   its header words for glibc, the request itself for scudo.
 *
 * The tables of glibc, jemalloc, tcmalloc and mimalloc are checked against
 * the real libraries for every size from 1 byte to 64 KiB, and at sample
 * points beyond (packages/analyzer/test/size-classes-native.test.ts); scudo
 * and bionic's jemalloc are Android's and cannot be run here.
 */
import { GLIBC_MMAP_THRESHOLD, glibcChunkSize, glibcUsableSize } from './size-classes/glibc.js';
import { jemallocSizeClass } from './size-classes/jemalloc.js';
import { mimallocSizeClass } from './size-classes/mimalloc.js';
import { scudoBlockSize } from './size-classes/scudo.js';
import { tcmallocSizeClass } from './size-classes/tcmalloc.js';

export { GLIBC_MMAP_THRESHOLD, glibcChunkSize, glibcUsableSize, jemallocSizeClass, mimallocSizeClass, scudoBlockSize, tcmallocSizeClass };
export { JEMALLOC_SMALL_MAX_BYTES } from './size-classes/jemalloc.js';
export { TCMALLOC_CLASSES, TCMALLOC_MAX_CLASS_BYTES } from './size-classes/tcmalloc.js';
export { MIMALLOC_MAX_BIN_BYTES } from './size-classes/mimalloc.js';
export { SCUDO_ANDROID_CLASSES } from './size-classes/scudo.js';

/** The allocators whose size classes heapscope knows. `bionic-jemalloc` is Android's bionic built with jemalloc. */
export type AllocatorName = 'glibc' | 'jemalloc' | 'tcmalloc' | 'mimalloc' | 'scudo' | 'bionic-jemalloc';

/** One allocator's rounding. */
export interface SizeClassRules {
  allocator: AllocatorName;
  /** One line: which allocator, which version and configuration. */
  description: string;
  /** The memory a request of `size` bytes takes (≥ size). */
  blockBytes(size: number): number;
  /** What the allocator's `malloc_usable_size` returns for it (size ≤ usable ≤ block). */
  usableBytes(size: number): number;
}

const same = (f: (size: number) => number) => ({ blockBytes: f, usableBytes: f });

/** Every allocator's rules, by name. */
export const SIZE_CLASS_RULES: Readonly<Record<AllocatorName, SizeClassRules>> = Object.freeze({
  glibc: { allocator: 'glibc', description: 'glibc malloc, 64-bit: 16-byte chunks with an 8-byte header; mmapped pages from 128 KiB', blockBytes: glibcChunkSize, usableBytes: glibcUsableSize },
  jemalloc: { allocator: 'jemalloc', description: 'jemalloc 5.x, 64-bit defaults: 16-byte quantum, 4 classes per doubling', ...same(jemallocSizeClass) },
  tcmalloc: { allocator: 'tcmalloc', description: 'gperftools tcmalloc 2.x: 8 KiB pages, classes to 256 KiB', ...same(tcmallocSizeClass) },
  mimalloc: { allocator: 'mimalloc', description: 'mimalloc 2.0, 64-bit: bins to 128 KiB, pages beyond', ...same(mimallocSizeClass) },
  scudo: { allocator: 'scudo', description: "scudo, Android's 64-bit size-class table; 16-byte block header", blockBytes: scudoBlockSize, usableBytes: (size: number) => size },
  'bionic-jemalloc': { allocator: 'bionic-jemalloc', description: "Android bionic's jemalloc, 64-bit: jemalloc's classes", ...same(jemallocSizeClass) },
});

/** Every allocator name, in the order reports list them. */
export const ALLOCATOR_NAMES: readonly AllocatorName[] = Object.freeze(Object.keys(SIZE_CLASS_RULES) as AllocatorName[]);

/** The allocators a report covers when none are named: Android's for Android inputs, the Linux ones otherwise. */
export function defaultAllocators(format: string): AllocatorName[] {
  return /^android/.test(format) ? ['scudo', 'bionic-jemalloc'] : ['glibc', 'jemalloc', 'tcmalloc', 'mimalloc'];
}

/** An unknown allocator name (a usage error: the CLI exits 2). */
export class AllocatorNameError extends Error {}

/** The rules of `name`; throws {@link AllocatorNameError} naming the known allocators when there are none. */
export function sizeClassRules(name: string): SizeClassRules {
  const rules = (SIZE_CLASS_RULES as Record<string, SizeClassRules>)[name];
  if (!rules) throw new AllocatorNameError(`unknown allocator "${name}"; size classes are known for ${ALLOCATOR_NAMES.join(', ')}`);
  return rules;
}

/** Parses a comma-separated allocator list (`--classes glibc,jemalloc`), without repeats. */
export function parseAllocatorList(list: string): AllocatorName[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new AllocatorNameError(`no allocator named; size classes are known for ${ALLOCATOR_NAMES.join(', ')}`);
  return [...new Set(names.map((n) => sizeClassRules(n).allocator))];
}

/** The power-of-two bucket of `size`: the smallest 2^k ≥ size (sizes ≤ 1 go to 1). */
export function pow2Bucket(size: number): number {
  return size <= 1 ? 1 : 2 ** Math.ceil(Math.log2(size));
}

/**
 * The allocator whose size classes an input's sizes are best bucketed by: the
 * one its process most likely ran, from the input's format (`meta.format`):
 * a guess from the producer, never from the sizes themselves:
 * - jemalloc dumps come from jemalloc;
 * - gperftools heap profiles from tcmalloc (HEAPPROFILE runs inside it), and
 *   Go's legacy heap profiles from Go's allocator, whose classes descend from
 *   tcmalloc's and are closest to them of the tables known here;
 * - Android inputs from bionic: its jemalloc, the allocator of the Android
 *   releases whose malloc_debug traces and dumps heapscope has met (Android 11
 *   and later default to scudo: `--classes scudo` for those);
 * - everything else (perf probes on libc's malloc, heaptrack, memray) from
 *   glibc, the default allocator of the Linux processes they record.
 */
export function inputAllocator(format: string): AllocatorName {
  if (format === 'jemalloc') return 'jemalloc';
  if (format === 'gperftools') return 'tcmalloc';
  if (/^android/.test(format)) return 'bionic-jemalloc';
  return 'glibc';
}
