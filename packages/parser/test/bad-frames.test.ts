/**
 * Heap dumps' frames outside every executable mapping (bad-frames.ts):
 * stacks cut at the first such frame from the leaf, counted, kept on
 * request. No real dump with such frames could be made here (gperftools'
 * frame-pointer unwinders refuse a libtcmalloc built without frame pointers,
 * libunwind and libgcc stop at code without unwind tables, jemalloc uses
 * libgcc), so the importers are fed small dumps written in their grammar;
 * the real broken unwinding is perf's, in perf-stacks.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { INUSE_SPACE, ProfileBuilder, checkIntegrity, formatWarning, type HeapProfile, type Mapping } from '@heapscope/parser';
import { cutFramesOutsideCode } from '../src/importers/bad-frames.js';
import { ParseContext, parseText } from './helpers/parse-text.js';

const CODE: Mapping = { start: 0x1000n, limit: 0x2000n, fileOffset: 0n, path: '/opt/app', buildId: '', perms: 'r-xp' };
const HEAP: Mapping = { start: 0x5000n, limit: 0x6000n, fileOffset: 0n, path: '[heap]', buildId: '', perms: 'rw-p' };

function profileOf(mappings: Mapping[], stacks: number[][]): HeapProfile {
  const b = new ProfileBuilder({
    sampleTypes: [INUSE_SPACE],
    meta: { format: 'test', variant: '', file: 't.heap', sampling: { model: 'none', periodBytes: 0 }, sizeKind: 'exact', returnAddresses: true, warnings: [] },
  });
  for (const m of mappings) b.addMapping(m);
  stacks.forEach((stack, i) => b.addSample(b.internStack(stack.map((a) => b.locationForHex(a.toString(16)))), -1, [100 + i]));
  return b.finish();
}

/** Each sample's stack as addresses, leaf first, with its value. */
function rows(p: HeapProfile): [number[], number][] {
  return Array.from({ length: p.samples.length }, (_, i) => [p.stackLocations(p.samples.stack[i]).map((l) => Number(p.address(l))), p.samples.values[0][i]]);
}

describe('frames outside every executable mapping in heap dumps', () => {
  const stacks = [
    [0x1010, 0x1020], // all in code
    [0x1010, 0x5008, 0x1030], // a heap address: cut there, the code address above it too
    [0x0, 0x1010], // the leaf itself: nothing is left
    [0x1010, 0x1020, 0x9999], // in no mapping
  ];

  it('are cut with every frame above them, counted, and the values stay', () => {
    const ctx = new ParseContext('t.heap', 'test');
    const p = cutFramesOutsideCode(profileOf([CODE, HEAP], stacks), ctx);
    expect(checkIntegrity(p)).toEqual([]);
    expect(rows(p)).toEqual([
      [[0x1010, 0x1020], 100],
      [[0x1010], 101],
      [[], 102],
      [[0x1010, 0x1020], 103],
    ]);
    expect(p.meta.warnings.map(formatWarning)).toEqual([expect.stringMatching(/^5 stack frames outside every executable mapping .* were cut from 3 stacks/)]);
    // Equal cut stacks are one stack.
    expect(p.samples.stack[0]).toBe(p.samples.stack[3]);
  });

  it('are kept with keepBadFrames, and left alone when the dump has no maps or gives no permissions', () => {
    const original = profileOf([CODE, HEAP], stacks);
    expect(cutFramesOutsideCode(original, new ParseContext('t.heap', 'test', { keepBadFrames: true }))).toBe(original);
    const noMaps = profileOf([], stacks);
    expect(cutFramesOutsideCode(noMaps, new ParseContext('t.heap', 'test'))).toBe(noMaps);
    // Cooked maps (`start-end: path`) list code only, without permissions.
    const cooked = profileOf([{ ...HEAP, perms: '' }, { ...CODE, perms: '' }], stacks);
    expect(rows(cutFramesOutsideCode(cooked, new ParseContext('t.heap', 'test')))[2]).toEqual([[], 102]);
    expect(rows(cutFramesOutsideCode(cooked, new ParseContext('t.heap', 'test')))[1]).toEqual([[0x1010, 0x5008, 0x1030], 101]);
  });

  const MAPS = [
    '',
    'MAPPED_LIBRARIES:',
    '555555554000-555555556000 r--p 00000000 00:00 1  /opt/app',
    '555555556000-55555555a000 r-xp 00002000 00:00 1  /opt/app',
    '55555555d000-555555e5e000 rw-p 00000000 00:00 0  [heap]',
    '7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0  [stack]',
    '',
  ].join('\n');

  it('are cut by the gperftools and jemalloc importers, from their maps', async () => {
    const gperftools = await parseText(
      ['heap profile:      2:      200 [     2:      200] @ heapprofile', '     1:      100 [     1:      100] @ 0x555555556010 0x7ffdfd865b60 0xd 0x555555556020', '     1:      100 [     1:      100] @ 0x555555556010 0x555555556030', MAPS].join('\n'),
    );
    const jemalloc = await parseText(
      ['heap_v2/1', '  t*: 2: 200 [0: 0]', '@ 0x555555556010 0x7ffdfd865b60 0xd 0x555555556020', '  t*: 1: 100 [0: 0]', '@ 0x555555556010 0x555555556030', '  t*: 1: 100 [0: 0]', MAPS].join('\n'),
    );
    for (const p of [gperftools, jemalloc]) {
      expect(checkIntegrity(p)).toEqual([]);
      const stacks = rows(p).map(([s]) => s.map((a) => a.toString(16)));
      expect(stacks).toEqual([['555555556010'], ['555555556010', '555555556030']]);
      expect(p.meta.warnings.map(formatWarning).join('\n')).toMatch(/3 stack frames outside every executable mapping .* were cut from 1 stack, with every frame above them/);
    }
  });
});
