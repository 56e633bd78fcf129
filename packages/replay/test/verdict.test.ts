/**
 * The verdict: which allocator to choose, and when a difference is within
 * noise — by the runs' ranges with two runs or more, by the single-run
 * margin after one — for every reason it can give.
 */
import { describe, expect, it } from 'vitest';
import { SINGLE_RUN_MARGIN, allocatorVerdict, type VerdictFigures } from '@heapscope/replay';

/** An allocator's figures after one run. */
const one = (allocator: string, time: number, memory: number): VerdictFigures => ({ allocator, runs: 1, time, timeMin: time, timeMax: time, memory, memoryMin: memory, memoryMax: memory });
/** An allocator's figures after three runs, with their ranges. */
const three = (allocator: string, [timeMin, time, timeMax]: number[], [memoryMin, memory, memoryMax]: number[]): VerdictFigures => ({ allocator, runs: 3, time, timeMin, timeMax, memory, memoryMin, memoryMax });

describe('allocatorVerdict', () => {
  it('one run each: the margin decides what counts', () => {
    // jemalloc 20 % faster and 10 % leaner than glibc: both beyond the margin.
    expect(allocatorVerdict([one('glibc', 1, 100), one('jemalloc', 0.8, 90)], 'peakRss')).toMatchObject({ choose: 'jemalloc', reason: 'fastest-and-least-memory', noiseFrom: 'margin', timeWithinNoise: false, memoryWithinNoise: false });
    // 5 % faster is within the time margin; 10 % less memory is not.
    expect(allocatorVerdict([one('glibc', 1, 100), one('jemalloc', 0.95, 90)], 'peakRss')).toMatchObject({ choose: 'jemalloc', reason: 'least-memory', timeWithinNoise: true, memoryWithinNoise: false });
    // Faster beyond the margin, 1 % less memory within it.
    expect(allocatorVerdict([one('glibc', 1, 100), one('tcmalloc', 0.7, 99)], 'peakRss')).toMatchObject({ choose: 'tcmalloc', reason: 'fastest', timeWithinNoise: false, memoryWithinNoise: true });
    // One faster, the other leaner, both beyond: the leaner, the faster named.
    expect(allocatorVerdict([one('glibc', 1, 100), one('jemalloc', 0.7, 140)], 'peakRss')).toMatchObject({ choose: 'glibc', reason: 'trade-off', fastest: 'jemalloc', leastMemory: 'glibc' });
    // Nothing beyond the margins: glibc, which needs nothing preloaded, even when not first or not best.
    expect(allocatorVerdict([one('mimalloc', 0.97, 99), one('glibc', 1, 100)], 'peakRss')).toMatchObject({ choose: 'glibc', reason: 'no-difference' });
    expect(allocatorVerdict([one('mimalloc', 0.97, 99), one('tcmalloc', 1, 100)], 'peakRss')).toMatchObject({ choose: 'mimalloc', reason: 'no-difference' });
  });

  it('the margins are the ones documented: 10 % in time, 2 % in memory', () => {
    expect(SINGLE_RUN_MARGIN).toEqual({ time: 1.1, memory: 1.02 });
    expect(allocatorVerdict([one('glibc', 1.1, 100), one('a', 0.999, 100)], 'peakRss').timeWithinNoise).toBe(false);
    expect(allocatorVerdict([one('glibc', 1.099, 100), one('a', 1, 100)], 'peakRss').timeWithinNoise).toBe(true);
    expect(allocatorVerdict([one('glibc', 1, 103), one('a', 1, 100)], 'peakRss').memoryWithinNoise).toBe(false);
    expect(allocatorVerdict([one('glibc', 1, 101.5), one('a', 1, 100)], 'peakRss').memoryWithinNoise).toBe(true);
  });

  it('three runs each: a difference counts only when the ranges do not overlap, however large the medians\' gap', () => {
    const glibc = three('glibc', [0.9, 1, 1.4], [100, 100, 101]);
    // The median is 30 % faster, but one run of glibc beat one of jemalloc's: within noise.
    expect(allocatorVerdict([glibc, three('jemalloc', [0.6, 0.7, 0.95], [130, 131, 131])], 'peakRss')).toMatchObject({ choose: 'glibc', reason: 'least-memory', timeWithinNoise: true, noiseFrom: 'ranges' });
    // Every run faster, every run leaner: both count even for small gaps.
    expect(allocatorVerdict([glibc, three('jemalloc', [0.85, 0.86, 0.89], [98, 99, 99.5])], 'peakRss')).toMatchObject({ choose: 'jemalloc', reason: 'fastest-and-least-memory' });
    // Ranges are used only when every allocator ran twice or more.
    expect(allocatorVerdict([glibc, one('jemalloc', 0.7, 131)], 'peakRss').noiseFrom).toBe('margin');
  });

  it('the leader must beat every other allocator, not only the baseline', () => {
    const rows = [one('glibc', 1, 100), one('jemalloc', 0.7, 120), one('tcmalloc', 0.72, 120)];
    const v = allocatorVerdict(rows, 'maxRss');
    // jemalloc is not beyond noise of tcmalloc in time: glibc's memory lead decides.
    expect(v).toMatchObject({ fastest: 'jemalloc', timeWithinNoise: true, leastMemory: 'glibc', memoryWithinNoise: false, memoryFigure: 'maxRss' });
    expect(v.choose).toBe('glibc');
  });

  it('one allocator, or none', () => {
    expect(allocatorVerdict([one('glibc', 1, 100)], 'peakRss')).toMatchObject({ choose: 'glibc', reason: 'only-one' });
    expect(allocatorVerdict([], 'peakRss')).toMatchObject({ choose: null, reason: 'none-ran' });
  });
});
