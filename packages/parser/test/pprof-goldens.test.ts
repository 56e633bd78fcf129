/**
 * google/pprof's own expected output for its legacy-parser test profiles
 * (`*.string` in the shared corpus: `Profile.String()` after pprof's
 * unsampling) checks the gperftools importer value by value: pprof truncates
 * each scaled value toward zero and subtracts 1 from every address, so
 * trunc(heapscope value) and (heapscope address − 1) must equal them.
 * heapscope sums rows with the same stack and size (a growth profile has one
 * row per allocation): pprof's rows are summed the same way before they are
 * compared, where a sum of k truncated values is within k of the exact one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnapshot } from '@heapscope/parser';
import { CORPUS, HAVE_CORPUS, corpusSkipNote } from '@heapscope/testkit/paths';

corpusSkipNote();

interface PprofSample {
  values: number[];
  locations: number[];
  bytesLabel?: number;
}

/** Reads the parts of `Profile.String()` output these tests compare. */
function readPprofString(text: string) {
  const lines = text.split('\n');
  const samples: PprofSample[] = [];
  const locationAddress = new Map<number, bigint>();
  let section = '';
  let period = 0;
  for (const line of lines) {
    if (/^Period: /.test(line)) period = Number(line.slice(8));
    if (/^(Samples|Locations|Mappings):?$/.test(line.trim())) {
      section = line.trim().replace(':', '');
      continue;
    }
    if (section === 'Samples') {
      const sample = /^\s*(-?\d+(?:\s+-?\d+)*):((?:\s+\d+)*)\s*$/.exec(line);
      if (sample) {
        samples.push({
          values: sample[1].trim().split(/\s+/).map(Number),
          locations: sample[2].trim() === '' ? [] : sample[2].trim().split(/\s+/).map(Number),
        });
        continue;
      }
      const label = /^\s*bytes:\[(\d+)\]/.exec(line);
      if (label) samples[samples.length - 1].bytesLabel = Number(label[1]);
    } else if (section === 'Locations') {
      const loc = /^\s*(\d+): (0x[0-9a-f]+)/.exec(line);
      if (loc) locationAddress.set(Number(loc[1]), BigInt(loc[2]));
    }
  }
  return { period, samples, locationAddress };
}

const cases = ['cppbench.heap', 'cppbench.growth', 'gobench.heap'];

describe.skipIf(!HAVE_CORPUS)('gperftools importer against pprof goldens', () => {
  for (const name of cases) {
    const path = join(CORPUS, 'pprof-legacy', name);
    it(`${name}: every sample's values and addresses match pprof's`, async () => {
      expect(existsSync(`${path}.string`)).toBe(true);
      const golden = readPprofString(readFileSync(`${path}.string`, 'utf8'));
      const p = await loadSnapshot(path);
      const bytesLabel = p.samples.labels.find((l) => l.key === 'bytes')!;
      // pprof's rows, summed by stack (addresses) and size label.
      const theirs = new Map<string, { values: number[]; rows: number }>();
      for (const g of golden.samples) {
        const key = `${g.locations.map((id) => golden.locationAddress.get(id)).join(' ')}/${g.bytesLabel ?? ''}`;
        const have = theirs.get(key);
        if (have) {
          have.values = have.values.map((v, t) => v + g.values[t]);
          have.rows++;
        } else theirs.set(key, { values: [...g.values], rows: 1 });
      }
      expect(p.samples.length).toBe(theirs.size);
      for (let i = 0; i < p.samples.length; i++) {
        const addresses = p.stackLocations(p.samples.stack[i]).map((l) => p.address(l) - 1n);
        const bytes = Number.isNaN(bytesLabel.values[i]) ? '' : Math.trunc(bytesLabel.values[i]);
        const g = theirs.get(`${addresses.join(' ')}/${bytes}`);
        expect(g, `sample ${i}: no pprof row has its stack and size`).toBeDefined();
        const ours = p.sampleTypes.map((_, t) => p.samples.values[t][i]);
        if (g!.rows === 1) expect(ours.map(Math.trunc), `sample ${i}`).toEqual(g!.values);
        else ours.forEach((v, t) => expect(Math.abs(v - g!.values[t]), `sample ${i}, ${g!.rows} rows`).toBeLessThan(g!.rows));
      }
      expect(p.meta.sampling.model === 'none' ? 1 : p.meta.sampling.periodBytes).toBe(golden.period);
    });
  }
});
