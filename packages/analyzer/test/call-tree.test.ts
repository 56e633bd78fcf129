/**
 * The call tree (call-tree.ts) every stack-shaped output is drawn from: its
 * nodes shared through the profile's prefix tree agree with a frame-by-frame
 * walk through SiteIndex, on hand-built stacks and on every real snapshot
 * input; and whole numbers that keep the total (whole-numbers.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Symbolizer, loadSnapshot } from '@heapscope/parser';
import { FrameTreeBuilder, roundPreservingTotal } from '@heapscope/analyzer';
import { buildProfile } from '@heapscope/testkit/build-profile';
import { FIXTURES } from '@heapscope/testkit/paths';
import { snapshotInputs } from '@heapscope/testkit/inputs';

const WORKLOAD = join(FIXTURES, 'bin', 'workload');

describe('frame tree', () => {
  it('shares nodes through the prefix tree exactly as a frame-by-frame walk does', () => {
    const p = buildProfile([
      { stack: ['malloc', 'a', 'main'], bytes: 10 },
      { stack: ['malloc', 'b', 'a', 'main'], bytes: 20 },
      { stack: ['calloc', 'x|b', 'a', 'main'], bytes: 5 }, // x inlined into b
      { stack: ['b', 'a', 'main'], bytes: 7 },
      { stack: ['malloc'], bytes: 1 },
    ]);
    const paths = (slow = false) => {
      const builder = new FrameTreeBuilder(1, {}, slow);
      builder.add(p, [{ typeIndex: 1, channel: 0 }]);
      const tree = builder.finish();
      const out: string[] = [];
      for (let n = 1; n < tree.length; n++) {
        if (tree.self[0][n] === 0) continue;
        const names: string[] = [];
        for (let k = n; k > 0; k = tree.parent[k]) names.unshift(tree.names[tree.name[k]]);
        out.push(`${names.join(';')} ${tree.self[0][n]}`);
      }
      return out.sort();
    };
    expect(paths()).toEqual(paths(true));
    expect(paths()).toEqual(['(no stack) 1', 'main;a 10', 'main;a;b 27', 'main;a;b;x 5']);
  });

  it('finds the same call-site paths as SiteIndex on every snapshot input, symbolized', async () => {
    const symbolizer = new Symbolizer({ cacheDir: null });
    for (const path of snapshotInputs()) {
      const { profile } = await symbolizer.symbolize(await loadSnapshot(path), { symbolPaths: [WORKLOAD] });
      for (const filters of [{}, { keepAllocatorFrames: true }]) {
        const collapsed = (slow: boolean) => {
          const builder = new FrameTreeBuilder(profile.sampleTypes.length, filters, slow);
          builder.add(profile, profile.sampleTypes.map((_, i) => ({ typeIndex: i, channel: i })));
          const tree = builder.finish();
          const out: string[] = [];
          for (let n = 1; n < tree.length; n++) {
            if (tree.self.every((c) => c[n] === 0)) continue;
            const names: string[] = [];
            for (let k = n; k > 0; k = tree.parent[k]) names.unshift(tree.names[tree.name[k]]);
            out.push(`${names.join(';')} ${tree.self.map((c) => c[n]).join(' ')}`);
          }
          return out.sort();
        };
        expect(collapsed(false), `${path} ${JSON.stringify(filters)}`).toEqual(collapsed(true));
      }
    }
  });

  it('rounds values keeping the total', () => {
    expect(Array.from(roundPreservingTotal([0.4, 0.4, 0.4, 1.5]))).toEqual([1, 0, 0, 2]); // 2.7 → 3; ties go to the first
    expect(Array.from(roundPreservingTotal([2, -1.5, 0.25]))).toEqual([2, -1, 0]);
  });
});
