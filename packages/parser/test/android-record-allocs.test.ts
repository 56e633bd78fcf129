/**
 * The record_allocs importer on small traces written here by hand after the
 * grammar of docs/formats.md#record-allocs: which events each line becomes, in every writer
 * generation (no timestamps; start/end ns; present bytes; thread_done with
 * its end time), and how malformed lines are reported. Events are checked
 * through a recording sink; the event accumulator's results are tested in
 * packages/analyzer/test/android-record-allocs.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { gzipSync, zipSync } from 'fflate';
import {
  AllocOp,
  NO_TIME,
  ParseError,
  androidRecordAllocsImporter,
  detectImporter,
  openBytes,
  parseTrace,
  traceBuilder,
  type RecordAllocsFacts,
  type TraceSink,
  type Warning,
} from '@heapscope/parser';

/** One event as the sink saw it: pointers as hex strings, threads as keys. */
type Event = (string | number)[];

const hex = (hi: number, lo: number) => (hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0'));

/** Imports `content`; returns the events, the thread keys, the facts and the warnings. */
async function importTrace(
  content: string | Uint8Array,
  options: { chunkBytes?: number; lenient?: boolean; detect?: boolean } = {},
): Promise<{ events: Event[]; facts: RecordAllocsFacts; threads: string[]; warnings: Warning[]; variant: string }> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const input = await openBytes('trace.txt', bytes, { chunkBytes: options.chunkBytes });
  const importer = options.detect ? detectImporter(input) : androidRecordAllocsImporter;
  if (importer.kind !== 'trace') throw new Error(`detected ${importer.id}`);
  const builder = traceBuilder(input, importer);
  const events: Event[] = [];
  const key = (t: number) => threadKeys[t];
  const threadKeys: string[] = [];
  const sink: TraceSink = {
    alloc: (hi, lo, size, op, stack, thread, t) => events.push(['alloc', hex(hi, lo), size, op, stack, thread, t]),
    free: (hi, lo, stack, thread, t) => events.push(['free', hex(hi, lo), stack, thread, t]),
    realloc: (oh, ol, nh, nl, size, stack, thread, t) => events.push(['realloc', hex(oh, ol), hex(nh, nl), size, stack, thread, t]),
    allocUntracked: () => events.push(['untracked']),
    threadDone: (thread, t) => events.push(['threadDone', thread, t]),
  };
  const facts = (await parseTrace(input, importer, builder, sink, { lenient: options.lenient })) as RecordAllocsFacts;
  const profile = builder.finish();
  threadKeys.push(...profile.threads.map((t) => t.key));
  // Threads as keys, so tests read them by name.
  const named = events.map((e) => {
    const at = e[0] === 'threadDone' ? 1 : e[0] === 'free' ? 3 : e[0] === 'untracked' ? -1 : e[0] === 'realloc' ? 5 : 5;
    return at < 0 ? e : e.map((v, i) => (i === at ? key(v as number) : v));
  });
  return { events: named, facts, threads: threadKeys, warnings: profile.meta.warnings, variant: profile.meta.variant };
}

