/**
 * The perf script importer on small inputs written here by hand after the
 * grammar of docs/formats.md#perf-script (sample-line variants copied from
 * the corpus; uprobe records of real captures and of fixtures/perf): which
 * sink events each uprobe record becomes, and how sample lines are read.
 * Side-band records, frames, detection, errors and truncation are
 * perf-script-lines.test.ts's; the real captures and their accumulation
 * perf-fixtures.test.ts's.
 */
import { describe, expect, it } from 'vitest';
import {
  AllocOp,
  NO_TIME,
} from '@heapscope/parser';
import { OWN_ADDRESS, hex, importPerf, messages, LIBC, APP, REAL_RECORDS } from './helpers/perf-text.js';

describe('perf script: uprobe records', () => {
  it('pairs entry and return per thread: size from the entry, pointer and stack from the return', async () => {
    const { events, facts, warnings, profile } = await importPerf(REAL_RECORDS);
    expect(events).toEqual([
      ['alloc', '5628008242a0', 8225, AllocOp.malloc, 'leaf_alloc < mid < main < __libc_start_call_main', '23700/t', 1280785364000],
      // The decimal pointer (`:u64`) is the same block as the hex one.
      ['free', '5628008242a0', 'cfree < __libc_start_call_main', '23700/t', 1280794253000],
    ]);
    expect(facts).toMatchObject({ hasTimestamps: true, hasStacks: true, tracksPointers: true });
    expect(facts.events).toEqual([
      { name: 'probe_libc:malloc', role: 'alloc', records: 1 },
      { name: 'probe_libc:malloc__return', role: 'alloc', records: 1 },
      { name: 'probe_libc:free', role: 'free', records: 1 },
    ]);
    expect(warnings).toEqual([]);
    expect(profile.meta.variant).toBe('malloc probes with return probes');
    // Functions keep the raw symbol as their system name; mappings are the dso paths.
    const cfree = profile.functions.name.findIndex((n) => profile.strings[n] === 'cfree');
    expect(profile.strings[profile.functions.systemName[cfree]]).toBe('cfree@GLIBC_2.2.5');
    expect(profile.mappings.map((m) => [m.path, m.start, m.limit])).toEqual([
      [LIBC, 0n, 0n],
      [APP, 0n, 0n],
    ]);
  });

  it('takes entry records alone as sizes (allocUntracked) on the entry stack, and says what is missing', async () => {
    const text = `app 10 [000] 1.000001: probe_libc:malloc: (7f0000001000) size=24
\t  98930 malloc+0x0 (${LIBC})
\t   1188 mid+0x9 (${APP})

app 10 [000] 1.000002: probe_libc:malloc: (7f0000001000) size=32
\t  98930 malloc+0x0 (${LIBC})
\t   1188 mid+0x9 (${APP})

app 10 [000] 1.000003: probe_libc:calloc: (7f0000002000) nmemb=3 size=16
\t  996e0 __libc_calloc+0x0 (${LIBC})

app 10 [000] 1.000004: probe_libc:realloc: (7f0000003000) ptr=0 size=100
\t  99130 realloc+0x0 (${LIBC})

app 10 [000] 1.000005: probe_libc:malloc: (7f0000001000) size=100
\t  98930 malloc+0x0 (${LIBC})

app 10 [000] 1.000006: probe_libc:realloc: (7f0000003000) ptr=140737219964000 size=200
\t  99130 realloc+0x0 (${LIBC})
`;
    const { events, facts, warnings, profile } = await importPerf(text);
    expect(events).toEqual([
      ['untracked', 24, AllocOp.malloc, 'malloc < mid', '10/app', 1000001000],
      ['untracked', 32, AllocOp.malloc, 'malloc < mid', '10/app', 1000002000],
      ['untracked', 48, AllocOp.calloc, '__libc_calloc', '10/app', 1000003000],
      // Without return records nothing says that glibc's realloc(NULL, n) called malloc: both count (as perf report does).
      ['untracked', 100, AllocOp.realloc, 'realloc', '10/app', 1000004000],
      ['untracked', 100, AllocOp.malloc, 'malloc', '10/app', 1000005000],
      ['untracked', 200, AllocOp.realloc, 'realloc', '10/app', 1000006000],
    ]);
    expect(facts.tracksPointers).toBe(false);
    expect(profile.meta.variant).toBe('malloc probes (entry records only: sizes)');
    expect(messages(warnings)).toEqual([
      "allocations come from entry records without return records: their pointers are unknown (never live), and with frame-pointer callchains (perf record -g) their stacks lack the allocating function's caller ×6",
    ]);
  });

  it('reads calloc, realloc, memalign, aligned_alloc and posix_memalign arguments by name or position', async () => {
    // `1.5:` is 1 s + 5 µs: fractions of up to 6 digits are microseconds (see perf-script.ts).
    const rec = (event: string, payload: string) => `app 7 1.5: probe_libc:${event}: (7f00000010) ${payload}\n`;
    const text = [
      rec('calloc', 'nmemb=4 size=0x10'),
      rec('calloc__return', 'ptr=0x1000'),
      // glibc's debug-info names: calloc(n, elem_size), realloc(oldmem, bytes)
      rec('calloc', 'n=3 elem_size=5'),
      rec('calloc__return', 'arg1=0x2000'),
      rec('realloc', 'oldmem=0x1000 bytes=64'),
      rec('realloc__return', 'ptr=0x3000'),
      rec('realloc', 'ptr=0 size=8'), // realloc(NULL, 8): an allocation
      rec('realloc__return', 'ptr=0x4000'),
      rec('realloc', 'ptr=0x4000 size=0'), // realloc(p, 0) returning NULL: a free
      rec('realloc__return', 'ptr=0x0'),
      rec('realloc', 'ptr=0x3000 size=99999999'), // failed: the old block stays
      rec('realloc__return', 'ptr=0x0'),
      rec('memalign', 'alignment=64 bytes=100'),
      rec('memalign__return', 'ptr=0x5000'),
      rec('aligned_alloc', 'arg1=4096 arg2=8192'),
      rec('aligned_alloc__return', 'arg1=0x6000'),
      rec('posix_memalign', 'memptr=0x7ffc0000 alignment=16 size=48'),
      rec('posix_memalign__return', 'arg1=0'), // an error code, not the block
      rec('reallocarray', 'ptr=0x2000 nmemb=10 size=7'),
      rec('reallocarray__return', 'ptr=0x8000'),
      rec('malloc', 'size=16'),
      rec('malloc__return', 'ptr=0x0'), // failed
    ].join('');
    const { events, warnings } = await importPerf(text);
    // No callchains: each stack is the record's own address (here every payload's ip is 7f00000010).
    expect(events).toEqual([
      ['alloc', '1000', 64, AllocOp.calloc, '@0x7f00000010', '7/app', 1000005000],
      ['alloc', '2000', 15, AllocOp.calloc, '@0x7f00000010', '7/app', 1000005000],
      ['realloc', '1000', '3000', 64, '@0x7f00000010', '7/app', 1000005000],
      ['alloc', '4000', 8, AllocOp.realloc, '@0x7f00000010', '7/app', 1000005000],
      ['free', '4000', '@0x7f00000010', '7/app', 1000005000],
      ['alloc', '5000', 100, AllocOp.memalign, '@0x7f00000010', '7/app', 1000005000],
      ['alloc', '6000', 8192, AllocOp.memalign, '@0x7f00000010', '7/app', 1000005000],
      ['untracked', 48, AllocOp.memalign, '@0x7f00000010', '7/app', 1000005000],
      ['realloc', '2000', '8000', 70, '@0x7f00000010', '7/app', 1000005000],
    ]);
    expect(messages(warnings)).toEqual(['allocations that returned NULL (failed) were not counted ×2', OWN_ADDRESS(22)]);
  });

  it('folds allocator calls made inside an open call into it (glibc realloc(NULL, n) → malloc)', async () => {
    // Real records of fixtures/perf (hs worker, realloc_site's first call).
    const text = `hs worker  6167 [000]  4336.000268:         probe_libc:realloc: (7ffff7e6d130) ptr=0 size=1024
\t           99130 realloc+0x0 (${LIBC})
\t            18f9 worker_main+0x89 (/work/main/fixtures/bin/workload)

hs worker  6167 [000]  4336.000275:          probe_libc:malloc: (7ffff7e6c930) size=1024
\t           98930 malloc+0x0 (${LIBC})
\t            18f9 worker_main+0x89 (/work/main/fixtures/bin/workload)

hs worker  6167 [000]  4336.000291:  probe_libc:malloc__return: (7ffff7e6c930 <- 55555555582b) ptr=0x7ffff000ac60
\t            182b realloc_site+0x3b (/work/main/fixtures/bin/workload)
\t            18f9 worker_main+0x89 (/work/main/fixtures/bin/workload)

hs worker  6167 [000]  4336.000294: probe_libc:realloc__return: (7ffff7e6d130 <- 55555555582b) ptr=0x7ffff000ac60
\t            182b realloc_site+0x3b (/work/main/fixtures/bin/workload)
\t            18f9 worker_main+0x89 (/work/main/fixtures/bin/workload)
`;
    const { events, warnings } = await importPerf(text);
    expect(events).toEqual([['alloc', '7ffff000ac60', 1024, AllocOp.realloc, 'realloc_site < worker_main', '6167/hs worker', 4336000294000]]);
    expect(messages(warnings)).toEqual([
      "allocator calls made inside another allocator call on the same thread (glibc's realloc(NULL, n) calls malloc) were counted as part of the outer call ×1",
    ]);
  });

  it('gives each record its own callchain\'s stack after records of its event whose stack came from elsewhere (their own address, a frame on the sample line)', async () => {
    // Records of one event that repeat the last record's frames reuse its
    // stack; a record without frame lines must not leave that shortcut
    // pointing at its own-address or sample-line stack.
    const text = [
      'app 10 [000] 1.000001: probe_libc:malloc: (7f0000001000) size=1',
      `\t   1188 site_a+0x9 (${APP})`,
      '',
      'app 10 [000] 1.000002: probe_libc:malloc: (7f0000001000) size=2',
      '',
      'app 10 [000] 1.000003: probe_libc:malloc: (7f0000001000) size=3',
      `\t   1188 site_a+0x9 (${APP})`,
      '',
      `app 10 [000] 1.000004: probe_libc:malloc: (7f0000001000) size=4    12a0 site_c+0x10 (${APP})`,
      '',
      'app 10 [000] 1.000005: probe_libc:malloc: (7f0000001000) size=5',
      `\t   1188 site_a+0x9 (${APP})`,
      '',
    ].join('\n');
    const { events } = await importPerf(text);
    expect(events.map((e) => [e[1], e[3]])).toEqual([
      [1, 'site_a'],
      [2, 'malloc'], // the entry record's own address: the probed function
      [3, 'site_a'],
      [4, 'site_c'],
      [5, 'site_a'],
    ]);
    // With inlined frames (merged into the frame they are inlined into): the same frames, the same stack.
    const inlined = (size: number, site: string) => [
      `app 10 [000] 1.00000${size}: probe_libc:malloc: (7f0000001000) size=${size}`,
      '\t   98930 __GI___libc_malloc+0x0 (inlined)',
      `\t   98930 malloc+0x0 (${LIBC})`,
      `\t   1188 ${site}+0x9 (${APP})`,
      '',
    ];
    const repeated = await importPerf([...inlined(1, 'site_a'), ...inlined(2, 'site_a'), ...inlined(3, 'site_b'), ...inlined(4, 'site_a')].join('\n'));
    expect(repeated.events.map((e) => [e[1], e[3]])).toEqual([
      [1, '__GI___libc_malloc|malloc < site_a'],
      [2, '__GI___libc_malloc|malloc < site_a'],
      [3, '__GI___libc_malloc|malloc < site_b'],
      [4, '__GI___libc_malloc|malloc < site_a'],
    ]);
  });

  it('pairs per thread when threads interleave, and handles 64-bit pointers above 2^53', async () => {
    const text = [
      'a 1 2.000001: probe_libc:malloc: (7f10) size=10',
      'b 2 2.000002: probe_libc:malloc: (7f10) size=20',
      'b 2 2.000003: probe_libc:malloc__return: (7f10 <- 5510) ptr=0xb400007a12345670',
      'a 1 2.000004: probe_libc:malloc__return: (7f10 <- 5510) ptr=0x5000',
      'a 1 2.000005: probe_libc:free: (7f20) ptr=12970367451118458480', // 0xb400007a12345670 in decimal
      'a 1 2.000006: probe_libc:free: (7f20) ptr=0', // free(NULL)
      '',
    ].join('\n');
    const { events, warnings } = await importPerf(text);
    expect(events).toEqual([
      // No callchains: a return record's own address is its return address, a free's its function.
      ['alloc', 'b400007a12345670', 20, AllocOp.malloc, '@0x5510', '2/b', 2000003000],
      ['alloc', '5000', 10, AllocOp.malloc, '@0x5510', '1/a', 2000004000],
      ['free', 'b400007a12345670', 'free', '1/a', 2000005000],
      ['free', '0', 'free', '1/a', 2000006000],
    ]);
    expect(messages(warnings)).toEqual([OWN_ADDRESS(6)]);
  });

  it('recognizes probe_ld, musl default_malloc (n, n_u32), glibc internal names, operator new/delete and perf _1 suffixes', async () => {
    const text = [
      'ld 5 3.0: probe_ld:default_malloc: (7f10) n=8225',
      'ld 5 3.0: probe_ld:default_malloc: (7f10) n_u32=8225',
      'ld 5 3.0: probe_ld:__libc_malloc: (7f10) bytes=12',
      'ld 5 3.0: probe_libc:__GI___libc_malloc_1: (7f10) size=13',
      'ld 5 3.0: probe_libstdcxx:_Znwm: (7f10) arg1=14',
      'ld 5 3.0: probe_ld:__minimal_malloc: (7f10) n=15',
      'ld 5 3.0: probe_libc:pvalloc: (7f10) size=16',
      '',
    ].join('\n');
    const { events, warnings } = await importPerf(text);
    expect(events.map((e) => [e[0], e[1], e[2]])).toEqual([
      ['untracked', 8225, AllocOp.malloc],
      ['untracked', 8225, AllocOp.malloc],
      ['untracked', 12, AllocOp.malloc],
      ['untracked', 13, AllocOp.malloc],
      ['untracked', 14, AllocOp.other],
      ['untracked', 15, AllocOp.malloc],
      ['untracked', 16, AllocOp.memalign],
    ]);
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('entry records without return records'), expect.stringContaining("each stack is the record's own address")]);
  });

  it('takes --size-arg, --alloc-event and --free-event', async () => {
    const text = [
      'app 9 4.0: probe_app:my_alloc: (7f10) flags=3 nbytes=40',
      'app 9 4.0: probe_app:my_alloc__return: (7f10 <- 5510) arg1=0x7000',
      'app 9 4.0: probe_app:my_release: (7f20) obj=0x7000',
      'app 9 4.0: probe_libc:malloc: (7f30) nbytes=5 size=6', // --size-arg picks `nbytes` over `size`
      'app 9 4.0: probe_libc:malloc__return: (7f30 <- 5510) ptr=0x7100',
      '',
    ].join('\n');
    const { events, warnings } = await importPerf(text, { sizeArg: 'nbytes', allocEvent: /^probe_app:my_alloc$/, freeEvent: /:my_release$/ });
    expect(events).toEqual([
      ['alloc', '7000', 40, AllocOp.other, '@0x5510', '9/app', 4e9],
      ['free', '7000', 'my_release', '9/app', 4e9],
      ['alloc', '7100', 5, AllocOp.malloc, '@0x5510', '9/app', 4e9],
    ]);
    expect(messages(warnings)).toEqual([OWN_ADDRESS(5)]);
    // Without the options, my_alloc is an event of unknown meaning: said, never dropped silently.
    const plain = await importPerf(text);
    expect(messages(plain.warnings)).toEqual([
      'records of event "probe_app:my_alloc" are neither allocations nor frees; they were skipped ×1',
      'records of event "probe_app:my_alloc__return" are neither allocations nor frees; they were skipped ×1',
      'records of event "probe_app:my_release" are neither allocations nor frees; they were skipped ×1',
      OWN_ADDRESS(2),
    ]);
  });

  it('warns about lost return records, returns without an entry, and frees before any pointer is known', async () => {
    const text = [
      'x 1 5.000001: probe_libc:free: (7f20) ptr=0x9000', // nothing tracked yet
      'x 1 5.000002: probe_libc:malloc__return: (7f10 <- 5510) ptr=0x1000', // recording started inside malloc
      'x 1 5.000003: probe_libc:malloc: (7f10) size=1',
      'x 1 5.000004: probe_libc:malloc__return: (7f10 <- 5510) ptr=0x2000',
      'x 1 5.000005: probe_libc:malloc: (7f10) size=2', // its return was lost
      'x 1 5.000006: probe_libc:malloc: (7f10) size=3',
      'x 1 5.000007: probe_libc:malloc__return: (7f10 <- 5510) ptr=0x3000',
      'x 1 5.000008: probe_libc:malloc: (7f10) size=4', // the trace ends inside this call
      '',
    ].join('\n');
    const { events, warnings } = await importPerf(text);
    expect(events.map((e) => e.slice(0, 3))).toEqual([
      ['alloc', '2000', 1],
      ['untracked', 2, AllocOp.malloc],
      ['alloc', '3000', 3],
      ['untracked', 4, AllocOp.malloc],
    ]);
    expect(messages(warnings)).toEqual([
      'return records without an entry record (recording started inside the call?) were skipped ×1',
      'allocation entry records without their return record (lost events or a truncated trace) count as allocated, never as live ×2',
      'free records came before the first allocation with a returned pointer; they were skipped ×1',
      OWN_ADDRESS(8),
    ]);
  });

  it('learns which functions return from a --header event list', async () => {
    const text = `# ========
# captured on    : Sat Nov 22 04:30:00 2026
# event : name = probe_libc:malloc, , id = { 1 }, type = 2 (tracepoint), size = 136
# event : name = probe_libc:calloc, , id = { 2 }, type = 2 (tracepoint), size = 136
# event : name = probe_libc:calloc__return, , id = { 3 }, type = 2 (tracepoint), size = 136
# ========
#
x 1 6.0: probe_libc:malloc: (7f10) size=7
x 1 6.0: probe_libc:calloc: (7f20) nmemb=1 size=8
x 1 6.0: probe_libc:calloc__return: (7f20 <- 5510) ptr=0x1000
`;
    const { events } = await importPerf(text, { detect: true });
    // malloc has no return event: its entry is sizes-only at once, and does not swallow the calloc.
    expect(events.map((e) => e.slice(0, 3))).toEqual([
      ['untracked', 7, AllocOp.malloc],
      ['alloc', '1000', 8],
    ]);
  });
});

