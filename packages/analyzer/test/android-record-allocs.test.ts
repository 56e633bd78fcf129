/**
 * record_allocs traces through the event accumulator: a small hand-written
 * trace with timestamps, and the real corpus traces
 * (../shared/corpus/android-record-allocs, skipped when absent) checked
 * against the counts of docs/formats.md#record-allocs-corpus and against an independent count written
 * here as simply as possible (a Map over BigInt pointers).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, detectImporter, openBytes, parseTrace, traceBuilder, type TraceImporter } from '@heapscope/parser';
import { EventAccumulator, churn, readInput, sizes, top, type LoadedInput } from '@heapscope/analyzer';
import { RECORD_ALLOCS_TIMED as TIMED } from '@heapscope/testkit/hand-written';
import { CORPUS } from '@heapscope/testkit/paths';

const TRACES = resolve(CORPUS, 'android-record-allocs');
const HAVE_TRACES = existsSync(TRACES);
if (!HAVE_TRACES) console.warn(`[heapscope tests] ${TRACES} not found: record_allocs corpus tests are skipped`);

/** Accumulates text held in the test, as `readInput` does for a file. */
async function accumulateText(text: string, windows = 0): Promise<LoadedInput> {
  const input = await openBytes('trace.txt', new TextEncoder().encode(text));
  const importer = detectImporter(input) as TraceImporter;
  const builder = traceBuilder(input, importer);
  const accumulator = new EventAccumulator(builder, { windows });
  const trace = accumulator.finish(await parseTrace(input, importer, builder, accumulator));
  return { profile: trace.profile, trace };
}

describe('record_allocs, accumulated', () => {
  it('gives live bytes, the peak, counts per operation, lifetimes in ns and a per-thread breakdown', async () => {
    const { profile, trace } = await accumulateText(TIMED, 2);
    const r = trace!.report;
    expect(checkIntegrity(profile)).toEqual([]);
    expect(r.facts).toEqual({ hasTimestamps: true, hasStacks: false, tracksPointers: true, presentBytes: { events: 3, bytes: 4396 } });
    expect(r.ops).toMatchObject({ malloc: 2, calloc: 1, memalign: 1, realloc: 1, free: 3, freeNull: 1, threadDone: 1 });
    // Live: 100, 300, 1300, 1100, 1300, (free(NULL) and thread_done are not events) 1307 = the peak at
    // event 6, 1300, 1000.
    expect(r.peak).toEqual({ bytes: 1307, objects: 3, event: 6, timeNs: 1710 });
    expect([r.liveBytes, r.liveObjects]).toEqual([1000, 1]);
    expect([r.firstTimeNs, r.lastTimeNs]).toEqual([1010, 1910]);
    expect(r.lifetimeNs).not.toBeNull();
    expect(r.lifetimeNs!.reduce((a, b) => a + b, 0)).toBe(4); // every freed block had both times
    // Per thread: the tid 11 after thread_done is another thread.
    expect(profile.threads.map((t) => t.key)).toEqual(['10', '11', '11#2']);
    const byThread = top([profile], { by: 'thread', sampleType: 'alloc_space' });
    expect(byThread.rows.map((row) => [row.name, row.flat])).toEqual([
      ['11', 1000],
      ['10', 600],
      ['11#2', 7],
    ]);
    expect(top([profile], { by: 'thread' }).rows.map((row) => [row.name, row.flat])).toEqual([['11', 1000]]);
    // Exact sizes.
    expect(sizes([{ profile, trace }]).rows.map((row) => [row.size, row.count])).toEqual([
      [1000, 1],
      [300, 1],
      [200, 1],
      [100, 1],
      [7, 1],
    ]);
    expect(churn([{ profile, trace }], { by: 'thread' }).rows.length).toBe(3);
    expect(trace!.snapshots.map((s) => [s.event, s.profile.total(1)])).toEqual([
      [4, 1100],
      [8, 1000],
    ]);
  });
});

/** The first member of a zip file (what memory_replay reads), inflated. */
function firstMember(path: string): string {
  const zip = readFileSync(path);
  const method = zip.readUInt16LE(8);
  const start = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
  const size = zip.readUInt32LE(18);
  const data = method === 0 ? zip.subarray(start, start + size) : inflateRawSync(zip.subarray(start));
  return data.toString('latin1');
}

