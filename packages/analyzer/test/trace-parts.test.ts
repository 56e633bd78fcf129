/**
 * The parts of an accumulation a command may go without (`TracePart`): on
 * real traces of every importer that accumulates — heaptrack interpreted
 * (blocks by allocation info) and raw (pointers), perf malloc probes, a
 * record_allocs trace with threads, and a damaged heaptrack recording read
 * leniently — leaving parts out changes nothing else (profile, report,
 * snapshots, warnings), each part asked for alone equals the same part of
 * the whole accumulation, and a reader of a part left out fails instead of
 * reading zeros.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBytes } from '@heapscope/parser';
import { ALL_TRACE_PARTS, churn, readOpened, sizes, tracePart, type LoadedInput, type TracePart } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';
import { unzstdFile } from '@heapscope/testkit/inputs';
import { RECORD_ALLOCS_TIMED } from '@heapscope/testkit/hand-written';

const TRACES = ['heaptrack/heaptrack.workload.19839.zst', 'heaptrack/heaptrack.workload.19878.raw.zst', 'perf/workload.fp.perf.txt.gz'];

/** The interpreted fixture with every 50th event line cut to an undefined info: warnings under --lenient. */
function damagedHeaptrack(): Uint8Array {
  const lines = unzstdFile(join(FIXTURES, TRACES[0])).toString('utf8').split('\n');
  let events = 0;
  const out = lines.map((l) => (/^[+-] /.test(l) && ++events % 50 === 0 ? `${l[0]} fffffff` : l));
  return new TextEncoder().encode(out.join('\n'));
}

async function accumulate(name: string, bytes: Uint8Array, parts?: readonly TracePart[]): Promise<LoadedInput> {
  return readOpened(await openBytes(name, bytes), { windows: 4, lenient: true, parts });
}

/** The profile's samples, values and meta as plain data. */
function profileData(input: LoadedInput) {
  const p = input.profile;
  return { meta: p.meta, types: p.sampleTypes, stacks: [...p.samples.stack], values: p.samples.values.map((v) => [...v]) };
}

function snapshotData(input: LoadedInput) {
  return input.trace!.snapshots.map((s) => ({ ...s, profile: s.profile.samples.values.map((v) => [...v]) }));
}

const inputs: [string, () => Uint8Array][] = [
  ...TRACES.map((t): [string, () => Uint8Array] => [t, () => readFileSync(join(FIXTURES, t))]),
  ['record_allocs with threads', () => new TextEncoder().encode(RECORD_ALLOCS_TIMED)],
  ['damaged heaptrack (lenient)', damagedHeaptrack],
];

describe('parts of an accumulation', () => {
  for (const [name, bytes] of inputs) {
    it(`${name}: left out, nothing else changes; asked for alone, each is the whole one's`, async () => {
      const file = name.includes('/') ? name.split('/').pop()! : 'trace.txt';
      const all = await accumulate(file, bytes());
      const none = await accumulate(file, bytes(), []);
      expect(all.trace!.parts).toEqual(ALL_TRACE_PARTS);
      expect(none.trace!.parts).toEqual([]);
      expect(profileData(none)).toEqual(profileData(all));
      expect(none.trace!.report).toEqual(all.trace!.report);
      expect(snapshotData(none)).toEqual(snapshotData(all));
      expect(all.trace!.report.events).toBeGreaterThan(0);

      const lifetimes = await accumulate(file, bytes(), ['siteLifetimes']);
      const s = (i: LoadedInput) => {
        const c = i.trace!.sites;
        return [c.freedObjects, c.lifetimeEvents, c.temporary, c.lifetimeHistogram].map((col) => [...col]);
      };
      expect(s(lifetimes)).toEqual(s(all));
      expect(churn([lifetimes])).toEqual(churn([all]));

      const sized = await accumulate(file, bytes(), ['sizes']);
      expect(sized.trace!.sizes).toEqual(all.trace!.sizes);
      expect(sizes([sized])).toEqual(sizes([all]));

      const peak = await accumulate(file, bytes(), ['peakSites']);
      expect(peak.trace!.peakProfile.samples.values.map((v) => [...v])).toEqual(all.trace!.peakProfile.samples.values.map((v) => [...v]));
    });
  }

  it('a reader of a part left out fails, never reads zeros', async () => {
    const none = await accumulate('heaptrack.zst', readFileSync(join(FIXTURES, TRACES[0])), []);
    expect(() => sizes([none])).toThrow(/accumulated without its sizes/);
    expect(() => churn([none])).toThrow(/accumulated without its siteLifetimes/);
    expect(() => tracePart(none.trace!, 'peakSites')).toThrow(/accumulated without its peakSites/);
  });
});
