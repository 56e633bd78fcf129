/**
 * The memray CSV importer (`memray transform csv`) on a sample that follows
 * memray's writer (helpers/hand-written.ts says why it is not a capture):
 * values, threads, frames, the allocator label, the CSV quoting, and the
 * errors of rows that do not follow the grammar.
 */
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { MEMRAY_ALLOCATORS, ParseError, checkIntegrity, detectImporter, openBytes, parseSnapshot, type HeapProfile } from '@heapscope/parser';
import { top } from '@heapscope/analyzer';
import { MEMRAY_CSV } from '@heapscope/testkit/hand-written';

const enc = (s: string) => new TextEncoder().encode(s);

async function load(text: string | Uint8Array, chunkBytes?: number, lenient = false): Promise<HeapProfile> {
  const input = await openBytes('capture.csv', typeof text === 'string' ? enc(text) : text, { chunkBytes });
  const importer = detectImporter(input, typeof text === 'string' && !text.startsWith('allocator,') ? 'memray' : undefined);
  if (importer.kind !== 'snapshot') throw new Error(`detected ${importer.id}`);
  return parseSnapshot(input, importer, { lenient });
}

/** Frames of every sample as `function (file:line)`, leaf first, with its values. */
function rows(p: HeapProfile) {
  const { lineStart, lineFunction, lineNumber } = p.locations;
  return [...Array(p.samples.length).keys()].map((i) => ({
    frames: p.stackLocations(p.samples.stack[i]).map((l) => {
      const at = lineStart[l];
      const fn = lineFunction[at];
      return `${p.strings[p.functions.name[fn]]} (${p.strings[p.functions.fileName[fn]]}:${lineNumber[at]})`;
    }),
    thread: p.threads[p.samples.thread[i]],
    allocator: MEMRAY_ALLOCATORS[p.samples.labels[0].values[i]],
    objects: p.samples.values[0][i],
    bytes: p.samples.values[1][i],
  }));
}

describe('memray transform csv', () => {
  it('is detected by its header and imports with integrity: live objects and bytes at the high-water mark', async () => {
    const p = await load(MEMRAY_CSV);
    expect(checkIntegrity(p)).toEqual([]);
    expect(p.meta.format).toBe('memray');
    expect(p.sampleTypes.map((t) => t.type)).toEqual(['inuse_objects', 'inuse_space']);
    expect(p.total(0)).toBe(3 + 40 + 1 + 2 + 1 + 5 + 1);
    expect(p.total(1)).toBe(98304 + 2560 + 8192 + 256 + 1048576 + 640 + 100);
    expect(p.meta.warnings).toEqual([]);
  });

  it('keeps frames leaf first with their files and lines, the thread names and the allocator; rows of one stack differ by allocator', async () => {
    const got = rows(await load(MEMRAY_CSV));
    expect(got[0]).toEqual({
      frames: ['grow (/tmp/app.py:7)', 'main (/tmp/app.py:12)', '<module> (/tmp/app.py:15)'],
      thread: { key: '1', name: 'MainThread' },
      allocator: 'MALLOC',
      objects: 3,
      bytes: 98304,
    });
    expect(got[2].frames).toEqual(['std::map<int, int>::operator[](int const&) (/usr/include/c++/12/bits/stl_map.h:511)', 'fill_map (native.cpp:20)', 'run (/tmp/app.py:30)']);
    expect(got[2].thread).toEqual({ key: '2', name: 'worker' });
    // "|" inside a C++ name, ";" inside a function name, doubled quotes.
    expect(got[3].frames).toEqual(['Flags::operator|(Flags) const (flags.h:4)', 'x;y;z (native.cpp:9)', 'run (/tmp/app.py:31)']);
    expect(got[5].frames).toEqual(['say "hi" (/tmp/app.py:40)']);
    // An empty stack trace; a thread without a name.
    expect(got[4]).toMatchObject({ frames: [], thread: { key: '3', name: '' }, allocator: 'MMAP' });
    // The REALLOC row has the MALLOC row's stack: a row of its own.
    expect(got[6]).toMatchObject({ frames: got[0].frames, allocator: 'REALLOC', bytes: 100 });
    expect(got.length).toBe(7);
  });

  it('sums rows of one stack, thread and allocator, and ranks sites as top does', async () => {
    const lines = MEMRAY_CSV.trimEnd().split('\r\n');
    const twice = await load([...lines, lines[1]].join('\n') + '\n');
    expect(rows(twice)[0]).toMatchObject({ objects: 6, bytes: 2 * 98304 });
    const byFunction = top([await load(MEMRAY_CSV)], { sampleType: 'inuse_space' }).rows;
    expect(byFunction[0]).toMatchObject({ name: '(no stack)', flat: 1048576 });
    expect(byFunction.find((r) => r.name === 'grow')).toMatchObject({ flat: 98304 + 2560 + 100 });
  });

  it('gives the same profile detected without a name, in 1- and 7-byte chunks, with LF line ends, and gzipped', async () => {
    const want = rows(await load(MEMRAY_CSV));
    expect(rows(await load(MEMRAY_CSV, 1))).toEqual(want);
    expect(rows(await load(MEMRAY_CSV, 7))).toEqual(want);
    expect(rows(await load(MEMRAY_CSV.replace(/\r\n/g, '\n')))).toEqual(want);
    expect(rows(await load(gzipSync(enc(MEMRAY_CSV))))).toEqual(want);
  });

  it('rejects rows that do not follow the grammar, naming the line', async () => {
    const header = 'allocator,num_allocations,size,tid,thread_name,stack_trace\n';
    const cases: [string, RegExp][] = [
      ['MALLOCX,1,8,1,0x1,f;a.py;1', /capture\.csv:2: unknown allocator "MALLOCX"/],
      ['MALLOC,one,8,1,0x1,f;a.py;1', /capture\.csv:2: num_allocations and size must be non-negative integers/],
      ['MALLOC,1,-8,1,0x1,f;a.py;1', /capture\.csv:2: num_allocations and size must be non-negative integers/],
      ['MALLOC,1,8,1,"0x1,f;a.py;1', /capture\.csv:2: expected 6 comma-separated fields/],
      ['MALLOC,1,8,1,0x1', /capture\.csv:2: expected 6 comma-separated fields/],
      ['MALLOC,1,8,1,0x1,f;a.py', /capture\.csv:2: expected frames "<function>;<file>;<line>" joined by "\|": "f;a\.py"/],
    ];
    for (const [row, re] of cases) {
      const error = await load(`${header}${row}\n`).catch((e) => e);
      expect(error, row).toBeInstanceOf(ParseError);
      expect(error.message, row).toMatch(re);
    }
    // --lenient skips such rows and counts them.
    const lenient = await load(`${header}MALLOCX,1,8,1,0x1,f;a.py;1\nMALLOC,1,8,1,0x1,f;a.py;1\n`, undefined, true);
    expect(lenient.total(1)).toBe(8);
    expect(lenient.meta.warnings.map((w) => w.count)).toEqual([1]);
  });
});
