/**
 * `SiteIndex.sumAlongTree` (flat and cum summed over the prefix tree, what
 * `top` uses when no filter looks at whole samples) against the plain way:
 * each sample's `sampleKeys`, flat to the first key, cum to each. Checked on
 * hand-built stacks with the cases the tree walk must get right, and on every
 * importer's inputs (symbolized as the CLI does, so inline frames and
 * allocator wrappers are real), for each grouping, with and without the
 * allocator frames, for every sample type.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Symbolizer, type HeapProfile } from '@heapscope/parser';
import { GROUP_BY, SiteIndex, readInput, type GroupBy, type SiteOptions } from '@heapscope/analyzer';
import { buildProfile } from '@heapscope/testkit/build-profile';
import { importerInputs } from '@heapscope/testkit/inputs';

/** name → [flat, cum] the plain way, for keys some sample reaches. */
function bySample(sites: SiteIndex, values: ArrayLike<number>): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < sites.profile.samples.length; i++) {
    const keys = sites.sampleKeys(i);
    if (keys === null || keys.length === 0) continue;
    keys.forEach((key, k) => {
      const row = out.get(sites.names[key]) ?? [0, 0];
      if (k === 0) row[0] += values[i];
      row[1] += values[i];
      out.set(sites.names[key], row);
    });
  }
  return out;
}

function alongTree(sites: SiteIndex, values: ArrayLike<number>): Map<string, [number, number]> {
  const { flat, cum, touched } = sites.sumAlongTree(values);
  const out = new Map<string, [number, number]>();
  sites.names.forEach((name, key) => {
    if (touched[key] === 1) out.set(name, [flat[key], cum[key]]);
  });
  return out;
}

function expectSameSums(profile: HeapProfile, options: SiteOptions, typeIndex: number): void {
  const values = profile.samples.values[typeIndex];
  const sites = new SiteIndex(profile, options);
  expect(sites.summableAlongTree).toBe(true);
  const tree = alongTree(sites, values);
  const plain = bySample(new SiteIndex(profile, options), values);
  expect([...tree.keys()].sort()).toEqual([...plain.keys()].sort());
  const scale = Math.max(1, ...[...plain.values()].map(([, cum]) => Math.abs(cum)));
  for (const [name, [flat, cum]] of plain) {
    const [treeFlat, treeCum] = tree.get(name) as [number, number];
    expect(Math.abs(treeFlat - flat) / scale, `${name} flat`).toBeLessThan(1e-12);
    expect(Math.abs(treeCum - cum) / scale, `${name} cum`).toBeLessThan(1e-12);
  }
}

/**
 * Several columns summed in one walk (what `top` does with a sample type and
 * its variances) give each column's own `sumAlongTree`, bit for bit: the
 * same values added in the same order.
 */
function expectSameColumnSums(profile: HeapProfile, options: SiteOptions): void {
  const columns = profile.samples.values;
  // A column with fractions and one with values of mixed sign, so an order change would show in the last bits.
  const extra = [Float64Array.from(columns[0], (v, i) => v / 3 + i * 1e-7), Float64Array.from(columns[0], (v, i) => (i % 2 === 0 ? v : -v / 7))];
  const all = [...columns, ...extra];
  const together = new SiteIndex(profile, options).sumColumnsAlongTree(all);
  expect(together).toHaveLength(all.length);
  all.forEach((column, c) => {
    const alone = new SiteIndex(profile, options).sumAlongTree(column);
    expect(Object.is(together[c].shown, alone.shown), `column ${c} shown`).toBe(true);
    expect(Buffer.from(together[c].flat.buffer).equals(Buffer.from(alone.flat.buffer)), `column ${c} flat`).toBe(true);
    expect(Buffer.from(together[c].cum.buffer).equals(Buffer.from(alone.cum.buffer)), `column ${c} cum`).toBe(true);
    expect([...together[c].touched]).toEqual([...alone.touched]);
  });
}

const GROUPINGS: GroupBy[] = ['function', 'module', 'file'];

/** Every grouping, with the filters that look at whole samples or hide frames. */
const SITE_OPTIONS: SiteOptions[] = GROUP_BY.flatMap((by) => [
  { by },
  { by, keepAllocatorFrames: true },
  { by, focus: /rec|main|site/ },
  { by, ignore: /freed|leak/ },
  { by, hide: /rec|inner|alloc/ },
  { by, thread: /^(t?1|main)/ },
]);

/**
 * `sampleSite` (the call site alone, what growth uses) names every sample's
 * first key as `sampleKeys` does, on an index of its own and on one that
 * has already made some samples' key paths.
 */
