import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, loadSnapshot, symbolize } from '@heapscope/parser';
import { diffProfiles, mergeProfiles, mixedInputWarnings, top } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';
import { buildProfile } from '@heapscope/testkit/build-profile';

const series = (dir: string) =>
  readdirSync(join(FIXTURES, dir))
    .filter((n) => n.endsWith('.heap'))
    .sort()
    .map((n) => join(FIXTURES, dir, n));

const flatOf = (r: ReturnType<typeof top>) => Object.fromEntries(r.rows.map((row) => [row.name, row.flat]));

describe('merge and diff', () => {
  it('merging sums every sample type, keeps integrity, and is associative', async () => {
    const dumps = await Promise.all(series('gperftools').slice(0, 3).map((f) => loadSnapshot(f)));
    const all = mergeProfiles(dumps);
    expect(checkIntegrity(all)).toEqual([]);
    for (const t of all.sampleTypes) {
      const sum = dumps.reduce((s, p) => s + p.total(p.sampleTypeIndex(t.type)), 0);
      expect(all.total(all.sampleTypeIndex(t.type))).toBeCloseTo(sum, 6);
    }
    const left = mergeProfiles([mergeProfiles(dumps.slice(0, 2)), dumps[2]]);
    const right = mergeProfiles([dumps[0], mergeProfiles(dumps.slice(1))]);
    expect(flatOf(top([left], { by: 'stack' }))).toEqual(flatOf(top([right], { by: 'stack' })));
    expect(left.stacks.length).toBe(right.stacks.length);
    // Same stacks in each dump: merging compacts them into one sample per (stack, thread).
    expect(all.samples.length).toBe(dumps[0].samples.length);
  });

  it('records how its inputs were recorded, describes a mixed sampling by the coarsest one, and names a few of many processes', () => {
    const base = buildProfile([{ stack: ['f@app', 'main@app'], bytes: 10 }], { modules: ['/srv/app'] });
    const inputs = Array.from({ length: 7 }, (_, i) =>
      base.with({ meta: { ...base.meta, pid: 100 + i, sampling: i === 3 ? { model: 'poisson', periodBytes: 524288 } : { model: 'none', periodBytes: 0 } } }),
    );
    const merged = mergeProfiles(inputs);
    expect(merged.meta.merged).toMatchObject({ count: 7, pids: [100, 101, 102, 103, 104, 105, 106] });
    expect(merged.meta.merged!.samplings).toEqual([
      { model: 'none', periodBytes: 0 },
      { model: 'poisson', periodBytes: 524288 },
    ]);
    expect(merged.meta.sampling).toEqual({ model: 'poisson', periodBytes: 524288 });
    expect(mixedInputWarnings(merged.meta.merged)).toEqual([
      'inputs come from 7 different processes (pids 100, 101, 102, 103, 104, … 7 in all)',
      "inputs were sampled differently (none, poisson/524288); each input's values were unsampled by its own sampling",
    ]);
    // A merge of merges: the facts of all seven, counted once each.
    const nested = mergeProfiles([mergeProfiles(inputs.slice(0, 4)), mergeProfiles(inputs.slice(4))]);
    expect(nested.meta.merged).toEqual(merged.meta.merged);
    // One input is no merge.
    expect(mergeProfiles([base]).meta.merged).toBeUndefined();
  });

  it('matches locations by offset in their mapping, not by raw address (ASLR)', () => {
    const a = buildProfile([{ stack: ['f@app', 'main@app'], bytes: 10 }], { modules: ['/srv/app'] });
    // The same code loaded elsewhere: shift every address and mapping by 1 MiB.
    const shifted = a.with({
      mappings: a.mappings.map((m) => ({ ...m, start: m.start + 0x100000n, limit: m.limit + 0x100000n })),
      locations: { ...a.locations, addressLo: a.locations.addressLo.map((lo) => lo + 0x100000) },
    });
    const merged = mergeProfiles([a, shifted]);
    expect(merged.locations.length).toBe(a.locations.length);
    expect(merged.total(1)).toBe(20);
  });

  it("keeps an input's unmapped address unmapped, even inside another input's mapping", () => {
    const unmapped = buildProfile([{ stack: ['go_alloc'], bytes: 7 }]); // no maps: address 0x10000010
    const mapped = buildProfile([{ stack: ['main@app'], bytes: 3 }], { modules: ['/srv/app'] });
    const covering = mapped.with({ mappings: mapped.mappings.map((m) => ({ ...m, start: 0x10000000n, limit: 0x10100000n })) });
    const byModule = (p: ReturnType<typeof mergeProfiles>) => Object.fromEntries(top([p], { by: 'module' }).rows.map((r) => [r.name, r.flat]));
    expect(byModule(mergeProfiles([unmapped, covering]))).toEqual({ '(unknown module)': 7, app: 3 });
    expect(byModule(mergeProfiles([covering, unmapped]))).toEqual({ '(unknown module)': 7, app: 3 });
  });

  it('diff is input minus base, signed, per site: the leak grows by its per-phase amount', async () => {
    const [first, second] = await Promise.all(series('gperftools').slice(0, 2).map((f) => loadSnapshot(f)));
    const d = diffProfiles(first, second);
    expect(checkIntegrity(d)).toEqual([]);
    const t = d.sampleTypeIndex('inuse_space');
    expect(d.total(t)).toBeCloseTo(second.total(second.sampleTypeIndex('inuse_space')) - first.total(first.sampleTypeIndex('inuse_space')), 6);
    const { profile: named } = await symbolize(d, { symbolPaths: [join(FIXTURES, 'bin', 'workload')], external: 'none' });
    const flat = flatOf(top([named]));
    expect(flat.leak_site).toBe(1048576); // 256 blocks of 4096 bytes per phase
    expect(flat.steady_site ?? 0).toBe(0);
    const negative = buildProfile([{ stack: ['x'], bytes: 5 }]);
    const emptyDiff = diffProfiles(negative, buildProfile([{ stack: ['x'], bytes: 2 }]));
    expect(top([emptyDiff]).rows).toEqual([{ name: 'x', flat: -3, cum: -3 }]);
  });
});
