/**
 * The perf script importer and the event accumulator on real captures:
 * fixtures/perf (uprobes on the fixture workload, one phase; see
 * fixtures/perf/README.md and fixtures/src/workload.c for the expected
 * numbers), perf report's (size, count) pairs on the same perf.data, and the
 * CPU-sample files of the shared corpus (when present).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, detectImporter, openBytes, parseTrace, traceBuilder, type HeapProfile } from '@heapscope/parser';
import { EventAccumulator, churn, readInput, top, type LoadedInput, type AccumulatedTrace } from '@heapscope/analyzer';
import { CORPUS, FIXTURES, HAVE_CORPUS, corpusSkipNote, displayName, findFiles } from '@heapscope/testkit/paths';
import { ODD_PER_PHASE, ODD_SIZE, workloadSites } from '@heapscope/testkit/workload';
import { endsWithNewline } from '@heapscope/testkit/inputs';
import { accumulatedSizes, foldedReportSizes, reportSizes } from './helpers/perf-report.js';

corpusSkipNote();

const PERF = join(FIXTURES, 'perf');
const fixture = (capture: string) => join(PERF, `workload.${capture}.perf.txt.gz`);
const golden = (capture: string) => join(PERF, 'golden', `workload.${capture}.perf-report.txt`);

const expected = workloadSites;

/** Per call site (function, allocator frames stripped) the four values. */
function sites(profile: HeapProfile) {
  const value = (type: string) =>
    profile.sampleTypeIndex(type) < 0 ? new Map<string, number>() : new Map(top([profile], { sampleType: type, by: 'function' }).rows.map((r) => [r.name, r.flat]));
  const [ao, ab, lo, lb] = ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'].map(value);
  const out: Record<string, { liveObjects: number; liveBytes: number; allocObjects: number; allocBytes: number }> = {};
  for (const name of ao.keys()) {
    if ((ao.get(name) ?? 0) === 0) continue;
    out[name] = { liveObjects: lo.get(name) ?? 0, liveBytes: lb.get(name) ?? 0, allocObjects: ao.get(name) ?? 0, allocBytes: ab.get(name) ?? 0 };
  }
  return out;
}

const sorted = (m: Map<number, number>) => [...m.entries()].sort((a, b) => a[0] - b[0]);

/** What an import gives, for comparisons between ways of reading the same input. */
function summary(loaded: { profile: HeapProfile; trace?: AccumulatedTrace }) {
  const t = loaded.trace!;
  return {
    report: t.report,
    sizes: sorted(accumulatedSizes(t)),
    sites: sites(loaded.profile),
    stacks: loaded.profile.stacks.length,
    locations: loaded.profile.locations.length,
    threads: loaded.profile.threads,
    warnings: loaded.profile.meta.warnings.map((w) => `${w.message} ×${w.count}`),
  };
}

/** Imports bytes with no file name (detection from content), in chunks of `chunkBytes`. */
async function fromBytes(bytes: Uint8Array, chunkBytes?: number): Promise<LoadedInput> {
  const input = await openBytes('unnamed', bytes, { chunkBytes });
  const importer = detectImporter(input);
  if (importer.kind !== 'trace') throw new Error(`detected ${importer.id}`);
  const builder = traceBuilder(input, importer);
  const accumulator = new EventAccumulator(builder);
  const facts = await parseTrace(input, importer, builder, accumulator);
  const trace = accumulator.finish(facts);
  return { profile: trace.profile, trace };
}

const nestedWarning = "allocator calls made inside another allocator call on the same thread (glibc's realloc(NULL, n) calls malloc) were counted as part of the outer call";

