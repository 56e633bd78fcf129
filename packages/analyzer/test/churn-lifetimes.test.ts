/**
 * churn's lifetime histograms on traces: a small timed record_allocs trace
 * worked out by hand, the perf malloc-probe fixture (fixtures/perf: the
 * workload's churn_site frees half its blocks at the very next event and the
 * rest within ~256 events; odd_size_site frees 3,950 blocks after allocating
 * all 4,000), and the real record_allocs corpus trace against an independent
 * lifetime count written here (a Map over BigInt pointers).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectImporter, openBytes, parseTrace, traceBuilder, type TraceImporter } from '@heapscope/parser';
import { EventAccumulator, churn, readInput, type ChurnReport, type LifetimeEventsBucket, type LoadedInput } from '@heapscope/analyzer';
import { CORPUS, FIXTURES } from '@heapscope/testkit/paths';
import { CHURN_PER_PHASE, ODD_PER_PHASE } from '@heapscope/testkit/workload';
import { RECORD_ALLOCS_TIMED as TIMED } from '@heapscope/testkit/hand-written';

const SYSTEMUI = resolve(CORPUS, 'android-record-allocs', 'systemui.zip');
const HAVE_SYSTEMUI = existsSync(SYSTEMUI);
if (!HAVE_SYSTEMUI) console.warn(`[heapscope tests] ${SYSTEMUI} not found: the record_allocs lifetime test is skipped`);

const PERF = join(FIXTURES, 'perf');

async function accumulateText(text: string): Promise<LoadedInput> {
  const input = await openBytes('trace.txt', new TextEncoder().encode(text));
  const importer = detectImporter(input) as TraceImporter;
  const builder = traceBuilder(input, importer);
  const accumulator = new EventAccumulator(builder);
  const trace = accumulator.finish(await parseTrace(input, importer, builder, accumulator));
  return { profile: trace.profile, trace };
}

const sum = (values: readonly number[]) => values.reduce((s, v) => s + v, 0);
const counts = (buckets: readonly { count: number }[]) => sum(buckets.map((b) => b.count));
/** Buckets as [from, to, count] triples, empty ones left out. */
const triples = (buckets: readonly LifetimeEventsBucket[]) => buckets.filter((b) => b.count > 0).map((b) => [b.fromEvents, b.toEvents, b.count]);
/** Freed blocks of a histogram whose lifetime is below `events`. */
const below = (buckets: readonly LifetimeEventsBucket[], events: number) => counts(buckets.filter((b) => b.toEvents !== null && b.toEvents <= events));

/** Every histogram of a report adds up to its freed-block count, and the shares to 1. */
function expectConsistent(r: ChurnReport): void {
  const l = r.lifetimes!;
  expect(counts(l.events)).toBe(l.freedObjects);
  if (l.freedObjects > 0) expect(sum(l.events.map((b) => b.share))).toBeCloseTo(1, 9);
  if (l.ns) {
    expect(counts(l.ns)).toBe(l.timedObjects);
    if (l.timedObjects! > 0) expect(sum(l.ns.map((b) => b.share))).toBeCloseTo(1, 9);
  }
  for (const row of r.rows) {
    expect(counts(row.lifetimes!.events)).toBe(row.lifetimes!.freedObjects);
    // Buckets are contiguous powers of 4 (sites) from the first non-empty one to the last.
    row.lifetimes!.events.forEach((b, i, all) => {
      if (i > 0) expect(b.fromEvents).toBe(all[i - 1].toEvents);
      expect(b.toEvents).toBe(b.fromEvents === 0 ? 1 : b.fromEvents * 4);
    });
    if (row.lifetimes!.events.length) {
      expect(row.lifetimes!.events[0].count).toBeGreaterThan(0);
      expect(row.lifetimes!.events.at(-1)!.count).toBeGreaterThan(0);
    }
  }
  // Without filters every freed block belongs to one row.
  expect(sum(r.rows.map((row) => row.lifetimes!.freedObjects))).toBe(l.freedObjects);
}

// Worked out by hand. Events (free(NULL) and thread_done are none):
// 0 malloc A, 1 calloc B, 2 memalign C, 3 free B (lives 3−1 = 2 events, 1320−1110 = 210 ns),
// 4 realloc A→D (A lives 4 events, 400 ns), 5 malloc E, 6 free E (1 event, 100 ns: temporary),
// 7 realloc(D, 0) frees D (3 events, 500 ns). C stays live.
// The trace: RECORD_ALLOCS_TIMED of the testkit's hand-written samples.