async function importError(content: string | Uint8Array, options: { chunkBytes?: number } = {}): Promise<ParseError> {
  try {
    await importTrace(content, options);
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error('expected a ParseError');
}

/** Every line type as the 2016–2022 writer printed them (32-bit, no timestamps). */
const CLASSIC = `186: malloc 0xb6027400 1024
186: calloc 0xb6003090 3 8
485: memalign 0xae42d080 16 104
186: realloc 0xb60b4d90 0x0 12
350: realloc 0xb603ef40 0xb60b4d90 90
186: free 0xb6027400
186: free 0x0
350: realloc 0x0 0xb603ef40 0
202: malloc 0xb48030d0 0
376: thread_done 0x0
`;

describe('record_allocs: line types', () => {
  it('turns every line type into its event', async () => {
    const { events, facts, threads, warnings, variant } = await importTrace(CLASSIC);
    expect(events).toEqual([
      ['alloc', 'b6027400', 1024, AllocOp.malloc, 0, '186', NO_TIME],
      ['alloc', 'b6003090', 24, AllocOp.calloc, 0, '186', NO_TIME], // nmemb × size
      ['alloc', 'ae42d080', 104, AllocOp.memalign, 0, '485', NO_TIME], // the size, not the alignment
      ['alloc', 'b60b4d90', 12, AllocOp.realloc, 0, '186', NO_TIME], // realloc(NULL, 12)
      ['realloc', 'b60b4d90', 'b603ef40', 90, 0, '350', NO_TIME],
      ['free', 'b6027400', 0, '186', NO_TIME],
      ['free', '0', 0, '186', NO_TIME], // free(NULL): the sink counts it
      ['free', 'b603ef40', 0, '350', NO_TIME], // realloc(p, 0)
      ['alloc', 'b48030d0', 0, AllocOp.malloc, 0, '202', NO_TIME], // malloc(0) is an allocation
      ['threadDone', '376', NO_TIME],
    ]);
    expect(facts).toEqual({ hasTimestamps: false, hasStacks: false, tracksPointers: true, presentBytes: null });
    expect(threads).toEqual(['186', '485', '350', '202', '376']);
    expect(warnings).toEqual([]);
    expect(variant).toBe('record_allocs, 32-bit pointers');
  });

  it('reads start/end timestamps (events at their end time), present bytes and thread_done end times', async () => {
    const text = [
      '100: malloc 0x7b5a0c1000 4096 1000 1500',
      '100: calloc 0x7b5a0c3000 2 64 1600 1700',
      '100: memalign 0x7b5a0c4000 4096 8192 1800 1900',
      '101: realloc 0x7b5a0c5000 0x7b5a0c3000 256 2000 2100 128', // present bytes of the old block
      '101: free 0x7b5a0c1000 2200 2300 4096',
      '101: free 0x0 2400 2500', // NULL: no present bytes
      '101: free 0x7b5a0c5000 2600 2700', // present bytes are optional
      '101: thread_done 0x0 2800',
      '100: thread_done 0x0', // the older writer: no end time
      '',
    ].join('\n');
    const { events, facts, variant } = await importTrace(text);
    expect(events).toEqual([
      ['alloc', '7b5a0c1000', 4096, AllocOp.malloc, 0, '100', 1500],
      ['alloc', '7b5a0c3000', 128, AllocOp.calloc, 0, '100', 1700],
      ['alloc', '7b5a0c4000', 8192, AllocOp.memalign, 0, '100', 1900],
      ['realloc', '7b5a0c3000', '7b5a0c5000', 256, 0, '101', 2100],
      ['free', '7b5a0c1000', 0, '101', 2300],
      ['free', '0', 0, '101', 2500],
      ['free', '7b5a0c5000', 0, '101', 2700],
      ['threadDone', '101', 2800],
      ['threadDone', '100', NO_TIME],
    ]);
    expect(facts).toEqual({ hasTimestamps: true, hasStacks: false, tracksPointers: true, presentBytes: { events: 2, bytes: 4224 } });
    expect(variant).toBe('record_allocs, 64-bit pointers, timestamps, present bytes');
  });

  it('keeps 64-bit and tagged pointers above 2^53 exact, with or without 0x, padded or not', async () => {
    const text = [
      '7: malloc 0xb400007a1c2d3e40 48', // a tagged (top-byte) Android pointer
      '7: malloc 0xffffffffffffffff 1',
      '7: malloc 7f0012345678 8', // memory_replay accepts hex without 0x
      '7: malloc 0x00000000DEADBEEF 16', // zero-padded, upper case
      '7: realloc 0xb400007a1c2d3e80 0xb400007a1c2d3e40 96',
      '7: free 0xb400007a1c2d3e80',
      '',
    ].join('\n');
    const { events } = await importTrace(text);
    expect(events.map((e) => e.slice(0, 3))).toEqual([
      ['alloc', 'b400007a1c2d3e40', 48],
      ['alloc', 'ffffffffffffffff', 1],
      ['alloc', '7f0012345678', 8],
      ['alloc', 'deadbeef', 16],
      ['realloc', 'b400007a1c2d3e40', 'b400007a1c2d3e80'],
      ['free', 'b400007a1c2d3e80', 0],
    ]);
  });

  it('counts lines whose timestamps differ from the first line (a writer times every call or none) and calls that end before they start, each with its first line', async () => {
    // A timed trace with an untimed one appended (hand-written after docs/formats.md#record-allocs): thread_done does not count.
    const timedFirst = ['1: malloc 0x10 8 100 110', '1: thread_done 0x0', '2: malloc 0x20 8', '2: free 0x20', '2: free 0x10 300 290', ''].join('\n');
    const a = await importTrace(timedFirst);
    expect(a.warnings.map((w) => [w.message, w.count, w.locations.map((l) => l.line)])).toEqual([
      ['lines without timestamps in a trace whose first line has them (a writer times every call: two traces appended?); their events have no time', 2, [3, 4]],
      ['calls that end before they start (end-ns < start-ns): damaged timestamps', 1, [5]],
    ]);
    const untimedFirst = ['1: malloc 0x10 8', '1: thread_done 0x0 50', '2: malloc 0x20 8 100 110', ''].join('\n');
    expect((await importTrace(untimedFirst)).warnings.map((w) => [w.message, w.count, w.locations.map((l) => l.line)])).toEqual([
      ['lines with timestamps in a trace whose first line has none (a writer times every call or none: two traces appended?)', 1, [3]],
    ]);
    // Each writer generation alone: no such warning.
    for (const text of [CLASSIC, '100: malloc 0x7b00001000 8 1000 1010\n100: thread_done 0x0\n101: free 0x7b00001000 1100 1110 4096\n101: thread_done 0x0 1200\n']) {
      expect((await importTrace(text)).warnings).toEqual([]);
    }
  });

  it('gives a reused tid a new thread after thread_done', async () => {
    const text = `5: malloc 0x1000 10
6: malloc 0x2000 20
5: thread_done 0x0
6: free 0x1000
5: malloc 0x3000 30
5: thread_done 0x0 99
5: free 0x3000
`;
    const { events, threads } = await importTrace(text);
    expect(threads).toEqual(['5', '6', '5#2', '5#3']);
    expect(events).toEqual([
      ['alloc', '1000', 10, AllocOp.malloc, 0, '5', NO_TIME],
      ['alloc', '2000', 20, AllocOp.malloc, 0, '6', NO_TIME],
      ['threadDone', '5', NO_TIME],
      ['free', '1000', 0, '6', NO_TIME],
      ['alloc', '3000', 30, AllocOp.malloc, 0, '5#2', NO_TIME],
      ['threadDone', '5#2', 99],
      ['free', '3000', 0, '5#3', NO_TIME],
    ]);
  });

  it('reads a thread_done of a tid never seen (a thread that recorded before an earlier dump cleared the entries) as that thread ending, without a warning', async () => {
    const { events, threads, warnings } = await importTrace('9: thread_done 0x0\n8: malloc 0x10 8\n9: malloc 0x20 8\n');
    expect(threads).toEqual(['9', '8', '9#2']);
    expect(events.map((e) => e[0])).toEqual(['threadDone', 'alloc', 'alloc']);
    expect(warnings).toEqual([]);
  });

  it('counts failed allocations (NULL results) in warnings instead of allocating', async () => {
    const text = `1: malloc 0x0 18446744073709551615
1: calloc 0x0 4611686018427387904 8
1: malloc 0x10 8
1: realloc 0x0 0x10 1000000
1: realloc 0x0 0x0 64
`;
    const { events, warnings } = await importTrace(text);
    expect(events).toEqual([['alloc', '10', 8, AllocOp.malloc, 0, '1', NO_TIME]]);
    expect(warnings.map((w) => [w.message, w.count, w.locations.map((l) => l.line)])).toEqual([
      ['allocations that returned NULL (failed): nothing allocated, not counted', 3, [1, 2, 5]],
      ['reallocs that returned NULL (failed): the old block stays live', 1, [4]],
    ]);
  });

  it('reads CRLF line ends, extra blanks and blank lines (a run of them at once), and drops a last line without a newline, which was cut short', async () => {
    const { events, warnings } = await importTrace(`1: malloc 0x10 8\r\n1:  malloc\t0x20  16 \r\n\n${'\n'.repeat(5000)}1: free 0x20\n1: free 0x10`);
    expect(events).toEqual([
      ['alloc', '10', 8, AllocOp.malloc, 0, '1', NO_TIME],
      ['alloc', '20', 16, AllocOp.malloc, 0, '1', NO_TIME],
      ['free', '20', 0, '1', NO_TIME],
    ]);
    expect(warnings.map((w) => [w.message, w.count, w.locations[0].line])).toEqual([
      ['blank lines ignored (memory_replay rejects them)', 5001, 3],
      ['the input ends in the middle of a line (truncated?); that line was dropped: "1: free 0x10"', 1, 5005],
    ]);
  });
});

describe('record_allocs: input forms', () => {
  it('is detected without a file name, and reads the same in 1- and 7-byte chunks, gzip and the first zip member', async () => {
    const text = `${CLASSIC}42: malloc 0xb400007a1c2d3e40 48 123456789012 123456789999\n42: free 0xb400007a1c2d3e40 123456790000 123456790100 4096\n`;
    const whole = await importTrace(text, { detect: true });
    expect(whole.events.length).toBe(12);
    for (const chunkBytes of [1, 7]) {
      expect(await importTrace(text, { chunkBytes })).toEqual(whole);
    }
    const bytes = new TextEncoder().encode(text);
    expect(await importTrace(gzipSync(bytes), { detect: true, chunkBytes: 7 })).toEqual(whole);
    // memory_replay reads the first member only.
    const zip = zipSync({ 'trace.txt': bytes, 'other.txt': new TextEncoder().encode('9: malloc 0x99 9\n') });
    expect(await importTrace(zip, { detect: true })).toEqual(whole);
    expect(await importTrace(zip, { detect: true, chunkBytes: 7 })).toEqual(whole);
  });

  it('sniffs record_allocs lines, and not other formats', () => {
    const head = (firstLine: string) => ({ bytes: new Uint8Array(), text: firstLine, firstLine });
    expect(androidRecordAllocsImporter.sniff(head('186: malloc 0xb6027400 1024'))).toBe(1);
    expect(androidRecordAllocsImporter.sniff(head('376: thread_done 0x0'))).toBe(1);
    expect(androidRecordAllocsImporter.sniff(head('186: mmap 0xb6027400 1024'))).toBeGreaterThan(0); // ours, to name the word
    expect(androidRecordAllocsImporter.sniff(head('heap_v2/524288'))).toBe(0);
    expect(androidRecordAllocsImporter.sniff(head('     1:      288 [     2:      296] @'))).toBe(0);
    expect(androidRecordAllocsImporter.sniff(head('Android Native Heap Dump v1.2'))).toBe(0);
  });
});

describe('record_allocs: bad input', () => {
  it('names the line of a malformed pointer, in any chunking', async () => {
    for (const chunkBytes of [1, 7, undefined]) {
      const e = await importError('1: malloc 0x10 8\n1: free 0x10\n1: malloc 0xzz 12\n', { chunkBytes });
      expect(e.line).toBe(3);
      expect(e.message).toBe(
        'trace.txt:3: expected "<tid>: malloc <pointer> <size> [<start-ns> <end-ns>]" (hexadecimal pointers, decimal numbers): "1: malloc 0xzz 12"',
      );
    }
  });

  it('rejects unknown operation words as memory_replay does', async () => {
    const e = await importError('186: malloc 0x10 8\n186: mmap 0x20 4096\n');
    expect(e.message).toBe('trace.txt:2: unknown operation "mmap" (expected malloc, calloc, memalign, realloc, free or thread_done): "186: mmap 0x20 4096"');
    expect((await importError('186: mallocx 0x10 8\n')).message).toMatch(/^trace\.txt:1: unknown operation "mallocx"/);
  });

  it('rejects wrong field counts', async () => {
    const cases: [string, string][] = [
      ['1: malloc 0x10', 'expected "<tid>: malloc <pointer> <size> [<start-ns> <end-ns>]"'],
      ['1: calloc 0x10 8', 'expected "<tid>: calloc <pointer> <nmemb> <size> [<start-ns> <end-ns>]"'],
      ['1: realloc 0x10 8', 'expected "<tid>: realloc <new pointer> <old pointer> <size> [<start-ns> <end-ns> [<present bytes>]]"'],
      ['1: free', 'expected "<tid>: free <pointer> [<start-ns> <end-ns> [<present bytes>]]"'],
      ['1: free 0x10 100', 'expected both a start and an end timestamp'], // memory_replay: "Failed to read timestamps"
      ['1: malloc 0x10 8 100 200 300', 'expected "<tid>: malloc <pointer> <size> [<start-ns> <end-ns>]"'], // present bytes only on free/realloc
      ['1: free 0x10 100 200 300 400', 'expected "<tid>: free <pointer> [<start-ns> <end-ns> [<present bytes>]]"'],
      ['1: thread_done 0x0 100 200', 'expected "<tid>: thread_done 0x0 [<end-ns>]"'],
      ['1: malloc 0x10 -8', 'expected "<tid>: malloc <pointer> <size> [<start-ns> <end-ns>]"'],
      ['1: malloc 0x10 8x', 'expected "<tid>: malloc <pointer> <size> [<start-ns> <end-ns>]"'],
      ['1: malloc 0x12345678123456781 8', 'expected "<tid>: malloc <pointer> <size> [<start-ns> <end-ns>]"'], // 17 digits
      ['1: malloc 0x10 18446744073709551615', 'allocation size exceeds 2^53'],
      ['malloc 0x10 8', 'expected "<tid>: <operation> <pointer> …"'],
      ['1 malloc 0x10 8', 'expected "<tid>: <operation> <pointer> …"'],
      ['1:malloc 0x10 8', 'expected a blank after "<tid>:"'],
    ];
    for (const [line, reason] of cases) {
      const e = await importError(`1: malloc 0x1 1\n${line}\n`);
      expect([line, e.line, e.reason.startsWith(reason)]).toEqual([line, 2, true]);
    }
  });

  it('drops a last line cut short (no newline), whether it parses or not, with a truncation warning', async () => {
    for (const chunkBytes of [1, 7, undefined]) {
      for (const last of ['1: mall', '1: malloc 0x20 8']) {
        const { events, warnings } = await importTrace(`1: malloc 0x10 8\n1: free 0x10\n${last}`, { chunkBytes });
        expect(events.length).toBe(2);
        expect(warnings.map((w) => [w.message, w.locations[0].line])).toEqual([[`the input ends in the middle of a line (truncated?); that line was dropped: "${last}"`, 3]]);
      }
    }
    // Nothing but a cut line: nothing to read.
    await expect(importTrace('1: malloc 0x10')).rejects.toThrow(/:1: the input ends in the middle of its first line \(truncated\?\)/);
  });

  it('rejects empty input, blank lines alone, an empty zip and non-ASCII bytes', async () => {
    expect((await importError('')).message).toBe('trace.txt:1: input is empty');
    expect((await importError('\n\r\n \n')).message).toBe('trace.txt:1: the input holds only blank lines');
    expect((await importError(zipSync({}))).message).toBe('trace.txt:1: zip archive has no members');
    const e = await importError(new Uint8Array([...new TextEncoder().encode('1: malloc 0x10 8\n1: free 0x1'), 0xff, 0x30, 10]));
    expect(e.line).toBe(2);
  });

  it('with --lenient, counts malformed lines and reads the rest', async () => {
    const { events, warnings } = await importTrace('1: malloc 0x10 8\n1: mmap 0x20 8\n1: free 0x10 5\n1: free 0x10\n', { lenient: true });
    expect(events).toEqual([
      ['alloc', '10', 8, AllocOp.malloc, 0, '1', NO_TIME],
      ['free', '10', 0, '1', NO_TIME],
    ]);
    expect(warnings.reduce((n, w) => n + w.count, 0)).toBe(2);
    expect(warnings.flatMap((w) => w.locations.map((l) => l.line)).sort()).toEqual([2, 3]);
  });

  it('rejects a line longer than 64 KiB without holding it', async () => {
    const e = await importError(`1: malloc 0x10 8\n1: free ${'0'.repeat(70_000)}\n`, { chunkBytes: 4096 });
    expect(e.line).toBe(2);
    expect(e.reason).toBe('line longer than 65536 bytes');
  });
});
