/**
 * Memory over time per top site, held against the event accumulator's own
 * totals (final live bytes, peak, allocated bytes, temporary allocations)
 * and against each dump's totals, on real fixtures: a jemalloc series, a
 * perf trace with timestamps, a hand-written record_allocs trace whose
 * every value is known, and the corpus' Android trace without timestamps.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { growthPoint, loadProfile, memoryOfSeries, memoryOfTrace, seriesOrder, type MemoryOverTime } from '@heapscope/analyzer';
import { RECORD_ALLOCS_TIMED } from '@heapscope/testkit/hand-written';
import { CORPUS, FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFiles } from '@heapscope/testkit/inputs';

const PERF = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
const SYSTEMUI = join(CORPUS, 'android-record-allocs', 'systemui.zip');

/** Every point: the series add up to the total; the x axis never goes back. */
function checkShape(m: MemoryOverTime): void {
  expect(m.x.length).toBe(m.labels.length);
  expect(m.totals.length).toBe(m.x.length);
  for (let i = 0; i < m.x.length; i++) {
    const sum = m.series.reduce((s, row) => s + row.values[i], 0);
    expect(sum).toBeCloseTo(m.totals[i], 3);
    if (i > 0) expect(m.x[i]).toBeGreaterThanOrEqual(m.x[i - 1]);
  }
  expect(m.series.filter((s) => s.other).length).toBeLessThanOrEqual(1);
}

describe('memory over time of a trace', () => {
  it('the hand-written record_allocs trace: a point per window, ending at the live bytes, below the peak, allocations and temporaries summing to the trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapscope-mot-'));
    const path = join(dir, 'record_allocs.txt');
    writeFileSync(path, RECORD_ALLOCS_TIMED);
    const { trace, profile } = await loadProfile(path, { windows: 3 });
    const m = memoryOfTrace(trace!, { by: 'thread' });
    checkShape(m);
    const r = trace!.report;
    expect(m.axis).toBe('seconds');
    expect(m.x[0]).toBe(0);
    expect(m.totals[0]).toBe(0);
    expect(m.totals[m.totals.length - 1]).toBe(r.liveBytes);
    expect(Math.max(...m.totals)).toBeLessThanOrEqual(r.peak.bytes);
    const allocated = m.allocations!.bytes.reduce((a, b) => a + b, 0);
    expect(allocated).toBe(profile.total(profile.sampleTypeIndex('alloc_space')));
    expect(m.allocations!.temporary!.reduce((a, b) => a + b, 0)).toBe(r.temporary);
    expect(m.x[m.x.length - 1]).toBeCloseTo((r.lastTimeNs! - r.firstTimeNs!) / 1e9, 12);
    // Per second: bytes of the window over its duration.
    const i = m.allocations!.bytesPerSecond!.findIndex((v) => v !== null);
    expect(m.allocations!.bytesPerSecond![i]).toBeCloseTo(m.allocations!.bytes[i] / (m.x[i] - m.x[i - 1]), 6);
  });

  it('the perf trace: x in seconds, top sites by their largest value, "other" for the rest, checked against the accumulator', async () => {
    const { trace, profile } = await loadProfile(PERF, { windows: 20 });
    const m = memoryOfTrace(trace!, { sites: 2 });
    checkShape(m);
    const r = trace!.report;
    expect(m.axis).toBe('seconds');
    expect(m.x.length).toBe(trace!.snapshots.length + 1);
    expect(m.totals[m.totals.length - 1]).toBeCloseTo(r.liveBytes, 6);
    expect(Math.max(...m.totals)).toBeLessThanOrEqual(r.peak.bytes);
    expect(m.allocations!.bytes.reduce((a, b) => a + b, 0)).toBeCloseTo(profile.total(profile.sampleTypeIndex('alloc_space')), 6);
    expect(m.series.map((s) => s.other)).toEqual([false, false, true]);
    const peakOf = (values: number[]) => Math.max(...values);
    expect(peakOf(m.series[0].values)).toBeGreaterThanOrEqual(peakOf(m.series[1].values));
    // Nothing left out of "other" is larger than the sites drawn.
    expect(m.siteCount).toBeGreaterThan(2);
  });

  it.skipIf(!existsSync(SYSTEMUI))('the Android systemui trace (no timestamps): x in operations, ending at the trace’s events and live bytes', async () => {
    const { trace } = await loadProfile(SYSTEMUI, { windows: 10 });
    const m = memoryOfTrace(trace!, { by: 'thread', sites: 4 });
    checkShape(m);
    const r = trace!.report;
    expect(m.axis).toBe('operations');
    expect(m.x[m.x.length - 1]).toBe(r.events);
    expect(m.totals[m.totals.length - 1]).toBe(r.liveBytes);
    expect(Math.max(...m.totals)).toBeLessThanOrEqual(r.peak.bytes);
    expect(m.allocations!.bytesPerSecond).toBeNull();
    expect(m.allocations!.temporary!.reduce((a, b) => a + b, 0)).toBe(r.temporary);
    expect(m.series.length).toBe(5);
  }, 60_000);
});

describe('memory over time of a series of dumps', () => {
  it('the jemalloc series: a point per dump, each total the dump’s in-use bytes, allocations per interval from the cumulative counts', async () => {
    const paths = fixtureFiles('jemalloc/all', /\.m\d+\.heap$/);
    const profiles = await Promise.all(paths.map(async (p) => (await loadProfile(p)).profile));
    const ordered = seriesOrder(profiles).indexes.map((i) => profiles[i]);
    const m = memoryOfSeries(ordered.map((p) => growthPoint(p, { sampleType: 'inuse_space' })), { sites: 3 });
    checkShape(m);
    expect(m.axis).toBe('dumps');
    expect(m.x).toEqual(ordered.map((_, i) => i));
    ordered.forEach((p, i) => expect(m.totals[i]).toBeCloseTo(p.total(p.sampleTypeIndex('inuse_space')), 3));
    const allocated = m.allocations!.bytes.reduce((a, b) => a + b, 0);
    const last = ordered[ordered.length - 1];
    expect(allocated).toBeCloseTo(last.total(last.sampleTypeIndex('alloc_space')), 3);
    expect(m.allocations!.temporary).toBeNull();
  });
});
