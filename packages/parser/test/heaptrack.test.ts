/**
 * The heaptrack importer and the event accumulator on real recordings, against
 * heaptrack's own numbers on the same files:
 * - fixtures/heaptrack: the fixture workload recorded by heaptrack 1.4
 *   (interpreted and raw; see fixtures/heaptrack/README.md), with
 *   heaptrack_print's report and per-stack flamegraph output, and the
 *   collector's "heaptrack stats", in golden/;
 * - the shared corpus (when present): two interpreted recordings from other
 *   machines and heaptrack generations, checked against heaptrack_print run
 *   here, and a raw recording with heaptrack_interpret's output for it.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, detectImporter, openBytes, openInput, parseTrace, symbolize, traceBuilder, type HeapProfile, type HeaptrackFacts, type TraceSink } from '@heapscope/parser';
import { EventAccumulator, top, readInput, type LoadedInput } from '@heapscope/analyzer';
import { CORPUS, FIXTURES, HAVE_CORPUS, corpusSkipNote } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { workloadSites } from '@heapscope/testkit/workload';
import {
  HAVE_HEAPTRACK_PRINT,
  HEAPTRACK_COSTS,
  byHeaptrackKey,
  heaptrackBytes,
  readCollapsed,
  readHeaptrackStats,
  readPrintSection,
  readPrintTotals,
  runHeaptrackPrint,
  runHeaptrackPrintReport,
  shortenTemplates,
  total,
  withoutZeros,
  type HeaptrackCost,
} from './helpers/heaptrack-print.js';

corpusSkipNote();
if (!HAVE_HEAPTRACK_PRINT) console.warn('[heapscope tests] heaptrack_print not found (apt-get install heaptrack): the corpus checks against it are skipped');

const PHASES = 5;
const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const interpreted = fixtureFile('heaptrack', /^heaptrack\.workload\.\d+\.zst$/);
const raw = fixtureFile('heaptrack', /^heaptrack\.workload\.\d+\.raw\.zst$/);
const golden = (recording: string, suffix: string) => readFileSync(join(FIXTURES, 'heaptrack', 'golden', `${basename(recording)}.${suffix}`), 'utf8');
const goldenStacks = (recording: string, cost: HeaptrackCost) => withoutZeros(readCollapsed(golden(recording, `${cost}.heaptrack_print.collapsed`)));

/** heapscope's per-stack values of one heaptrack cost, keyed as heaptrack_print writes stacks. */
function heapscopeStacks(loaded: LoadedInput, cost: HeaptrackCost): Map<string, number> {
  const { profile, trace } = loaded;
  const column = (p: HeapProfile, type: string) => p.samples.values[p.sampleTypeIndex(type)];
  switch (cost) {
    case 'allocations':
      return byHeaptrackKey(profile, profile.samples.stack, column(profile, 'alloc_objects'));
    case 'leaked':
      return byHeaptrackKey(profile, profile.samples.stack, column(profile, 'inuse_space'));
    case 'peak':
      return byHeaptrackKey(trace!.peakProfile, trace!.peakProfile.samples.stack, column(trace!.peakProfile, 'inuse_space'));
    case 'temporary':
      return byHeaptrackKey(profile, trace!.sites.stack, trace!.sites.temporary);
  }
}

/** The values of heaptrack's four costs as heapscope's report gives them. */
function heapscopeTotals(loaded: LoadedInput): Record<HeaptrackCost, number> {
  const r = loaded.trace!.report;
  return { allocations: r.ops.other, temporary: r.temporary, leaked: r.liveBytes, peak: r.peak.bytes };
}

/** Per function (allocator frames stripped) alloc and live values. */
function sites(profile: HeapProfile) {
  const value = (type: string) => new Map(top([profile], { sampleType: type, by: 'function' }).rows.map((r) => [r.name, r.flat]));
  const [ao, ab, lo, lb] = ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'].map(value);
  const out: Record<string, { liveObjects: number; liveBytes: number; allocObjects: number; allocBytes: number }> = {};
  for (const [name, n] of ao) if (n > 0) out[name] = { liveObjects: lo.get(name) ?? 0, liveBytes: lb.get(name) ?? 0, allocObjects: n, allocBytes: ab.get(name) ?? 0 };
  return out;
}