describe('perf fixtures: entry + return + free probes, frame pointers (workload.fp)', () => {
  it('imports with integrity; live bytes, allocations and the peak match the workload for p = 1', async () => {
    const { profile, trace } = await readInput(fixture('fp'));
    expect(checkIntegrity(profile)).toEqual([]);
    expect(profile.meta.format).toBe('perf-script');
    const report = trace!.report;
    expect(report.facts).toMatchObject({ hasTimestamps: true, hasStacks: true, tracksPointers: true });
    const got = sites(profile);
    const want = expected(1);
    for (const [name, values] of Object.entries(want)) expect(got[name], name).toEqual(values);
    // Besides the six sites, only glibc's own start-up allocations (dlerror's message, the thread's DTV).
    const others = Object.keys(got).filter((n) => !(n in want));
    expect(others.sort()).toEqual(['_dl_exception_create_format', '_dlerror_run', 'allocate_dtv']);
    const sixLive = Object.values(want).reduce((s, v) => s + v.liveBytes, 0);
    expect(sixLive).toBe(2637938);
    const otherLive = others.reduce((s, n) => s + got[n].liveBytes, 0);
    expect(report.liveBytes).toBe(sixLive + otherLive);
    expect(otherLive).toBeLessThan(512);
    // The peak is when odd_size_site holds all its blocks at once (they
    // outweigh everything else the workload keeps): that site held exactly
    // ODD_PER_PHASE × ODD_SIZE bytes then.
    const atPeak = top([trace!.peakProfile], { sampleType: 'inuse_space' }).rows;
    expect(atPeak.find((r) => r.name === 'odd_size_site')?.flat).toBe(ODD_PER_PHASE * ODD_SIZE);
    expect(report.peak.bytes).toBe(trace!.peakProfile.total(trace!.peakProfile.sampleTypeIndex('inuse_space')));
    expect(report.peak.bytes).toBeGreaterThanOrEqual(ODD_PER_PHASE * ODD_SIZE);
    expect(report.peak.bytes).toBeGreaterThan(report.liveBytes);
    expect(report.peak.event).toBeLessThan(report.events);
    // free(NULL)s are counted, not accumulated; one free is of glibc's tcache (allocated without malloc).
    expect(report.unknownFrees).toBe(1);
    expect(report.ops.freeNull).toBeGreaterThanOrEqual(128 + 64 + 1); // steady_site's and churn_site's first frees, realloc_site's
  });

  it("puts the worker's sites on the 'hs worker' thread and the main ones on 'workload'", async () => {
    const { profile } = await readInput(fixture('fp'));
    const byThread = (name: string) => sites(profile.with({ samples: filterThread(profile, name) }));
    expect(Object.keys(byThread('hs worker')).sort()).toEqual(['odd_size_site', 'realloc_site']);
    expect(Object.keys(byThread('workload'))).toEqual(expect.arrayContaining(['leak_site', 'steady_site', 'churn_site', 'inlined_site']));
  });

  it('lists the same (size, count) pairs as perf report --sort trace, once glibc realloc(NULL, n) → malloc(n) is folded', async () => {
    const { profile, trace } = await readInput(fixture('fp'));
    const { sizes: want, nested } = foldedReportSizes(golden('fp'));
    expect(nested).toBe(1);
    expect(sorted(accumulatedSizes(trace!))).toEqual(sorted(want));
    expect(profile.meta.warnings.find((w) => w.message === nestedWarning)?.count).toBe(nested);
    // The odd size, with its count.
    expect(accumulatedSizes(trace!).get(ODD_SIZE)).toBe(ODD_PER_PHASE);
  });

  it("shows churn_site's allocations in churn: 20,000 allocated, none kept, 10,000 freed before the next allocation", async () => {
    const loaded = await readInput(fixture('fp'));
    const row = churn([loaded]).rows.find((r) => r.name === 'churn_site');
    expect(row).toMatchObject({ allocObjects: 20000, allocBytes: 2720000, liveObjects: 0, liveBytes: 0 });
    expect(row!.temporary).toBe(10000);
    expect(loaded.trace!.report.lifetimeEvents.length).toBeGreaterThan(0);
  });

  it('gives the same result detected without a file name, decompressed, and in 7-byte chunks', async () => {
    const gz = new Uint8Array(readFileSync(fixture('fp')));
    const want = summary(await readInput(fixture('fp')));
    expect(summary(await fromBytes(gz))).toEqual(want);
    expect(summary(await fromBytes(gunzipSync(gz), 7))).toEqual(want);
  });
});

/** The sample rows of one thread (by name), as a samples table. */
function filterThread(p: HeapProfile, name: string) {
  const keep: number[] = [];
  for (let i = 0; i < p.samples.length; i++) if (p.threads[p.samples.thread[i]]?.name === name) keep.push(i);
  return {
    length: keep.length,
    stack: Int32Array.from(keep, (i) => p.samples.stack[i]),
    thread: Int32Array.from(keep, (i) => p.samples.thread[i]),
    values: p.samples.values.map((c) => Float64Array.from(keep, (i) => c[i])),
    labels: [],
  };
}