/**
 * An independent count: one Map from BigInt pointer to size, nothing shared
 * with heapscope; with the lines (1-based) of the events that do not fit: an
 * allocation of a live pointer, a free or a realloc of a pointer not live.
 */
function naiveCount(text: string) {
  const live = new Map<bigint, number>();
  const tids = new Set<string>();
  const ops: Record<string, number> = { malloc: 0, calloc: 0, memalign: 0, realloc: 0, free: 0, thread_done: 0 };
  const misfits = { alreadyLive: [] as number[], unknownFree: [] as number[], unknownRealloc: [] as number[] };
  let lines = 0;
  let liveBytes = 0;
  let peakBytes = 0;
  let freeNull = 0;
  let reallocFromNull = 0;
  const free = (p: bigint, unknown: number[]) => {
    const size = live.get(p);
    if (size === undefined) unknown.push(lines);
    else {
      liveBytes -= size;
      live.delete(p);
    }
  };
  const alloc = (p: bigint, size: number) => {
    const was = live.get(p);
    if (was !== undefined) {
      misfits.alreadyLive.push(lines);
      liveBytes -= was;
    }
    live.set(p, size);
    liveBytes += size;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    lines++;
    const [tid, type, ...args] = line.split(' ');
    tids.add(tid);
    ops[type]++;
    if (type === 'malloc') alloc(BigInt(args[0]), Number(args[1]));
    else if (type === 'calloc') alloc(BigInt(args[0]), Number(args[1]) * Number(args[2]));
    else if (type === 'memalign') alloc(BigInt(args[0]), Number(args[2]));
    else if (type === 'free') {
      if (BigInt(args[0]) === 0n) freeNull++;
      else free(BigInt(args[0]), misfits.unknownFree);
    } else if (type === 'realloc') {
      const [to, from, size] = [BigInt(args[0]), BigInt(args[1]), Number(args[2])];
      if (from === 0n) reallocFromNull++;
      if (to === 0n) {
        if (from !== 0n && size === 0) free(from, misfits.unknownFree); // realloc(p, 0): a free
      } else {
        if (from !== 0n) free(from, misfits.unknownRealloc);
        alloc(to, size);
      }
    }
    peakBytes = Math.max(peakBytes, liveBytes);
  }
  const unknownFrees = misfits.unknownFree.length + misfits.unknownRealloc.length;
  return { lines, ops, tids: tids.size, freeNull, reallocFromNull, unknownFrees, liveBytes, liveObjects: live.size, peakBytes, misfits };
}

/** The accumulator's warnings about events that do not fit, as the naive count's misfits would give them: count and first lines. */
function misfitWarnings(misfits: ReturnType<typeof naiveCount>['misfits']) {
  const messages = {
    alreadyLive: 'allocations of a pointer that was already live: its earlier block is taken as freed (free events missing, or two traces appended?)',
    unknownFree: 'frees of pointers not allocated in the trace (allocated before recording started?)',
    unknownRealloc: 'reallocs of pointers not allocated in the trace (allocated before recording started?): only the new block counts',
  };
  return (Object.keys(messages) as (keyof typeof messages)[])
    .filter((k) => misfits[k].length > 0)
    .map((k) => ({ message: messages[k], count: misfits[k].length, locations: misfits[k].slice(0, 5).map((line) => ({ file: 'trace.txt', line })) }));
}

// docs/formats.md#record-allocs-corpus, the table of the corpus traces.
const TABLE = {
  'surfaceflinger.zip': { lines: 2_455_240, malloc: 1_142_990, calloc: 44_229, realloc: 73_781, memalign: 0, free: 1_194_239, thread_done: 1, tids: 15, freeNull: 2_514, reallocFromNull: 8_073, liveObjects: 3_567 },
  'systemui.zip': { lines: 786_454, malloc: 383_154, calloc: 7_847, realloc: 29_167, memalign: 1_066, free: 364_863, thread_done: 357, tids: 393, freeNull: 15_818, reallocFromNull: 10_623, liveObjects: 53_645 },
};

