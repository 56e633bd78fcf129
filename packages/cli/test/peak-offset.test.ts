/**
 * `peak` (and `info`) place the peak in the trace: seconds since the trace's
 * first event, of the trace's length, not the producer's raw clock (perf's
 * counts from boot); without timestamps, the event among all events.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration } from '@heapscope/analyzer';
import { CORPUS, FIXTURES, HAVE_CORPUS, corpusSkipNote } from '@heapscope/testkit/paths';
import { runCli } from './run-cli.js';

const PERF = join(FIXTURES, 'perf/workload.fp.perf.txt.gz');

interface PeakJson {
  peak: { bytes: number; event: number; timeNs: number | null; offsetNs: number | null; events: number; durationNs: number | null };
}

/** The first and last timestamps (ns) of the sample lines of a perf script text. */
function perfTimeSpan(text: string): [number, number] {
  const times = [...text.matchAll(/^\S.*? (\d+)\.(\d{6}): /gm)].map((m) => Number(m[1]) * 1e9 + Number(m[2]) * 1e3);
  return [times[0], times[times.length - 1]];
}

describe('peak: an offset into the trace', () => {
  it('perf records: seconds since the first event, of the trace length, in text and JSON', async () => {
    const r = await runCli(['peak', '--format', 'json', '-n', '1', PERF]);
    expect(r.code, r.stderr).toBe(0);
    const { peak } = JSON.parse(r.stdout) as PeakJson;
    const [first, last] = perfTimeSpan(gunzipSync(readFileSync(PERF)).toString('latin1'));
    // The perf clock counts from boot: the peak's own time is far beyond the trace's length.
    expect(peak.timeNs!).toBeGreaterThan(first);
    expect(peak.timeNs!).toBeGreaterThan(10 * peak.durationNs!);
    expect(peak.offsetNs!).toBeGreaterThanOrEqual(0);
    expect(peak.offsetNs!).toBeLessThanOrEqual(peak.durationNs!);
    expect(peak.timeNs! - peak.offsetNs!).toBeGreaterThanOrEqual(first);
    // The trace's length is the span of its lines (its first allocation counts at its return probe, microseconds later).
    expect(Math.abs(peak.durationNs! - (last - first))).toBeLessThan(1e5);
    expect(peak.event).toBeLessThanOrEqual(peak.events);

    const text = await runCli(['peak', '-n', '1', PERF]);
    expect(text.stdout.split('\n')[0]).toContain(
      `at ${formatDuration(peak.offsetNs!)} of ${formatDuration(peak.durationNs!)} (event ${formatCount(peak.event)} of ${formatCount(peak.events)})`,
    );
    expect(text.stdout).not.toMatch(/\d{4}\.\d{6} s/);

    const info = await runCli(['info', '--format', 'json', PERF]);
    const input = (JSON.parse(info.stdout) as { inputs: PeakJson[] }).inputs[0];
    expect(input.peak).toEqual(peak);
  });

  it.skipIf(!HAVE_CORPUS)('a trace without timestamps (Android record_allocs): the event among all events', async () => {
    const trace = join(CORPUS, 'android-record-allocs/systemui.zip');
    const r = await runCli(['peak', '--format', 'json', '-n', '1', trace]);
    const { peak } = JSON.parse(r.stdout) as PeakJson;
    expect(peak.offsetNs).toBeNull();
    expect(peak.durationNs).toBeNull();
    const text = await runCli(['peak', '-n', '1', trace]);
    expect(text.stdout.split('\n')[0]).toContain(`at event ${formatCount(peak.event)} of ${formatCount(peak.events)} (no timestamps)`);
  });
  if (!HAVE_CORPUS) corpusSkipNote();
});