/** Imports bytes with no file name (detection from content), in chunks of `chunkBytes`. */
async function fromBytes(bytes: Uint8Array, chunkBytes?: number): Promise<LoadedInput> {
  const input = await openBytes('unnamed', bytes, { chunkBytes });
  const importer = detectImporter(input);
  if (importer.id !== 'heaptrack' || importer.kind !== 'trace') throw new Error(`detected ${importer.id}`);
  const builder = traceBuilder(input, importer);
  const accumulator = new EventAccumulator(builder);
  const facts = await parseTrace(input, importer, builder, accumulator);
  const trace = accumulator.finish(facts);
  return { profile: trace.profile, trace };
}

/** What an import gives, for comparisons between ways of reading the same input. */
function summary(loaded: LoadedInput) {
  return {
    report: loaded.trace!.report,
    stacks: HEAPTRACK_COSTS.map((cost) => [...heapscopeStacks(loaded, cost)].sort()),
    locations: loaded.profile.locations.length,
    mappings: loaded.profile.mappings,
    warnings: loaded.profile.meta.warnings.map((w) => `${w.message} ×${w.count}`),
  };
}

/** The whole decompressed content of a file. */
async function decompressed(path: string): Promise<Uint8Array> {
  return (await openInput(path)).readAll();
}

/**
 * Frees of allocation info 0 that follow a free (or start the file):
 * heaptrack_print resets its "last allocation" to 0 after a free, the index
 * of the first info, so it counts these as temporary (docs/formats.md).
 */
function infoZeroQuirks(text: string): number {
  let n = 0;
  let afterFree = true;
  for (const line of text.split('\n')) {
    if (line.startsWith('+ ')) afterFree = false;
    else if (line.startsWith('- ')) {
      if (line === '- 0' && afterFree) n++;
      afterFree = true;
    }
  }
  return n;
}

describe('heaptrack fixture: interpreted recording of the workload', () => {
  const load = () => readInput(interpreted);

  it('imports with integrity, as an interpreted heaptrack 1.4 recording with stacks, times and RSS', async () => {
    const { profile, trace } = await load();
    expect(checkIntegrity(profile)).toEqual([]);
    expect(profile.meta.format).toBe('heaptrack');
    expect(profile.meta.variant).toBe('heaptrack 1.4.0, file format 3, interpreted');
    const facts = trace!.report.facts as HeaptrackFacts;
    expect(facts).toMatchObject({ stage: 'interpreted', heaptrackVersion: '1.4.0', fileFormat: 3, hasStacks: true, hasTimestamps: true, tracksPointers: true, pageSizeBytes: 4096, attached: false });
    expect(facts.command).toMatch(/fixtures\/bin\/workload 5$/);
    expect(facts.peakRssBytes).toBeGreaterThan(trace!.report.peak.bytes);
    expect(profile.meta.warnings).toEqual([]);
  });

  it("has heaptrack_print's totals: allocations, temporary allocations, peak and leaked bytes", async () => {
    const loaded = await load();
    const ours = heapscopeTotals(loaded);
    for (const cost of HEAPTRACK_COSTS) expect(ours[cost], cost).toBe(total(goldenStacks(interpreted, cost)));
    // The report's own lines, rounded as heaptrack_print prints them.
    const printed = readPrintTotals(golden(interpreted, 'heaptrack_print.txt'));
    expect(ours.allocations).toBe(printed.calls);
    expect(ours.temporary).toBe(printed.temporary);
    expect(Math.abs(ours.peak - printed.peakBytes)).toBeLessThanOrEqual(0.005e6);
    expect(Math.abs(ours.leaked - printed.leakedBytes)).toBeLessThanOrEqual(0.005e6);
  });

  for (const cost of HEAPTRACK_COSTS) {
    it(`has heaptrack_print's ${cost} on every stack`, async () => {
      expect(heapscopeStacks(await load(), cost)).toEqual(goldenStacks(interpreted, cost));
    });
  }

  it("ranks the sites of heaptrack_print's most-calls, peak and temporary lists in its order, with its values", async () => {
    const { profile, trace } = await load();
    const report = golden(interpreted, 'heaptrack_print.txt');
    const calls = readPrintSection(report, 'MOST CALLS TO ALLOCATION FUNCTIONS');
    const byCalls = top([profile], { sampleType: 'alloc_objects' }).rows;
    // The workload's six sites lead both lists, in the same order and with the same counts.
    expect(calls.slice(0, 6).map((e) => [e.site, Number(e.value)])).toEqual(byCalls.slice(0, 6).map((r) => [r.name, r.flat]));
    expect(calls.slice(0, 6).map((e) => e.site)).toEqual(['churn_site', 'odd_size_site', 'make_node', 'leak_site', 'steady_site', 'realloc_site']);
    const peaks = readPrintSection(report, 'PEAK MEMORY CONSUMERS');
    const byPeak = top([trace!.peakProfile], { sampleType: 'inuse_space' }).rows;
    // At the peak, odd_size_site holds this phase's 4,000 blocks and the 50 kept from each earlier phase.
    expect(peaks[0].site).toBe('odd_size_site');
    expect(byPeak[0]).toMatchObject({ name: 'odd_size_site', flat: (4000 + 50 * (PHASES - 1)) * 8225 });
    expect(heaptrackBytes(byPeak[0].flat)).toBe(peaks[0].value);
    const temporary = readPrintSection(report, 'MOST TEMPORARY ALLOCATIONS');
    expect(temporary.slice(0, 3).map((e) => [e.site, Number(e.value)])).toEqual([
      ['churn_site', 10000 * PHASES],
      ['realloc_site', 6 * PHASES],
      ['odd_size_site', PHASES],
    ]);
  });

  it("gives the workload's own numbers per site (requested sizes)", async () => {
    const got = sites((await load()).profile);
    for (const [name, values] of Object.entries(workloadSites(PHASES))) {
      // heaptrack names make_node, the inlined frame, as the site of inlined_site's allocations.
      expect(got[name === 'inlined_site' ? 'make_node' : name], name).toEqual(values);
    }
  });

  it('counts temporary allocations as heaptrack_print does, which its collector does not (one per phase more: odd_size_site)', async () => {
    const { trace } = await load();
    const collector = readHeaptrackStats(golden(interpreted, 'heaptrack-stats.txt'));
    expect(collector.allocations).toBe(trace!.report.ops.other);
    expect(collector.leaked).toBe(trace!.report.liveObjects);
    expect(trace!.report.temporary - collector.temporary).toBe(PHASES);
  });

  it('gives the same result detected without a file name, decompressed, gzipped, and in 1- and 7-byte chunks', async () => {
    const zst = new Uint8Array(readFileSync(interpreted));
    const plain = await decompressed(interpreted);
    const want = summary(await load());
    expect(summary(await fromBytes(zst, 1))).toEqual(want);
    expect(summary(await fromBytes(zst, 7))).toEqual(want);
    expect(summary(await fromBytes(plain, 4096))).toEqual(want);
    expect(summary(await fromBytes(gzipSync(plain)))).toEqual(want);
  });
});