describe('perf script: sample lines', () => {
  /** One CPU-sample record with a one-frame callchain. */
  const one = (line: string) => `${line}\n\tffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])\n\n`;
  const variants: [string, string, number, number][] = [
    // line, thread key/name, time ns, weight (period, 1 when absent)
    ['dd 29776 666709.771979:   10101010 cpu-clock:', '29776/dd', 666709771979000, 10101010],
    ['iperf 27409/28744 [000] 441995.133575: cpu-clock:', '28744/iperf', 441995133575000, 1],
    ['perf   977/977   [000] 7628263.042515: cycles:', '977/perf', 7628263042515000, 1],
    ['perf 47118 [011] 51499.088689:          1 page-faults:', '47118/perf', 51499088689000, 1],
    ['java 19983 cycles:', '19983/java', NO_TIME, 1],
    ['func_ab 15294 cpu-clock:', '15294/func_ab', NO_TIME, 1],
    ['simple-terminat     9/9     198791.127353: cpu-clock:', '9/simple-terminat', 198791127353000, 1],
    ['         swapper     0 [001] 202513.231817:    1001001 cpu-clock:', '0/swapper', 202513231817000, 1001001],
    ['trace    6061 150520.991529:   16949152 task-clock:ppp:', '6061/trace', 150520991529000, 16949152],
    ['FS Broker 5906  7564/7598  2574592.949428:          1 cycles:ppp:', '7598/FS Broker 5906', 2574592949428000, 1],
    ['Gecko\t25122 [007] 115539.936601:\t\t1000000 task-clock:u:', '25122/Gecko', 115539936601000, 1000000],
    // simpleperf's unpadded microseconds: 115540 s + 9540 µs
    ['Espresso Remote\t25176 [007] 115540.9540:\t\t1000000 task-clock:u:', '25176/Espresso Remote', 115540009540000, 1000000],
    // --ns
    ['t 23700 [001]  1280.785321123: 5 cycles: ', '23700/t', 1280785321123, 5],
    ['comm 2 with 3 digits  44 [002] 9.000001: cycles:', '44/comm 2 with 3 digits', 9000001000, 1],
  ];
  for (const [line, thread, timeNs, weight] of variants) {
    it(`reads ${JSON.stringify(line)}`, async () => {
      const { samples, facts, warnings } = await importPerf(one(line), { detect: true });
      expect(samples).toEqual([{ stack: 'native_write_msr_safe', thread, weight, timeNs }]);
      expect(facts.tracksPointers).toBe(false);
      expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^no malloc\/free probe events: samples of ".+" carry no sizes/)]);
    });
  }

  it('keeps event modifiers in the name and never takes a payload colon as the event', async () => {
    const text = [
      'a 1 1.000001: cycles:ppp:  ffffffff81000000 do_syscall_64+0x38 ([kernel.kallsyms])',
      'a 1 1.000002: sched:sched_switch: prev_comm=a prev_pid=1 ==> next_comm=b next_pid=2',
      '',
    ].join('\n');
    const { facts, samples } = await importPerf(text);
    expect(facts.events.map((e) => e.name)).toEqual(['cycles:ppp', 'sched:sched_switch']);
    // A hardware event without -g prints its one frame as the payload.
    expect(samples.map((s) => s.stack)).toEqual(['do_syscall_64', '']);
  });

  it('reads right-aligned comms of records without callchains, ended by the next sample line, with a trailing frame', async () => {
    // Real lines (fixtures capture with free recorded without a callchain in a -g session).
    const text = `        workload  7077 [000]  4381.103310:            probe_libc:free: (7ffff7e6cef0) ptr=0     7ffff7e6cef0 cfree@GLIBC_2.2.5+0x0 (${LIBC})
workload  7077 [000]  4381.103352:          probe_libc:malloc: (7ffff7e6c930) size=68
\t           98930 malloc+0x0 (${LIBC})
\t               0 [unknown] ([unknown])

workload  7077 [000]  4381.103354:  probe_libc:malloc__return: (7ffff7e6c930 <- 7ffff7fcd382) ptr=0x5555555592a0
\t            3382 _dl_exception_create_format+0x102 (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)
\t               0 [unknown] ([unknown])

               t 23700/23700  1280.785321:         probe_libc:free: (7fe7f34d0930) ptr=0x5555555592a0
               t 23700/23700  1280.785322:         probe_libc:free: (7fe7f34d0930) ptr=0
`;
    const { events } = await importPerf(text, { detect: true, modules: true });
    expect(events).toEqual([
      ['free', '0', `cfree{${LIBC}}`, '7077/workload', 4381103310000],
      // Address 0 is in no mapping: cut (perf-stacks.test.ts).
      ['alloc', '5555555592a0', 68, AllocOp.malloc, '_dl_exception_create_format{/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2}', '7077/workload', 4381103354000],
      // Without a callchain: the record's own address, the probed function's entry (no mapping in perf text).
      ['free', '5555555592a0', 'free{}', '23700/t', 1280785321000],
      ['free', '0', 'free{}', '23700/t', 1280785322000],
    ]);
  });
});