describe('churn lifetime histograms', () => {
  it('a timed record_allocs trace: every freed block in its power-of-2 bucket of events and of ns, and per site in powers of 4', async () => {
    const loaded = await accumulateText(TIMED);
    const r = churn([loaded]);
    expectConsistent(r);
    expect(r.lifetimes).toEqual({
      freedObjects: 4,
      events: [
        { fromEvents: 1, toEvents: 2, count: 1, share: 0.25 },
        { fromEvents: 2, toEvents: 4, count: 2, share: 0.5 },
        { fromEvents: 4, toEvents: 8, count: 1, share: 0.25 },
      ],
      timedObjects: 4,
      ns: [
        { fromNs: 64, toNs: 128, count: 1, share: 0.25 },
        { fromNs: 128, toNs: 256, count: 1, share: 0.25 },
        { fromNs: 256, toNs: 512, count: 2, share: 0.5 },
      ],
    });
    expect(r.intervals).toBeNull();
    expect(r.rows[0].lifetimes).toEqual({
      freedObjects: 4,
      events: [
        { fromEvents: 1, toEvents: 4, count: 3, share: 0.75 },
        { fromEvents: 4, toEvents: 16, count: 1, share: 0.25 },
      ],
    });
    expect(r.rows[0].intervals).toBeNull();
    // Per thread: tid 10 allocated A, B and D (B was freed by tid 11: blocks belong to the allocating site).
    const byThread = churn([loaded], { by: 'thread' });
    expect(byThread.lifetimes).toEqual(r.lifetimes);
    expect(byThread.rows.map((row) => [row.lifetimes!.freedObjects, triples(row.lifetimes!.events)])).toEqual([
      [
        3,
        [
          [1, 4, 2],
          [4, 16, 1],
        ],
      ],
      [1, [[1, 4, 1]]],
      [0, []],
    ]);
  });

  it('a trace without timestamps has no time histogram; a size-only perf capture has no lifetimes at all', async () => {
    const untimed = await accumulateText('1: malloc 0x10 8\n1: free 0x10\n1: malloc 0x20 8\n');
    const r = churn([untimed]);
    expect(r.lifetimes).toEqual({ freedObjects: 1, events: [{ fromEvents: 1, toEvents: 2, count: 1, share: 1 }], timedObjects: null, ns: null });
    const sizesOnly = churn([await readInput(join(PERF, 'workload.sizes.perf.txt.gz'))]);
    expect(sizesOnly.lifetimes).toBeNull();
    expect(sizesOnly.rows.every((row) => row.lifetimes === null)).toBe(true);
  });

  it('perf malloc probes: the histograms add up to the freed blocks; churn_site lives short, odd_size_site long', async () => {
    const loaded = await readInput(join(PERF, 'workload.fp.perf.txt.gz'));
    const r = churn([loaded]);
    expectConsistent(r);
    const l = r.lifetimes!;
    // Independently of the histograms: the freed blocks the accumulator counted per site.
    expect(l.freedObjects).toBe(sum([...loaded.trace!.sites.freedObjects]));
    // perf stamps every record: every freed block has a lifetime in time.
    expect(l.timedObjects).toBe(l.freedObjects);
    // Traces that see every pointer: freed = allocated − live, summed over the sites.
    expect(l.freedObjects).toBe(sum(r.rows.map((row) => row.churnObjects)));

    const site = (name: string) => r.rows.find((row) => row.name === name)!;
    const churnSite = site('churn_site').lifetimes!;
    expect(churnSite.freedObjects).toBe(CHURN_PER_PHASE);
    // Half freed at the very next event (heaptrack's temporary: lifetime 1), all within 1,024 events.
    expect(churnSite.events[0]).toMatchObject({ fromEvents: 1, toEvents: 4 });
    expect(churnSite.events[0].count).toBeGreaterThanOrEqual(site('churn_site').temporary!);
    expect(site('churn_site').temporary).toBe(CHURN_PER_PHASE / 2);
    expect(below(churnSite.events, 1024)).toBe(CHURN_PER_PHASE);
    expect(below(churnSite.events, 256) / CHURN_PER_PHASE).toBeGreaterThan(0.99);
    // The process's shortest bucket holds at least churn_site's temporaries.
    expect(l.events[0]).toMatchObject({ fromEvents: 1, toEvents: 2 });
    expect(l.events[0].count).toBeGreaterThanOrEqual(CHURN_PER_PHASE / 2);
    // odd_size_site frees 3,950 blocks after all 4,000 are allocated: every one lives ≥ 1,024 events.
    const odd = site('odd_size_site').lifetimes!;
    expect(odd.freedObjects).toBe(ODD_PER_PHASE - 50);
    expect(below(odd.events, 1024)).toBe(0);
    expect(site('churn_site').medianLifetimeEvents!).toBeLessThan(site('odd_size_site').medianLifetimeEvents!);
    // leak_site frees nothing: no buckets.
    expect(site('leak_site').lifetimes).toEqual({ freedObjects: 0, events: [] });
  });

  it.skipIf(!HAVE_SYSTEMUI)('the systemui record_allocs trace: the histograms equal an independent count of every lifetime', async () => {
    const text = firstMember(SYSTEMUI);
    const want = naiveLifetimes(text);
    const loaded = await accumulateText(text);
    const r = churn([loaded], { by: 'thread' });
    expectConsistent(r);
    const l = r.lifetimes!;
    expect(l.freedObjects).toBe(want.freed);
    expect(triples(l.events)).toEqual(
      want.log2
        .map((count, b) => [b === 0 ? 0 : 2 ** (b - 1), 2 ** b, count])
        .filter(([, , count]) => count > 0),
    );
    expect(l.ns).toBeNull(); // this writer recorded no timestamps
    // Per thread in powers of 4: their sum is the process histogram folded by pairs.
    const log4 = new Array<number>(16).fill(0);
    want.log2.forEach((count, b) => (log4[b === 0 ? 0 : Math.min(15, Math.ceil(b / 2))] += count));
    const perSite = new Array<number>(16).fill(0);
    for (const row of r.rows) for (const b of row.lifetimes!.events) perSite[b.fromEvents === 0 ? 0 : Math.log2(b.fromEvents) / 2 + 1] += b.count;
    expect(perSite).toEqual(log4);
  });
});