describe('perf fixtures: entry probes only (workload.sizes)', () => {
  it('is an allocation profile with exact sizes equal to perf report --sort trace', async () => {
    const { profile, trace } = await readInput(fixture('sizes'));
    expect(checkIntegrity(profile)).toEqual([]);
    expect(trace!.report.facts.tracksPointers).toBe(false);
    expect(profile.sampleTypes.map((t) => t.type)).toEqual(['alloc_objects', 'alloc_space']);
    // Without return records nothing is folded: every entry counts, as in perf report.
    expect(sorted(accumulatedSizes(trace!))).toEqual(sorted(reportSizes(golden('sizes'))));
    expect(accumulatedSizes(trace!).get(ODD_SIZE)).toBe(ODD_PER_PHASE);
    expect(trace!.report.ops.untracked).toBe(trace!.report.events);
    expect(profile.meta.warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('entry records without return records'),
      // Two of glibc's own mallocs at start-up unwind into address 0.
      expect.stringMatching(/^2 stack frames outside every executable mapping .* were cut from 2 stacks/),
    ]);
    // Entry stacks of frame-pointer callchains lack malloc's caller: odd_size_site's blocks land on worker_main.
    const rows = top([profile], { sampleType: 'alloc_objects', by: 'function' }).rows;
    // (the odd-size mallocs, 7 reallocs, and the malloc inside realloc(NULL, 1024), counted too without return records.)
    expect(rows.find((r) => r.name === 'worker_main')?.flat).toBe(ODD_PER_PHASE + 7 + 1);
  });

  it('gives the same result detected without a file name and in 7-byte chunks', async () => {
    const gz = new Uint8Array(readFileSync(fixture('sizes')));
    expect(summary(await fromBytes(gunzipSync(gz), 7))).toEqual(summary(await readInput(fixture('sizes'))));
  });
});

describe('perf fixtures: --call-graph dwarf, worker thread only (workload.dwarf-worker)', () => {
  it("matches the worker's sites and perf report, with inlined leaf frames read", async () => {
    const { profile, trace } = await readInput(fixture('dwarf-worker'));
    expect(checkIntegrity(profile)).toEqual([]);
    const want = expected(1);
    const got = sites(profile);
    expect(Object.keys(got).sort()).toEqual(['odd_size_site', 'realloc_site']);
    expect(got.odd_size_site).toEqual(want.odd_size_site);
    expect(got.realloc_site).toEqual(want.realloc_site);
    expect(trace!.report.liveBytes).toBe(411250 + 65536);
    expect(profile.threads.map((t) => t.name)).toEqual(['hs worker']);
    const sizes = reportSizes(golden('dwarf-worker'));
    sizes.set(1024, sizes.get(1024)! - 1); // realloc(NULL, 1024) → malloc(1024), folded
    expect(sorted(accumulatedSizes(trace!))).toEqual(sorted(new Map([...sizes].filter(([, c]) => c > 0))));
    // The DWARF entry stacks start with malloc as an inlined frame without a dso.
    const names = new Set(profile.functions.name).size;
    expect(names).toBeGreaterThan(0);
    expect([...profile.functions.name].map((n) => profile.strings[n])).toContain('__GI___libc_malloc');
  });

  it('gives the same result in 1-byte chunks', async () => {
    const bytes = gunzipSync(new Uint8Array(readFileSync(fixture('dwarf-worker'))));
    expect(summary(await fromBytes(bytes, 1))).toEqual(summary(await readInput(fixture('dwarf-worker'))));
  });
});

describe('perf script: the shared corpus of CPU-sample files', () => {
  const files = findFiles(join(CORPUS, 'perf-script'), /\.(txt|gz)$/);
  it.skipIf(!HAVE_CORPUS)('has the corpus files', () => {
    expect(files.length).toBeGreaterThan(10);
  });
  for (const path of files) {
    it(`${displayName(path)} imports as stacks, saying its samples carry no sizes`, async () => {
      const { profile, trace } = await readInput(path);
      expect(checkIntegrity(profile)).toEqual([]);
      expect(profile.meta.format).toBe('perf-script');
      expect(trace!.report.events).toBe(0);
      const warnings = profile.meta.warnings.map((w) => w.message);
      if (!endsWithNewline(path)) {
        // Cut by hand after its last frame (perf ends every line): the cut line and its record are dropped, and said so.
        expect(warnings[0]).toMatch(/^the input ends in the middle of a line \(truncated\?\); that line was dropped/);
        expect(warnings[1]).toBe('the record the cut line belonged to was dropped (its callchain is incomplete)');
        return;
      }
      expect(profile.stacks.length).toBeGreaterThan(1);
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings.some((w) => /^no malloc\/free probe events: samples of ".+" carry no sizes/.test(w))).toBe(true);
      // Besides: root frames perf found in no mapping (0x0, text read as
      // addresses: 0x6ce258d4c544155), cut (perf-stacks.test.ts).
      for (const w of warnings) expect(w).toMatch(/^no malloc\/free probe events: samples of ".+" carry no sizes|^\d+ stack frames? outside every executable mapping/);
    });
  }
});
