/**
 * Which frames belong to the allocator, so that a stack's call site is the
 * first frame outside it (docs/design.md#analyses).
 *
 * The function names are jeprof's (`RemoveUninterestingFrames` in jemalloc's
 * bin/jeprof.in) — allocator entry points of libc, jemalloc, tcmalloc, C++
 * and macOS — each also with the `_` prefix Mach-O adds. As in jeprof,
 * everything from the leaf up to and including the last (outermost)
 * allocator frame is dropped.
 *
 * heapscope adds one rule: without symbols the names are unknown, so frames
 * at the leaf that lie in the allocator's own library (libjemalloc,
 * libtcmalloc) are dropped too. jemalloc's stacks start with its own frames
 * (4 on 5.3.0 x86-64), which would otherwise all become "call sites".
 */
const ENTRY_POINTS = [
  'calloc', 'cfree', 'malloc', 'newImpl', 'void* newImpl', 'free', 'memalign', 'posix_memalign',
  'aligned_alloc', 'pvalloc', 'valloc', 'realloc', 'mallocx', 'rallocx', 'xallocx', 'dallocx',
  'sdallocx', 'sdallocx_noflags', 'tc_calloc', 'tc_cfree', 'tc_malloc', 'tc_free', 'tc_memalign',
  'tc_posix_memalign', 'tc_pvalloc', 'tc_valloc', 'tc_realloc', 'tc_new', 'tc_delete', 'tc_newarray',
  'tc_deletearray', 'tc_new_nothrow', 'tc_newarray_nothrow', 'do_malloc', '::do_malloc',
  '::do_malloc_or_cpp_alloc', 'DoSampledAllocation', 'simple_alloc::allocate',
  '__malloc_alloc_template::allocate', '__builtin_delete', '__builtin_new', '__builtin_vec_delete',
  '__builtin_vec_new', 'operator new', 'operator new[]', 'malloc_zone_malloc', 'malloc_zone_calloc',
  'malloc_zone_valloc', 'malloc_zone_realloc', 'malloc_zone_memalign', 'malloc_zone_free',
  '__start_google_malloc', '__stop_google_malloc', '__start_malloc_hook', '__stop_malloc_hook',
];

const SKIP = new Set<string>(ENTRY_POINTS.flatMap((n) => [n, `_${n}`]));
/**
 * jeprof's pattern, plus glibc's internal names for its entry points
 * (`__libc_malloc`, `__libc_calloc`, `__GI___libc_free`, `__libc_memalign`),
 * which perf and unstripped libcs show instead of the public aliases.
 */
const SKIP_PATTERN = /TCMalloc|^tcmalloc::|^(__GI_)?__libc_(malloc|calloc|realloc|free|memalign|valloc|pvalloc|reallocarray)$/;
/** Libraries whose leaf frames are the allocator's own. */
const ALLOCATOR_MODULE = /^lib(jemalloc|tcmalloc|tcmalloc_minimal|tcmalloc_and_profiler)[.-]/;

/**
 * Whether a function name is an allocator entry point. Names may carry an
 * argument list (`operator new(unsigned long)`) or a symbol version
 * (`malloc@GLIBC_2.2.5`); both are ignored for the comparison.
 */
export function isAllocatorFunction(name: string): boolean {
  if (SKIP.has(name)) return true;
  const bare = name.replace(/@.*$/, '').replace(/\(.*\)$/, '');
  return SKIP.has(bare) || SKIP_PATTERN.test(name);
}

/** Whether a module (file basename) is an allocator library. */
export function isAllocatorModule(module: string): boolean {
  return ALLOCATOR_MODULE.test(module);
}