describe('heaptrack fixture: raw recording of the workload, symbolized by heapscope', () => {
  const load = async () => {
    const loaded = await readInput(raw);
    const { profile } = await symbolize(loaded.profile, { symbolPaths: [WORKLOAD] });
    return { ...loaded, profile };
  };

  it('imports with integrity, pointers and mappings with load biases from the module list', async () => {
    const { profile, trace } = await readInput(raw);
    expect(checkIntegrity(profile)).toEqual([]);
    expect(profile.meta.variant).toBe('heaptrack 1.4.0, file format 3, raw');
    expect((trace!.report.facts as HeaptrackFacts).stage).toBe('raw');
    const workload = profile.mappings.find((m) => m.path.endsWith('/fixtures/bin/workload'));
    // ASLR off: the PIE is loaded at 0x555555554000.
    expect(workload).toMatchObject({ loadBias: 0x555555554000n, start: 0x555555554000n, fileOffset: 0n });
    // Nothing is symbolized before heapscope's symbolizer runs.
    expect(profile.locations.lineStart[profile.locations.length]).toBe(0);
  });

  it("has heaptrack_print's allocations, peak and leaked bytes (on its interpretation), and its collector's temporary count", async () => {
    const loaded = await load();
    const ours = heapscopeTotals(loaded);
    for (const cost of ['allocations', 'leaked', 'peak'] as const) expect(ours[cost], cost).toBe(total(goldenStacks(raw, cost)));
    const collector = readHeaptrackStats(golden(raw, 'heaptrack-stats.txt'));
    expect(ours.temporary).toBe(collector.temporary);
    expect(ours.allocations).toBe(collector.allocations);
    expect(loaded.trace!.report.liveObjects).toBe(collector.leaked);
    // One free of a block glibc allocated without malloc (the worker's tcache), which heaptrack_interpret drops.
    expect(loaded.trace!.report.unknownFrees).toBe(1);
  });

  it("gives the workload's sites, symbolized from the workload binary, the numbers of the interpreted recording", async () => {
    const got = sites((await load()).profile);
    const want = sites((await readInput(interpreted)).profile);
    for (const name of ['churn_site', 'odd_size_site', 'make_node', 'leak_site', 'steady_site', 'realloc_site']) expect(got[name], name).toEqual(want[name]);
    // heapscope's symbolizer finds the inlined frame too.
    const cum = new Map(top([(await load()).profile], { sampleType: 'alloc_objects' }).rows.map((r) => [r.name, r.cum]));
    expect(cum.get('inlined_site')).toBe(1000 * PHASES);
  });

  it('gives the same result detected without a file name and in 7-byte chunks', async () => {
    const zst = new Uint8Array(readFileSync(raw));
    const want = summary(await readInput(raw));
    expect(summary(await fromBytes(zst, 7))).toEqual(want);
  });
});

