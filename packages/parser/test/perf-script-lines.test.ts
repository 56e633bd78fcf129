/**
 * The perf script importer on small inputs written here by hand after the
 * grammar of docs/formats.md#perf-script: side-band records, frame lines,
 * detection, malformed and truncated inputs. (Uprobe records and sample
 * lines are perf-script.test.ts's.)
 */
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'fflate';
import {
  AllocOp,
  headOf,
  openBytes,
  perfScriptImporter,
} from '@heapscope/parser';
import { importPerf, importError, messages, LIBC, APP, REAL_RECORDS } from './helpers/perf-text.js';

describe('perf script: side-band records', () => {
  it('counts --show-mmap-events / --show-task-events lines and reads the records around them', async () => {
    // Real lines (perf script --show-task-events --show-mmap-events on a fixtures capture).
    const text = `swapper     0 [000]     0.000000: PERF_RECORD_MMAP -1/0: [0xffffffff81000000(0x1209988) @ 0xffffffff81000000]: x [kernel.kallsyms]_text
perf-exec     0 [000]     0.000000: PERF_RECORD_COMM: perf-exec:15410/15410
workload 15410 [000]  5003.777893: PERF_RECORD_COMM exec: workload:15410/15410
workload 15410 [000]  5003.777922: PERF_RECORD_MMAP2 15410/15410: [0x555555555000(0x1000) @ 0x1000 fe:00 5309476 4241567897]: r-xp /work/main/fixtures/bin/workload
workload 15410 [000]  5003.780108:          probe_libc:malloc: (7ffff7e6b930) size=59
	           98930 malloc+0x0 (${LIBC})

workload 15410 [000]  5003.779504: PERF_RECORD_FORK(15410:15412):(15410:15410)
workload 15410 [000]  5003.781000: PERF_RECORD_EXIT(15410:15412):(15410:15410)
`;
    const { events, warnings, profile } = await importPerf(text, { detect: true });
    expect(events).toEqual([['untracked', 59, AllocOp.malloc, 'malloc', '15410/workload', 5003780108000]]);
    expect(messages(warnings).filter((w) => w.startsWith('side-band'))).toEqual([
      'side-band records "PERF_RECORD_MMAP" were skipped ×1',
      'side-band records "PERF_RECORD_COMM" were skipped ×2',
      'side-band records "PERF_RECORD_MMAP2" were skipped ×1',
      'side-band records "PERF_RECORD_FORK" were skipped ×1',
      'side-band records "PERF_RECORD_EXIT" were skipped ×1',
    ]);
    expect(profile.threads.map((t) => t.key)).toEqual(['15410']);
  });
});