function expectSameSites(profile: HeapProfile, options: SiteOptions): void {
  const plain = new SiteIndex(profile, options);
  const alone = new SiteIndex(profile, options);
  const mixed = new SiteIndex(profile, options);
  const name = (sites: SiteIndex, key: number | undefined) => (key === undefined || key < 0 ? null : sites.names[key]);
  for (let i = 0; i < profile.samples.length; i++) {
    const keys = plain.sampleKeys(i);
    const expected = keys === null || keys.length === 0 ? null : plain.names[keys[0]];
    expect(name(alone, alone.sampleSite(i)), `${JSON.stringify(String(options.by))} sample ${i}`).toBe(expected);
    if (i % 3 === 0) mixed.sampleKeys(i);
    expect(name(mixed, mixed.sampleSite(i))).toBe(expected);
  }
  // The same keys, made in the same order.
  expect(alone.names).toEqual(plain.names);
}

describe('sums along the prefix tree', () => {
  const p = buildProfile(
    [
      // Recursion: `rec` counts once in cum.
      { stack: ['malloc', 'rec', 'rec', 'rec', 'main'], bytes: 100 },
      { stack: ['malloc', 'rec', 'main'], bytes: 10 },
      // Inlined recursion within one location, and an inlined allocator
      // wrapper: the call-site frames end inside the location.
      { stack: ['inner|inner|outer', 'main'], bytes: 7 },
      { stack: ['calloc|allocate_dtv', 'init', 'main'], bytes: 3 },
      { stack: ['calloc|allocate_dtv', 'init', 'main'], bytes: 4 },
      // Nothing but allocator frames, and the empty stack.
      { stack: ['malloc'], bytes: 1 },
      { stack: [], bytes: 2 },
      // Values that cancel out on one node (gperftools in-use counts can be negative).
      { stack: ['malloc', 'freed', 'main'], bytes: 5 },
      { stack: ['malloc', 'freed', 'main'], bytes: -5 },
      { stack: ['leaf@libx.so', 'mid@liby.so', 'main@app'], bytes: 9 },
    ],
    { modules: ['/lib/libx.so', '/lib/liby.so', '/srv/app'] },
  );

  it('gives what summing each sample gives: recursion, inline frames, cut wrappers, empty and cancelling stacks', () => {
    for (const by of GROUPINGS) {
      for (const keepAllocatorFrames of [false, true]) expectSameSums(p, { by, keepAllocatorFrames }, 1);
    }
    const sums = alongTree(new SiteIndex(p), p.samples.values[1]);
    expect(sums.get('rec')).toEqual([110, 110]);
    expect(sums.get('inner')).toEqual([7, 7]);
    expect(sums.get('allocate_dtv')).toEqual([7, 7]);
    expect(sums.get('main')).toEqual([0, 110 + 7 + 7 + 9]);
    expect(sums.get('(no stack)')).toEqual([3, 3]);
    expect(sums.get('freed')).toEqual([0, 0]);
  });

  it('several columns in one walk: each the same as summed alone, to the last bit', () => {
    for (const by of [...GROUPINGS, 'line' as const]) {
      for (const keepAllocatorFrames of [false, true]) expectSameColumnSums(p, { by, keepAllocatorFrames });
    }
  });

  it('sampleSite: the first of sampleKeys, for every grouping and filter', () => {
    for (const options of SITE_OPTIONS) expectSameSites(p, options);
  });

  it('is not used when a filter looks at whole samples', () => {
    for (const options of [{ focus: /rec/ }, { ignore: /rec/ }, { hide: /rec/ }, { thread: /t/ }, { by: 'stack' as const }, { by: 'thread' as const }]) {
      expect(new SiteIndex(p, options).summableAlongTree).toBe(false);
    }
  });
});

describe('sums along the prefix tree, on every importer input', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'heapscope-site-sums-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const symbolizer = new Symbolizer({ cacheDir: null });
  for (const input of importerInputs(scratch)) {
    it(input.name, async () => {
      let { profile } = await readInput(input.path);
      const at = input.symbolArgs.indexOf('--symbols');
      if (at >= 0) profile = (await symbolizer.symbolize(profile, { symbolPaths: [input.symbolArgs[at + 1]] })).profile;
      expect(profile.samples.length).toBeGreaterThan(0);
      for (const by of GROUPINGS) {
        for (const keepAllocatorFrames of [false, true]) {
          profile.sampleTypes.forEach((_, t) => expectSameSums(profile, { by, keepAllocatorFrames }, t));
          expectSameColumnSums(profile, { by, keepAllocatorFrames });
        }
      }
      for (const options of SITE_OPTIONS) expectSameSites(profile, options);
    });
  }
});
