/**
 * Round trips of every snapshot input the importers' tests use (the
 * project's fixtures and the shared corpus, whatever the list holds):
 * → pprof → heapscope reads it back with the same totals per sample type
 * (pprof values are integers: the writer rounds so that each total is the
 * exact total rounded), the same sample types, threads, samples and facts;
 * → speedscope → valid against the schema the speedscope package ships.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkIntegrity, loadSnapshot, type HeapProfile } from '@heapscope/parser';
import { diffProfiles } from '@heapscope/analyzer';
import { encodePprof } from '../src/render/pprof.js';
import { runCli } from './run-cli.js';
import { validateSpeedscope } from './speedscope-schema.js';
import { snapshotInputs } from '../../parser/test/helpers/inputs.js';
import { FIXTURES, corpusSkipNote, displayName } from '../../parser/test/helpers/paths.js';

corpusSkipNote();

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-roundtrip-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const inputs = snapshotInputs();

function totals(p: HeapProfile): Record<string, number> {
  return Object.fromEntries(p.sampleTypes.map((t, i) => [t.type, p.total(i)]));
}

describe('pprof round trip of signed values', () => {
  it('keeps a diff (negative values, as pprof int64) and its labels', async () => {
    const [a, b] = [join(FIXTURES, 'gperftools', 'workload.0001.heap'), join(FIXTURES, 'gperftools', 'workload.0005.heap')];
    // Newer minus older, and older minus newer: growth and shrinkage.
    for (const [base, input] of [
      [a, b],
      [b, a],
    ]) {
      const diff = diffProfiles(await loadSnapshot(base), await loadSnapshot(input));
      const out = join(scratch, 'diff.pb.gz');
      writeFileSync(out, encodePprof(diff));
      const back = await loadSnapshot(out);
      expect(checkIntegrity(back)).toEqual([]);
      diff.sampleTypes.forEach((t, i) => expect(Math.abs(back.total(back.sampleTypeIndex(t.type)) - diff.total(i))).toBeLessThanOrEqual(0.5));
      const values = back.samples.values[back.sampleTypeIndex('inuse_space')];
      expect(Math.min(...values) < 0 || Math.max(...values) > 0).toBe(true);
    }
  });
});

describe('round trips of every snapshot input', () => {
  it('has inputs', () => expect(inputs.length).toBeGreaterThan(0));

  inputs.forEach((path, n) => {
    const name = displayName(path);
    it(`${name} → pprof → heapscope: same totals, types, threads, samples and facts`, async () => {
      const out = join(scratch, `${n}.pb.gz`);
      const r = await runCli(['convert', '--to', 'pprof', '--no-symbolize', '-o', out, path]);
      expect(r.code, r.stderr).toBe(0);
      const original = await loadSnapshot(path);
      const back = await loadSnapshot(out);
      expect(checkIntegrity(back)).toEqual([]);
      expect(back.meta.format).toBe('pprof');
      expect(back.sampleTypes).toEqual(original.sampleTypes);
      expect(back.defaultSampleType).toBe(original.defaultSampleType);
      const want = totals(original);
      const got = totals(back);
      for (const type of Object.keys(want)) {
        // Rounded to the nearest integer, so within half a unit.
        expect(Math.abs(got[type] - want[type]), `${type}: ${got[type]} vs ${want[type]}`).toBeLessThanOrEqual(0.5 + 1e-6 * Math.abs(want[type]));
      }
      expect(back.samples.length).toBe(original.samples.length);
      // Threads travel as sample labels: each sample keeps its thread (threads without samples are not written).
      const threadOf = (p: HeapProfile, i: number) => (p.samples.thread[i] >= 0 ? p.threads[p.samples.thread[i]] : null);
      for (let i = 0; i < original.samples.length; i++) expect(threadOf(back, i)).toEqual(threadOf(original, i));
      expect(back.meta.sampling).toEqual(original.meta.sampling);
      expect(back.meta.sizeKind).toBe(original.meta.sizeKind);
      expect(back.meta.pid).toBe(original.meta.pid);
      expect(back.meta.dumpSeq).toBe(original.meta.dumpSeq);
      // Each sample keeps its stack depth.
      for (let i = 0; i < original.samples.length; i++) {
        expect(back.stackLocations(back.samples.stack[i]).length).toBe(original.stackLocations(original.samples.stack[i]).length);
      }
      // Addresses: the original's, minus 1 for return addresses (as pprof stores them).
      const minus = original.meta.returnAddresses ? 1n : 0n;
      const leaf = (p: HeapProfile, i: number) => p.stackLocations(p.samples.stack[i])[0];
      for (let i = 0; i < original.samples.length; i++) {
        const l = leaf(original, i);
        if (l === undefined) continue;
        const a = original.address(l);
        expect(back.address(leaf(back, i))).toBe(a === 0n ? 0n : a - minus);
      }
    });

    it(`${name} → speedscope: valid against speedscope's schema, one profile per sample type`, async () => {
      const out = join(scratch, `${n}.speedscope.json`);
      const r = await runCli(['convert', '--to', 'speedscope', '--no-symbolize', '-o', out, path]);
      expect(r.code, r.stderr).toBe(0);
      const file = JSON.parse(readFileSync(out, 'utf8'));
      expect(validateSpeedscope(file)).toEqual([]);
      const original = await loadSnapshot(path);
      expect(file.profiles.length).toBe(original.sampleTypes.length);
      original.sampleTypes.forEach((t, i) => {
        const profile = file.profiles[i];
        expect(profile.name.startsWith(t.type)).toBe(true);
        expect(profile.unit).toBe(t.unit === 'bytes' ? 'bytes' : 'none');
        // Weights are the positive call paths' values.
        const sum = profile.weights.reduce((a: number, b: number) => a + b, 0);
        expect(sum).toBeCloseTo(profile.endValue, 3);
        let positive = 0;
        for (const v of original.samples.values[i]) if (v > 0) positive += v;
        expect(sum).toBeLessThanOrEqual(positive + 1e-6 * positive + 1e-9);
      });
      expect(file.profiles[file.activeProfileIndex].name.startsWith(original.defaultSampleType)).toBe(true);
    });
  });
});