describe('perf script: frames', () => {
  it('reads TAB, space and unindented frames, [unknown], offsets, symbols with spaces and parentheses, and the dso as the last group', async () => {
    const text = `java 19983 cycles:
ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])
7f7241fbe6d8 arrayOopDesc::base(BasicType) const (/opt/jdk/lib/server/libjvm.so)
7f722d119786 Ljava/io/FileOutputStream;::writeBytes (/tmp/perf-19982.map)

node 31912 cpu-clock: 
            13a80b608e0a RegExp:[&<>\\"\\'] (/tmp/perf-7539.map)
             c6d7895aac9 LazyCompile:~body_0 evalmachine.<anonymous>:1 (/tmp/perf-31912.map)
                   dd777 v8::internal::Execution::Call(v8::internal::Isolate*, bool) (/tmp/node (deleted))

x 1 1.0: cycles: 
\t             d70 _start+0xffff018fd5dce000 (/usr/lib/ld-2.24.so)
\t 6ce258d4c544155 [unknown] ([unknown])
\t     7f45470d000 [unknown] (/usr/lib/libz.so.1)
\t     7f45470d010 [unknown] (/usr/lib/libz.so.1)
`;
    // (Frames in no mapping are kept here; perf-stacks.test.ts tests their cut.)
    const { samples, profile } = await importPerf(text, { modules: true, keepBadFrames: true });
    expect(samples.map((s) => s.stack)).toEqual([
      'native_write_msr_safe{[kernel.kallsyms]} < arrayOopDesc::base(BasicType) const{/opt/jdk/lib/server/libjvm.so} < Ljava/io/FileOutputStream;::writeBytes{/tmp/perf-19982.map}',
      'RegExp:[&<>\\"\\\']{/tmp/perf-7539.map} < LazyCompile:~body_0 evalmachine.<anonymous>:1{/tmp/perf-31912.map} < v8::internal::Execution::Call(v8::internal::Isolate*, bool){/tmp/node (deleted)}',
      // Unresolved frames keep their ip (one location each) and their dso.
      '_start{/usr/lib/ld-2.24.so} < @0x6ce258d4c544155{} < @0x7f45470d000{/usr/lib/libz.so.1} < @0x7f45470d010{/usr/lib/libz.so.1}',
    ]);
    expect(profile.stacks.length).toBe(1 + 3 + 3 + 4);
  });

  it('passes over -F +srcline lines (real perf 6.1 output), with a warning', async () => {
    const text = `workload 20829  6193.504261:  probe_libc:malloc: (7ffff7e6b930) size=59
	           98930 malloc (${LIBC})
  malloc.c:3281
	               0 [unknown] ([unknown])
  ??:0
`;
    const { events, warnings } = await importPerf(text);
    expect(events).toEqual([['untracked', 59, AllocOp.malloc, 'malloc', '20829/workload', 6193504261000]]); // 0x0 cut
    expect(messages(warnings)).toContain('source lines (perf script -F +srcline, +srccode) are not used: frames are named by their symbols ×2');
  });

  it('keys locations by symbol+offset and dso, not by ip', async () => {
    const text = `a 1 1.0: cycles: 
\t 7f0000001188 mid+0x9 (${APP})
\t 7f00000011b2 main+0x28 (${APP})

a 1 1.1: cycles: 
\t 1188 mid+0x9 (${APP})
\t 11b2 main+0x28 (${APP})

a 1 1.2: cycles: 
\t 1190 mid+0x11 (${APP})
\t 11b2 main+0x28 (${APP})
`;
    const { profile, samples } = await importPerf(text);
    expect(samples.map((s) => s.stack)).toEqual(['mid < main', 'mid < main', 'mid < main']);
    // Two call sites in mid, one in main; absolute and DSO-relative ips of the same frame are one location.
    expect(profile.locations.length).toBe(3);
    expect(profile.functions.length).toBe(2);
  });

  it('merges inlined frames into the frame they are inlined into when the ip is the same', async () => {
    // Real frames (firefox-profiler/gzip.perf.gz and the fixtures' --call-graph dwarf capture).
    const text = `gzip 83220/83220 36556.171340:     148275 cycles: 
\t    7f4547e4b304 elf_machine_rela_relative+0x924 (inlined)
\t    7f4547e4b304 elf_dynamic_do_Rela+0x924 (inlined)
\t    7f4547e4b304 _dl_relocate_object+0x924 (/usr/lib/x86_64-linux-gnu/ld-2.31.so)
\t    7f4547e453f9 open_verify+0x79 (inlined)
\t    7f4547e479cc _dl_map_object+0x56c (/usr/lib/x86_64-linux-gnu/ld-2.31.so)

hs worker 6650 [001]  4357.512907:          cycles: 
\t           98930 __GI___libc_malloc+0x0 (inlined)
\t            1771 odd_size_site+0x31 (/work/main/fixtures/bin/workload)
`;
    const { samples, profile } = await importPerf(text, { modules: true });
    expect(samples.map((s) => s.stack)).toEqual([
      'elf_machine_rela_relative|elf_dynamic_do_Rela|_dl_relocate_object{/usr/lib/x86_64-linux-gnu/ld-2.31.so} < open_verify{} < _dl_map_object{/usr/lib/x86_64-linux-gnu/ld-2.31.so}',
      '__GI___libc_malloc{} < odd_size_site{/work/main/fixtures/bin/workload}',
    ]);
    const merged = profile.stackLocations(1)[0] ?? 0;
    expect(profile.address(merged)).toBeGreaterThan(0n);
  });
});