describe.skipIf(!HAVE_TRACES)('record_allocs corpus', () => {
  for (const [name, expected] of Object.entries(TABLE)) {
    it(`${name}: the counts of docs/formats.md, and the live and peak bytes of an independent count`, async () => {
      const path = resolve(TRACES, name);
      const naive = naiveCount(firstMember(path));
      // The independent count agrees with the table first.
      expect({
        lines: naive.lines,
        ...naive.ops,
        tids: naive.tids,
        freeNull: naive.freeNull,
        reallocFromNull: naive.reallocFromNull,
        liveObjects: naive.liveObjects,
      }).toEqual(expected);
      expect(naive.unknownFrees).toBe(0);

      const { profile, trace } = await readInput(path, { windows: 8 });
      const r = trace!.report;
      expect(profile.meta.format).toBe('android-record-allocs');
      expect(profile.meta.variant).toBe('record_allocs, 32-bit pointers');
      expect(r.liveBytes).toBe(naive.liveBytes);
      expect(r.liveObjects).toBe(naive.liveObjects);
      expect(r.peak.bytes).toBe(naive.peakBytes);
      expect(r.ops).toMatchObject({
        malloc: expected.malloc,
        calloc: expected.calloc,
        memalign: expected.memalign,
        realloc: expected.realloc,
        free: expected.free - expected.freeNull,
        freeNull: expected.freeNull,
        threadDone: expected.thread_done,
      });
      expect(r.unknownFrees).toBe(0);
      // No warning at all: none of the misfits a second trace appended would show fires on a real one.
      expect(naive.misfits).toEqual({ alreadyLive: [], unknownFree: [], unknownRealloc: [] });
      expect(profile.meta.warnings).toEqual([]);
      // Threads: one per tid, unless a tid came back after its thread_done.
      expect(new Set(profile.threads.map((t) => t.key.split('#')[0])).size).toBe(expected.tids);
      expect(profile.total(profile.sampleTypeIndex('inuse_space'))).toBe(naive.liveBytes);
      expect(trace!.peakProfile.total(1)).toBe(naive.peakBytes);
      expect(trace!.snapshots.length).toBe(8);
    });
  }
});

describe.skipIf(!HAVE_TRACES)('record_allocs corpus, damaged here', () => {
  const text = HAVE_TRACES ? firstMember(resolve(TRACES, 'systemui.zip')) : '';
  const lines = text.split('\n').slice(0, -1);

  it('two traces appended: allocations of pointers live at the end of the first, named by line, all in the second; no other warning', async () => {
    const twice = text + text;
    const naive = naiveCount(twice);
    // Every block live at the end of the first trace is allocated again by the second (the same
    // program, the same addresses), from the second's first line on.
    expect(naive.misfits.alreadyLive.length).toBe(53_645);
    expect(naive.misfits.alreadyLive[0]).toBe(lines.length + 1);
    expect([naive.misfits.unknownFree, naive.misfits.unknownRealloc]).toEqual([[], []]);
    const { profile } = await accumulateText(twice);
    expect(profile.meta.warnings).toEqual(misfitWarnings(naive.misfits));
  });

  it('allocations dropped and lines written twice: each misfit counted, with the first lines it happened at', async () => {
    // Every 5000th allocation and 300th realloc line dropped (its block's free or realloc then meets an
    // unknown pointer; a realloc's old block stays live), every 7000th malloc written twice.
    let allocs = 0;
    let mallocs = 0;
    let reallocs = 0;
    const damaged: string[] = [];
    for (const line of lines) {
      const op = line.split(' ')[1];
      if (op === 'malloc' || op === 'calloc' || op === 'memalign') {
        if (++allocs % 5000 === 0) continue;
        if (op === 'malloc' && ++mallocs % 7000 === 0) damaged.push(line);
      }
      if (op === 'realloc' && ++reallocs % 300 === 0) continue;
      damaged.push(line);
    }
    const copy = `${damaged.join('\n')}\n`;
    const naive = naiveCount(copy);
    for (const misfit of Object.values(naive.misfits)) expect(misfit.length).toBeGreaterThan(1);
    const { profile, trace } = await accumulateText(copy);
    expect(profile.meta.warnings).toEqual(misfitWarnings(naive.misfits));
    expect(trace!.report.unknownFrees).toBe(naive.unknownFrees);
    expect(trace!.report.liveBytes).toBe(naive.liveBytes);
  });
});