describe.skipIf(!HAVE_CORPUS)('heaptrack corpus recordings', () => {
  const dir = join(CORPUS, 'heaptrack');

  for (const [name, variant] of [
    ['heaptrack.david.18594.gz', 'heaptrack 1.0.0, file format 2, interpreted'],
    ['heaptrack.heaptrack_gui.99454.zst', 'heaptrack 1.2.80, file format 2, interpreted'],
  ]) {
    describe(name, () => {
      const file = join(dir, name);
      it('imports with integrity', async () => {
        const { profile } = await readInput(file);
        expect(checkIntegrity(profile)).toEqual([]);
        expect(profile.meta.variant).toBe(variant);
        expect(profile.meta.warnings).toEqual([]);
      });

      it.skipIf(!HAVE_HEAPTRACK_PRINT)("has heaptrack_print's allocations, peak and leaked bytes; its temporary count less its info-0 quirk", async () => {
        const loaded = await readInput(file);
        const ours = heapscopeTotals(loaded);
        const runs = await Promise.all(HEAPTRACK_COSTS.map(async (cost) => [cost, total(await runHeaptrackPrint(file, cost))] as const));
        const print = Object.fromEntries(runs) as Record<HeaptrackCost, number>;
        expect(ours.allocations).toBe(print.allocations);
        expect(ours.peak).toBe(print.peak);
        expect(ours.leaked).toBe(print.leaked);
        const quirks = infoZeroQuirks(new TextDecoder().decode(await decompressed(file)));
        expect(ours.temporary).toBe(print.temporary - quirks);
      });
    });
  }

  for (const name of ['heaptrack.david.18594.gz', 'heaptrack.heaptrack_gui.99454.zst']) {
    it.skipIf(!HAVE_HEAPTRACK_PRINT)(`${name}: names the sites of heaptrack_print's most-calls list, with at least its counts`, async () => {
      const file = join(dir, name);
      const { profile } = await readInput(file);
      const rows = top([profile], { sampleType: 'alloc_objects' }).rows;
      const ours = new Map<string, number>();
      for (const r of rows) ours.set(shortenTemplates(r.name), (ours.get(shortenTemplates(r.name)) ?? 0) + r.flat);
      // heaptrack_print lists a site per location (function, file, line) and
      // folds every unsymbolized address of a module into one; heapscope
      // sums a function's locations and keeps addresses apart. So each named
      // site of its list has at least its count in heapscope, and the first
      // named one leads heapscope's list too.
      const entries = readPrintSection(runHeaptrackPrintReport(file), 'MOST CALLS TO ALLOCATION FUNCTIONS').filter((e) => !e.site.startsWith('0x'));
      expect(entries.length).toBeGreaterThanOrEqual(5);
      expect(shortenTemplates(rows[0].name)).toBe(entries[0].site);
      for (const e of entries) expect(ours.get(e.site), e.site).toBeGreaterThanOrEqual(Number(e.value));
    });
  }

  it('reads the raw recording as heaptrack_interpret reads it: the same events, stacks and addresses as its interpreted twin', async () => {
    const rawFile = join(dir, 'heaptrack.test_sysroot.raw');
    const expectedFile = join(dir, 'heaptrack.test_sysroot.expected');
    const fromRaw = await readInput(rawFile);
    const fromExpected = await readInput(expectedFile);
    for (const loaded of [fromRaw, fromExpected]) expect(checkIntegrity(loaded.profile)).toEqual([]);
    expect(fromRaw.trace!.report).toEqual({ ...fromExpected.trace!.report, facts: fromRaw.trace!.report.facts });
    const addresses = (p: HeapProfile) => [...Array(p.samples.length).keys()].map((i) => [p.stackLocations(p.samples.stack[i]).map((l) => p.addressHex(l)).join(' '), p.samples.values[0][i]]).sort();
    expect(addresses(fromRaw.profile)).toEqual(addresses(fromExpected.profile));
    // The interpreted twin's inlined frames: one location, four lines, innermost first.
    const p = fromExpected.profile;
    const loc = [...Array(p.locations.length).keys()].find((l) => p.addressHex(l) === '0x7bf3f6a00b97')!;
    const names = [];
    for (let i = p.locations.lineStart[loc]; i < p.locations.lineStart[loc + 1]; i++) names.push(p.strings[p.functions.name[p.locations.lineFunction[i]]]);
    expect(names).toEqual([
      'void std::vector<unsigned long, std::allocator<unsigned long> >::emplace_back<unsigned long>(unsigned long&&)',
      'std::vector<unsigned long, std::allocator<unsigned long> >::push_back(unsigned long&&)',
      'Foo::Private::push()',
      'Foo::doBar()',
    ]);
  });
});