describe('perf script: detection, errors and truncation', () => {
  it('is detected from content only, also gzipped, and does not claim other formats', async () => {
    const gz = gzipSync(new TextEncoder().encode(REAL_RECORDS));
    const { events } = await importPerf(gz, { detect: true });
    expect(events).toHaveLength(2);
    const sniff = async (text: string) => perfScriptImporter.sniff(headOf(await openBytes('x', new TextEncoder().encode(text))));
    expect(await sniff(REAL_RECORDS)).toBeGreaterThan(0.5);
    expect(await sniff('# ========\n# captured on: x\n')).toBeGreaterThan(0.5);
    expect(await sniff('heap_v2/524288\n  t*: 1: 2 [0: 0]\n')).toBe(0);
    expect(await sniff('heap profile:    1:  2 [ 3:  4] @ heapprofile\n')).toBe(0);
    expect(await sniff('186: malloc 0xb6027400 1024\n')).toBe(0);
    expect(await sniff('Android Native Heap Dump v1.2\n')).toBe(0);
    expect(await sniff('java 19983 cycles:\nnot a frame\n')).toBe(0);
  });

  it('fails with the line number on a malformed sample line or frame', async () => {
    const bad = await importError(`${REAL_RECORDS}this is not a record\n`);
    expect(bad.line).toBe(17);
    expect(bad.message).toMatch(/records\.txt:17: expected a sample line/);
    const badFrame = await importError(`t 1 1.0: probe_libc:malloc: (7f10) size=1\n\t98930 malloc+0x0 (${LIBC})\n\tgarbage\n`);
    expect(badFrame.line).toBe(3);
    expect(badFrame.reason).toMatch(/expected a callchain frame/);
    const badPayload = await importError('t 1 1.0: probe_libc:malloc: (7f10 size=1\n');
    expect(badPayload.line).toBe(1);
    expect(badPayload.reason).toMatch(/unexpected payload for "probe_libc:malloc"/);
    const empty = await importError('');
    expect(empty.line).toBe(1);
  });

  it('skips malformed records under --lenient and counts them', async () => {
    const { events, warnings } = await importPerf(`garbage line\n\tgarbage frame\n\n${REAL_RECORDS}`, { lenient: true });
    expect(events).toHaveLength(2);
    expect(messages(warnings)).toEqual([expect.stringMatching(/^skipped malformed record: expected a sample line .* ×1$/)]);
  });

  it('warns (and drops the line and its record) when the input ends inside a record', async () => {
    // A frame cut short, a frame that would still parse, a sample line cut short.
    for (const cut of [`\t            11b2 main+0x28 (${APP}`, '\t            11b', `\t            11b2 main+0x28 (${APP})`, 't 23700 [001]  1280.79']) {
      const text = `${REAL_RECORDS}t 23700 [001]  1280.794300:           probe_libc:free: (7fe7f34d0ef0) ptr=0\n${cut}`;
      for (const chunkBytes of [undefined, 7]) {
        const { events, warnings } = await importPerf(text, { chunkBytes });
        expect(events).toHaveLength(2);
        expect(messages(warnings)).toEqual([
          `the input ends in the middle of a line (truncated?); that line was dropped: "${cut.replace(/\t/g, ' ')}" ×1`,
          'the record the cut line belonged to was dropped (its callchain is incomplete) ×1',
        ]);
      }
    }
    // A cut pointer that would still parse is never read as the pointer.
    const ptr = await importPerf(`${REAL_RECORDS}t 23700 [001]  1280.794300:           probe_libc:free: (7fe7f34d0ef0) ptr=0x5555`);
    expect(ptr.events).toHaveLength(2);
  });

  it('gives the same events in 1-byte and 7-byte chunks', async () => {
    const whole = await importPerf(REAL_RECORDS);
    for (const chunkBytes of [1, 7]) expect((await importPerf(REAL_RECORDS, { chunkBytes })).events).toEqual(whole.events);
  });
});
