/**
 * The replayer's own count of the trace's live bytes agrees with heapscope's
 * analysis of the same trace: peak and final live bytes on the real
 * record_allocs traces of the shared corpus (systemui here; surfaceflinger in
 * bench/cases/replay.mjs), and after every single operation on the real perf
 * captures that carry pointers (fixtures/perf), in both thread modes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readInput } from '@heapscope/analyzer';
import { replayTrace, type ReplayReport } from '@heapscope/replay';
import { CORPUS, corpusSkipNote } from '@heapscope/testkit/paths';
import { REPO, buildReplayer, liveBytesAfterEachOp } from './helpers.js';

const SYSTEMUI = join(CORPUS, 'android-record-allocs', 'systemui.zip');
const PERF_WITH_POINTERS = ['workload.fp.perf.txt.gz', 'workload.dwarf-worker.perf.txt.gz'].map((f) => join(REPO, 'fixtures', 'perf', f));

beforeAll(buildReplayer);
corpusSkipNote();

/** What heapscope's analysis says of the trace, in the replay's terms. */
async function analysis(path: string) {
  const { trace } = await readInput(path);
  const r = trace!.report;
  return {
    // The replay counts free(NULL) as an operation (it calls it); the analysis does not.
    ops: r.events + r.ops.freeNull,
    peakLiveBytes: r.peak.bytes,
    finalLiveBytes: r.liveBytes,
    // The analysis counts a realloc of an unknown pointer as an unknown free.
    unknownFreesAndReallocs: r.unknownFrees,
  };
}

function replayFacts(report: ReplayReport) {
  const u = report.trace.unreproducible!;
  return {
    ops: report.trace.ops,
    peakLiveBytes: report.trace.peakLiveBytes,
    finalLiveBytes: report.trace.finalLiveBytes,
    unknownFreesAndReallocs: u.unknownFrees + u.unknownReallocs,
  };
}

describe.skipIf(!existsSync(SYSTEMUI))('replay of the corpus systemui trace (record_allocs, 786,454 lines, 393 threads)', () => {
  it('counts the same live bytes as the analysis, runs 393 trace threads and measures every sample', async () => {
    const [expected, report] = await Promise.all([analysis(SYSTEMUI), replayTrace(SYSTEMUI, { allocators: 'glibc' })]);
    expect(replayFacts(report)).toEqual(expected);
    expect(expected.peakLiveBytes).toBe(10_441_709); // the corpus trace, as `heapscope info` reads it
    expect(report.trace).toMatchObject({ format: 'android-record-allocs', threads: 393, mode: 'threads' });
    const [row] = report.rows;
    expect(row).toMatchObject({ allocator: 'glibc', library: null, error: null, ops: expected.ops, failedAllocs: 0, runs: 1 });
    // 393 trace threads, of which 357 exit: far fewer are alive at once.
    expect(row.maxThreads).toBeGreaterThan(1);
    expect(row.maxThreads).toBeLessThan(393);
    // A sample every 100,000 operations, one before the first and one at the end.
    const points = report.series[0].points;
    expect(points.map((p) => p.ops)).toEqual([0, ...Array.from({ length: Math.floor(expected.ops / 100_000) }, (_, i) => (i + 1) * 100_000), expected.ops]);
    expect(points[points.length - 1].liveBytes).toBe(expected.finalLiveBytes);
    expect(Math.max(...points.map((p) => p.liveBytes))).toBeLessThanOrEqual(expected.peakLiveBytes);
    // Resident memory holds at least the live blocks it was asked for, beyond the replayer's own.
    expect(row.peakRss!).toBeGreaterThan(row.baselineRss! + expected.finalLiveBytes);
    expect(row.peakVa!).toBeGreaterThanOrEqual(row.peakRss!);
    expect(row.seconds!).toBeGreaterThan(0);
    expect(row.nsPerOp).toBeCloseTo((row.seconds! * 1e9) / expected.ops, 6);
  });

  it('agrees on one thread too', async () => {
    const [expected, report] = await Promise.all([analysis(SYSTEMUI), replayTrace(SYSTEMUI, { allocators: 'glibc', singleThread: true })]);
    expect(replayFacts(report)).toEqual(expected);
    expect(report.trace.mode).toBe('single-thread');
    expect(report.rows[0].maxThreads).toBe(0);
  });
});

describe('replay of the perf captures with pointers (fixtures/perf)', () => {
  for (const path of PERF_WITH_POINTERS) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    for (const singleThread of [false, true]) {
      // Every operation on one thread; in threads mode (where each sample waits for every thread) every 97th.
      const every = singleThread ? 1 : 97;
      it(`${name}, ${singleThread ? 'one thread' : 'a thread per trace thread'}: live bytes after every ${singleThread ? '' : '97th '}operation as an independent count has them`, async () => {
        const [expected, after, report] = await Promise.all([analysis(path), liveBytesAfterEachOp(path), replayTrace(path, { allocators: 'glibc', singleThread, sampleEvery: every })]);
        expect(replayFacts(report)).toEqual(expected);
        expect(after.length - 1).toBe(expected.ops);
        const points = report.series[0].points;
        const sampled = after.map((bytes, ops) => ({ ops, bytes })).filter(({ ops }) => ops % every === 0 || ops === expected.ops);
        expect(points.map((p) => [p.ops, p.liveBytes])).toEqual(sampled.map((s) => [s.ops, s.bytes]));
        expect(Math.max(...after)).toBe(expected.peakLiveBytes);
        expect(report.trace.format).toBe('perf-script');
      });
    }
  }
});