/** Reads heaptrack text (no real recording of these older or rarer forms is at hand: they follow heaptrack's reader, accumulatedtracedata.cpp). */
async function fromText(text: string, lenient = false): Promise<LoadedInput> {
  const input = await openBytes('rec.txt', new TextEncoder().encode(text));
  const importer = detectImporter(input, 'heaptrack');
  if (importer.kind !== 'trace') throw new Error('not a trace importer');
  const builder = traceBuilder(input, importer, { lenient });
  const accumulator = new EventAccumulator(builder);
  const facts = await parseTrace(input, importer, builder, accumulator, { lenient });
  const trace = accumulator.finish(facts);
  return { profile: trace.profile, trace };
}

describe('heaptrack records beyond the fixtures', () => {
  it('reads file format 2 strings (to the end of the line, spaces included) and raw module lines without sizes', async () => {
    const interpreted = await fromText(
      ['v 10200 2', 'X ./app --flag', 's /usr/bin/app', 's foo(int, char const*)', 's app.cpp', 'i 401000 1 2 3 a', 't 1 0', 'a 20 1', '+ 0', '+ 0', '- 0', ''].join('\n'),
    );
    const p = interpreted.profile;
    expect(p.meta.variant).toBe('heaptrack 1.2.0, file format 2, interpreted');
    expect(p.strings).toContain('foo(int, char const*)');
    expect(interpreted.trace!.report).toMatchObject({ liveBytes: 0x20, temporary: 1, events: 3 });
    expect((interpreted.trace!.report.facts as HeaptrackFacts).command).toBe('./app --flag');
    const raw = await fromText(['v 10200 2', 'x /usr/bin/app', 'm -', 'm x 400000 0 1000 1000 2000', 't 401000 0', '+ 20 1 7f0000001000', '- 7f0000001000', ''].join('\n'));
    expect(raw.profile.mappings).toEqual([{ start: 0x400000n, limit: 0x403000n, fileOffset: 0n, path: '/usr/bin/app', buildId: '', perms: '', loadBias: 0x400000n }]);
    expect(raw.trace!.report).toMatchObject({ liveBytes: 0, temporary: 1, events: 2 });
  });

  it('reads file format 0 (no version line): interpreted stacks with pointer events, and says so', async () => {
    const r = await fromText(['s /usr/bin/app', 'i 401000 1', 't 1 0', '+ 10 1 5000', '+ 30 1 6000', '- 5000', ''].join('\n'));
    expect(r.trace!.report).toMatchObject({ liveBytes: 0x30, liveObjects: 1, temporary: 0 });
    expect(r.profile.meta.warnings.map((w) => w.message)).toContain('no "v" (version) record: read as heaptrack file format 0');
  });

  it('warns about an attached process, embedded suppressions and a newer file format; keeps the peak RSS', async () => {
    const r = await fromText(['v 10600 4', 'I 1000 10', 'S leak:libfoo', 'S leak:libbar', 'A', 's 4 /app', 'i 10 1', 't 1 0', 'a 8 1', '+ 0', 'c 5', 'R 3', 'c a', 'R 2', ''].join('\n'));
    const facts = r.trace!.report.facts as HeaptrackFacts;
    expect(facts).toMatchObject({ attached: true, suppressions: 2, fileFormat: 4, pageSizeBytes: 4096, peakRssBytes: 3 * 4096, hasTimestamps: true });
    const messages = r.profile.meta.warnings.map((w) => `${w.message} ×${w.count}`);
    expect(messages).toEqual([
      'file format 4 is newer than heapscope knows (up to 3): read as format 3 ×1',
      'heaptrack attached to a running process: allocations made before it attached are not in the recording ×1',
      'leak suppressions embedded by the program ("S" records) are not applied: every block still live is shown ×2',
    ]);
    // The allocation came before the first timestamp: at the recording's start, as heaptrack_print counts.
    expect(r.trace!.report.firstTimeNs).toBe(0);
  });

  it('counts a free of an allocation info with no live block as a free of an unknown pointer', async () => {
    const r = await fromText(['v 10400 3', 's 4 /app', 'i 10 1', 't 1 0', 'a 8 1', '- 0', '+ 0', ''].join('\n'));
    expect(r.trace!.report).toMatchObject({ unknownFrees: 1, liveObjects: 1 });
  });

  it('rejects records that name what was never defined, and skips them under --lenient', async () => {
    const text = ['v 10400 3', 's 4 /app', 'i 10 5', 't 1 0', 'a 8 1', '+ 0', ''].join('\n');
    await expect(fromText(text)).rejects.toThrow(/rec\.txt:3: module string 5 is not defined \(1 "s" records so far\): "i 10 5"/);
    const lenient = await fromText(text.replace('i 10 5', 'i 10 1\ni 20 5'), true);
    expect(lenient.profile.meta.warnings.map((w) => w.message)).toEqual(['skipped malformed record: module string 5 is not defined (1 "s" records so far)']);
    expect(lenient.trace!.report.liveBytes).toBe(8);
  });
});