/** The first member of a zip file, inflated. */
function firstMember(path: string): string {
  const zip = readFileSync(path);
  const method = zip.readUInt16LE(8);
  const start = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
  const size = zip.readUInt32LE(18);
  const data = method === 0 ? zip.subarray(start, start + size) : inflateRawSync(zip.subarray(start));
  return data.toString('latin1');
}

/**
 * Lifetimes in events, counted independently: an event is each allocation,
 * free (not free(NULL)) and realloc; a block lives from the event that
 * allocated it to the one that freed it (a pointer allocated again while
 * live frees its earlier block there). Power-of-2 buckets: 0, [1,2), [2,4), …
 */
function naiveLifetimes(text: string): { freed: number; log2: number[] } {
  const born = new Map<bigint, number>();
  const log2 = new Array<number>(64).fill(0);
  let event = 0;
  let freed = 0;
  const die = (p: bigint) => {
    const at = born.get(p);
    if (at === undefined) return;
    born.delete(p);
    const lifetime = event - at;
    log2[lifetime === 0 ? 0 : Math.floor(Math.log2(lifetime)) + 1]++;
    freed++;
  };
  const alloc = (p: bigint) => {
    die(p);
    born.set(p, event);
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [, op, ...args] = line.split(' ');
    if (op === 'thread_done') continue;
    const ptr = BigInt(args[0]);
    if (op === 'malloc' || op === 'calloc' || op === 'memalign') {
      if (ptr === 0n) continue;
      alloc(ptr);
    } else if (op === 'free') {
      if (ptr === 0n) continue;
      die(ptr);
    } else if (op === 'realloc') {
      const old = BigInt(args[1]);
      const size = Number(args[2]);
      if (old === 0n) {
        if (ptr === 0n) continue;
        alloc(ptr);
      } else if (ptr === 0n) {
        if (size !== 0) continue;
        die(old);
      } else {
        die(old);
        alloc(ptr);
      }
    } else {
      throw new Error(`unexpected op ${op}`);
    }
    event++;
  }
  return { freed, log2 };
}
