/**
 * What moves a verdict: the settings of the allocator in use that change
 * it (with their current values when the dump prints them).
 */
import type { StatsAllocator, StatsSnapshot } from '@heapscope/parser';
import type { Knob, Verdict } from './report.js';

/** The settings that move this verdict for this allocator. */
export function knobsFor(allocator: StatsAllocator | 'unknown', verdict: Verdict, snap: StatsSnapshot | undefined, allocatedUnknown: boolean, haveProfiles: boolean): Knob[] {
  const setting = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = snap?.raw[k] ?? snap?.settings[k];
      if (v !== undefined) return String(v);
    }
    return undefined;
  };
  const knob = (name: string, effect: string, current?: string): Knob => (current !== undefined ? { name, current, effect } : { name, effect });
  const out: Knob[] = [];
  switch (allocator) {
    case 'jemalloc':
      if (verdict === 'leak') {
        if (!haveProfiles) out.push(knob('MALLOC_CONF=prof:true,prof_final:true,lg_prof_interval:30', 'heap profiles of the same run (jeprof.*.heap); heapscope growth (or diagnose with them) names the growing call sites'));
      } else if (verdict === 'inconclusive') {
        out.push(knob('MALLOC_CONF=stats_interval:<bytes>', 'prints the statistics every time that many bytes were allocated: a series of dumps diagnose can judge'));
      } else if (verdict === 'retained') {
        out.push(knob('MALLOC_CONF=dirty_decay_ms:<ms>', 'how long freed pages stay dirty before purging; lower returns them sooner (0 = at once, more madvise calls)', setting('opt.dirty_decay_ms')));
        out.push(knob('MALLOC_CONF=muzzy_decay_ms:<ms>', 'the same for pages already lazily purged (MADV_FREE)', setting('opt.muzzy_decay_ms')));
        out.push(knob('MALLOC_CONF=background_thread:true', 'purge on a timer; without it decay advances only when the program allocates, so an idle process keeps its dirty pages', setting('opt.background_thread')));
        out.push(knob('mallctl("arena.<i>.purge") / ("arena.<i>.decay")', 'purge now, from the program (i = 4096, MALLCTL_ARENAS_ALL, for every arena)'));
      } else if (verdict === 'fragmentation') {
        out.push(knob('MALLOC_CONF=narenas:<n>', 'fewer arenas share partly used slabs between threads (default 4 × CPUs)', setting('opt.narenas')));
        out.push(knob('separate arenas for long-lived objects (mallctl "arenas.create", mallocx(MALLOCX_ARENA(a)))', 'keeps a few survivors from pinning slabs full of short-lived neighbours'));
        out.push(knob('MALLOC_CONF=dirty_decay_ms:<ms>', 'returns the free pages the fragmentation leaves behind sooner (not the partly used ones)', setting('opt.dirty_decay_ms')));
      }
      break;
    case 'glibc':
      if (verdict === 'leak') {
        if (!haveProfiles) out.push(knob('LD_PRELOAD=libtcmalloc.so.4 HEAPPROFILE=/tmp/prof', 'gperftools heap profiles of the same program (or jemalloc with prof:true); heapscope names the growing call sites'));
      } else if (verdict === 'retained' || verdict === 'fragmentation') {
        out.push(knob('malloc_trim(0)', 'returns every free whole page inside the heaps, not only at their top (call it from the program, e.g. after a burst)'));
        out.push(knob('MALLOC_ARENA_MAX=<n>', 'caps the number of arenas (default 8 × CPUs on 64-bit): fewer arenas, less memory stranded in each'));
        out.push(knob('MALLOC_TRIM_THRESHOLD_=<bytes> (mallopt M_TRIM_THRESHOLD)', 'free memory at the top of a heap above this is returned at once (default 128 KiB, raised automatically by mmap-threshold adjustments)'));
        out.push(knob('MALLOC_MMAP_THRESHOLD_=<bytes> (mallopt M_MMAP_THRESHOLD)', 'blocks at least this large are mmapped and unmapped on free, so they cannot strand heap pages (fixing it also stops the dynamic adjustment)'));
        if (verdict === 'fragmentation') out.push(knob('a different allocator (jemalloc, tcmalloc, mimalloc)', 'size-class allocators keep small and large blocks apart; glibc carves both from the same heap'));
      }
      break;
    case 'tcmalloc':
      if (verdict === 'leak') {
        if (!haveProfiles) out.push(knob('HEAPPROFILE=/tmp/prof (gperftools heap profiler)', 'heap profiles of the same run; heapscope names the growing call sites'));
      } else if (verdict === 'retained') {
        out.push(knob('TCMALLOC_RELEASE_RATE=<0..10>', 'how fast free page-heap spans go back to the OS (default 1.0; 0 = never, 10 = most eager)'));
        out.push(knob('TCMALLOC_AGGRESSIVE_DECOMMIT=true', 'return free spans as soon as they are free'));
        out.push(knob('MallocExtension::instance()->ReleaseFreeMemory()', 'release the page heap free list now, from the program'));
      } else if (verdict === 'fragmentation') {
        out.push(knob('separate lifetimes (arenas or pools for long-lived objects)', 'free objects in the central and transfer caches sit in spans that survivors keep alive; no release setting returns those'));
        out.push(knob('TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES=<bytes>', 'caps the free objects cached per thread (default 32 MiB in all)'));
        out.push(knob('TCMALLOC_RELEASE_RATE=<0..10> / TCMALLOC_AGGRESSIVE_DECOMMIT=true', 'returns the spans that do empty out sooner'));
      }
      break;
    case 'mimalloc':
      if (allocatedUnknown) out.push(knob('a mimalloc built with MI_STAT=1 (or a debug build)', 'release builds print no allocated bytes; with them diagnose can tell a leak from fragmentation'));
      if (verdict === 'retained' || verdict === 'fragmentation') {
        out.push(knob('MIMALLOC_DECOMMIT_DELAY=<ms> (2.0; MIMALLOC_PURGE_DELAY in 2.1+)', 'how long free pages stay committed before they are purged; 0 purges at once'));
        out.push(knob('mi_collect(true)', 'purge free pages and abandoned segments now, from the program'));
      }
      if (verdict === 'fragmentation') {
        out.push(knob('separate heaps for long-lived objects (mi_heap_new)', 'keeps survivors from pinning pages full of short-lived blocks'));
        out.push(knob('MIMALLOC_EAGER_COMMIT=0 (2.0; MIMALLOC_ARENA_EAGER_COMMIT in 2.1+)', 'commit segment memory on demand rather than up front'));
      }
      break;
    default:
      break;
  }
  return out;
}