/**
 * A sink that takes only pointer events: the reader then hands the
 * accumulator synthetic pointers (blockSink's adapter), which go through the
 * live set — the general path that allocation infos handed on as blocks skip.
 */
function pointersOnly(accumulator: EventAccumulator): TraceSink {
  return {
    alloc: (...a) => accumulator.alloc(...a),
    free: (...a) => accumulator.free(...a),
    realloc: (...a) => accumulator.realloc(...a),
    allocUntracked: (...a) => accumulator.allocUntracked(...a),
    threadDone: (...a) => accumulator.threadDone(...a),
    sample: (...a) => accumulator.sample(...a),
  };
}

/** Everything an accumulation of `bytes` gives (or the error it ends with), by blocks or by pointers. */
async function accumulated(bytes: Uint8Array, how: { blocks: boolean; lenient?: boolean; chunkBytes?: number }) {
  const input = await openBytes('rec', bytes, { chunkBytes: how.chunkBytes });
  const importer = detectImporter(input, 'heaptrack');
  if (importer.kind !== 'trace') throw new Error('not a trace importer');
  const builder = traceBuilder(input, importer, { lenient: how.lenient });
  const accumulator = new EventAccumulator(builder, { windows: 5 });
  let facts;
  try {
    facts = await parseTrace(input, importer, builder, how.blocks ? accumulator : pointersOnly(accumulator), { lenient: how.lenient });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const t = accumulator.finish(facts);
  const values = (p: HeapProfile) => ({ stack: [...p.samples.stack], values: p.samples.values.map((v) => [...v]) });
  return {
    report: t.report,
    profile: values(t.profile),
    peak: values(t.peakProfile),
    snapshots: t.snapshots.map((s) => ({ ...s, profile: values(s.profile) })),
    sites: Object.fromEntries(Object.entries(t.sites).map(([k, v]) => [k, typeof v === 'number' ? v : [...v]])),
    sizes: Object.fromEntries(Object.entries(t.sizes).map(([k, v]) => [k, typeof v === 'number' ? v : [...v]])),
    warnings: t.profile.meta.warnings,
  };
}

/** `text` with `lines` put in before its line `at` (1-based) each. */
function withLines(text: string, inserts: [number, string][]): string {
  const lines = text.split('\n');
  for (const [at, line] of [...inserts].sort((a, b) => b[0] - a[0])) lines.splice(at - 1, 0, line);
  return lines.join('\n');
}

describe('heaptrack: allocation infos handed to the accumulator as blocks give what synthetic pointers give', () => {
  const recordings = [interpreted, ...(HAVE_CORPUS ? ['heaptrack.david.18594.gz'].map((f) => join(CORPUS, 'heaptrack', f)) : [])];
  for (const path of recordings) {
    it(`${basename(path)}: the same report, sites, sizes, peak and windows; the same read line by line`, async () => {
      const bytes = await decompressed(path);
      const byBlocks = await accumulated(bytes, { blocks: true });
      expect(byBlocks).not.toHaveProperty('error');
      expect(byBlocks).toEqual(await accumulated(bytes, { blocks: false }));
      // Lines ending in CR LF are never taken by the reader's scan of event lines: each goes through its general line reader.
      const crlf = new TextEncoder().encode(new TextDecoder().decode(bytes).replaceAll('\n', '\r\n'));
      expect(byBlocks).toEqual(await accumulated(crlf, { blocks: true }));
    });
  }

  it('the same on damaged recordings: bad event lines (an error at their line, or counted under --lenient), CR LF, a cut last line, 1- and 7-byte chunks', async () => {
    const text = new TextDecoder().decode(await decompressed(interpreted));
    const n = text.split('\n').length;
    const damaged: [string, string][] = [
      // Late in the file, after long runs of event lines read from the bytes.
      ['bad digits', withLines(text, [[n - 5000, '+ zz']])],
      ['an undefined info', withLines(text, [[n - 4000, '- 99999']])],
      ['a 10-digit info', withLines(text, [[n - 3000, '+ 0000000001']])],
      ['a trailing space and a lone "+"', withLines(text, [[n - 2000, '+ 1 '], [n - 1000, '+']])],
      ['frees of an info with no live block', withLines(text, [[n - 100, '- 0'], [n - 99, '- 0'], [n - 98, '- 0']])],
      ['CR LF', text.replaceAll('\n', '\r\n')],
      ['a cut last line', text.slice(0, text.lastIndexOf('\n+ ') + 3)],
    ];
    for (const [what, damagedText] of damaged) {
      const bytes = new TextEncoder().encode(damagedText);
      for (const lenient of [false, true]) {
        const byBlocks = await accumulated(bytes, { blocks: true, lenient });
        expect(byBlocks, `${what}${lenient ? ', lenient' : ''}`).toEqual(await accumulated(bytes, { blocks: false, lenient }));
      }
    }
    const strict = await accumulated(new TextEncoder().encode(damaged[0][1]), { blocks: true });
    expect(strict).toEqual({ error: expect.stringMatching(new RegExp(`^rec:${n - 5000}: expected "\\+ <allocation info>"`)) });
    const head = new TextEncoder().encode(damaged[1][1].slice(0, 200_000));
    for (const chunkBytes of [1, 7]) {
      expect(await accumulated(head, { blocks: true, lenient: true, chunkBytes }), `${chunkBytes}-byte chunks`).toEqual(await accumulated(head, { blocks: false, lenient: true }));
    }
  });

  it('a sink without block events gets pointers (0, id + 1), the ids of dead blocks reused last in, first out', async () => {
    const events: string[] = [];
    const sink: TraceSink = {
      alloc: (hi, lo, size) => events.push(`+ ${hi},${lo} ${size}`),
      free: (hi, lo) => events.push(`- ${hi},${lo}`),
      realloc: () => {},
      allocUntracked: () => {},
      threadDone: () => {},
      sample: () => {},
    };
    const input = await openBytes('rec', new TextEncoder().encode(['v 10400 3', 's 4 /app', 'i 10 1', 't 1 0', 'a 8 1', 'a 10 1', '+ 0', '+ 1', '+ 0', '- 1', '- 0', '+ 1', '- 0', '- 0', ''].join('\n')));
    const importer = detectImporter(input, 'heaptrack');
    if (importer.kind !== 'trace') throw new Error('not a trace importer');
    await parseTrace(input, importer, traceBuilder(input, importer), sink);
    // The last "- 0" has no live block of info 0: a pointer never allocated.
    expect(events).toEqual(['+ 0,1 8', '+ 0,2 16', '+ 0,3 8', '- 0,2', '- 0,3', '+ 0,3 16', '- 0,1', '- 4294967295,0']);
  });
});
