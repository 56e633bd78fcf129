import { describe, expect, it } from 'vitest';
import { ParseError, checkIntegrity } from '@heapscope/parser';
import { parseText, valueOf } from './helpers/parse-text.js';

// Small dumps written by hand following jemalloc's grammar (docs/formats.md#jemalloc).
const THREADED = `heap_v2/1048576
  t*: 1330: 87058891 [0: 0]
  t0: 2: 512 [0: 0] main thread
  t1: 1328: 87058379 [0: 0] worker\twith tab
@ 0x55c282d19bbc 0x55c282d0b3c5 0x55c282ca6459
  t*: 1328: 87058379 [0: 0]
  t1: 1000: 65556000 [0: 0]
  t3: 328: 21502379 [0: 0]
@ 0x55c282d19bbc 0x7f0000001000
  t*: 2: 512 [0: 0]
  t0: 2: 512 [0: 0]

MAPPED_LIBRARIES:
55c281f92000-55c282113000 r--p 00000000 00:11 4891588                    /usr/local/bin/testbinary
55c282113000-55c283200000 r-xp 00181000 00:11 4891588                    /usr/local/bin/testbinary
7f0000000000-7f0000002000 r-xp 00000000 08:01 12                         /lib/with space/libx.so (deleted)
7fffffffe000-7ffffffff000 --xp 00000000 00:00 0                          [uprobes]
`;

describe('jemalloc importer', () => {
  it('unsamples each row exactly as jeprof (docs/formats.md#jemalloc-worked-example)', async () => {
    const p = await parseText(THREADED);
    expect(checkIntegrity(p)).toEqual([]);
    const stack0 = p.samples.stack[0];
    const first = (i: number) => p.samples.stack[i] === stack0;
    // 1328: 87058379 at R = 1048576: avg 65556.008, scale 1 / (1 − exp(−65556.008/1048576)) = 16.500326 (by hand)
    // -> 21912.433247 objects, 1,436,491,655.4458 bytes; `jeprof --text /bin/true` on this stack prints
    // "Total: 21912 objects" and "Total: 1436491655 B" (it truncates).
    expect(valueOf(p, 'inuse_objects', first)).toBeCloseTo(21912.433247027926, 6);
    expect(valueOf(p, 'inuse_space', first)).toBeCloseTo(1436491655.4457512, 4);
  });

  it('splits the t* row over threads in proportion to their raw counts, and names header threads', async () => {
    const p = await parseText(THREADED);
    expect(p.threads.map((t) => [t.key, t.name])).toEqual([
      ['t0', 'main thread'],
      ['t1', 'worker\twith tab'],
      ['t3', ''],
    ]);
    const stack0 = p.samples.stack[0];
    const t1 = p.threads.findIndex((t) => t.key === 't1');
    const t3 = p.threads.findIndex((t) => t.key === 't3');
    // t1's raw 65556000 bytes at the stack's scale, 16.500326 (by hand): 1,081,695,387.0 bytes. jeprof --thread=1
    // says 1081695519: it unsamples a thread's row with that row's own average; heapscope splits the stack's total
    // (docs/formats.md), so the threads add up to it.
    const onStack = (t: number) => (i: number) => p.samples.stack[i] === stack0 && p.samples.thread[i] === t;
    expect(valueOf(p, 'inuse_space', onStack(t1))).toBeCloseTo(1081695387.0046406, 4);
    expect(valueOf(p, 'inuse_space', onStack(t1)) + valueOf(p, 'inuse_space', onStack(t3))).toBeCloseTo(1436491655.4457512, 4);
  });

  it('leaves the alloc types out when every cumulative count is [0: 0]', async () => {
    const p = await parseText(THREADED);
    expect(p.sampleTypes.map((t) => t.type)).toEqual(['inuse_objects', 'inuse_space']);
  });

  it('reads maps, keeping paths with spaces, and attaches locations to them', async () => {
    const p = await parseText(THREADED);
    expect(p.mappings.map((m) => m.path)).toEqual([
      '/usr/local/bin/testbinary',
      '/usr/local/bin/testbinary',
      '/lib/with space/libx.so (deleted)',
      '[uprobes]',
    ]);
    const loc = p.stackLocations(p.samples.stack[0])[0];
    expect(p.locations.mapping[loc]).toBe(1);
    const lib = p.stackLocations(p.samples.stack[p.samples.length - 1])[1];
    expect(p.mappings[p.locations.mapping[lib]].fileOffset).toBe(0n);
  });

  it('keeps cumulative counts, zero-frame stacks, count-0 rows (unbias rounding) and macOS maps', async () => {
    const p = await parseText(`heap_v2/524288
  t*: 3: 300 [10: 1000]
@ 0x100898380 0x10088f6c4
  t*: 0: 37 [10: 1000]
@
  t*: 3: 300 [0: 0]
MAPPED_LIBRARIES:
0000000100000000-0000000101000000: /Users/x/a.out
`);
    expect(p.sampleTypes.map((t) => t.type)).toEqual(['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']);
    // count 0 with bytes > 0 is left unscaled, as jeprof does.
    expect(valueOf(p, 'inuse_space', (i) => p.samples.stack[i] !== 0)).toBe(37);
    // 10: 1000 at R = 524288: 10 / (1 − exp(−100/524288)) = 52433.800159 objects (by hand).
    expect(valueOf(p, 'alloc_objects')).toBeCloseTo(52433.80015895091, 6);
    // The bare "@" is the empty stack.
    expect(valueOf(p, 'inuse_objects', (i) => p.samples.stack[i] === 0)).toBeGreaterThan(3);
    expect(p.mappings).toHaveLength(1);
    expect(p.mappings[0].start).toBe(0x100000000n);
    expect(p.locations.mapping[p.stackLocations(p.samples.stack[0])[0]]).toBe(0);
  });

  it('keeps addresses above 2^53 exact', async () => {
    const p = await parseText(`heap_v2/1
  t*: 1: 16 [0: 0]
@ 0xffffffffad14d115 0xb400007a1b2c3d4e
  t*: 1: 16 [0: 0]
`);
    const [a, b] = p.stackLocations(p.samples.stack[0]);
    expect(p.address(a)).toBe(0xffffffffad14d115n);
    expect(p.address(b)).toBe(0xb400007a1b2c3d4en);
  });

  it('reports malformed lines with their line number', async () => {
    const bad = `heap_v2/1\n  t*: 1: 16 [0: 0]\n@ 0x10 0x20\n  t*: x: 16 [0: 0]\n`;
    await expect(parseText(bad)).rejects.toThrow(/test\.heap:4: expected "@ <addresses>"/);
    await expect(parseText(`heap_v2/1\n@ 0x10 zz\n  t*: 1: 1 [0: 0]\n`)).rejects.toThrow(/test\.heap:2: expected hexadecimal addresses/);
    await expect(parseText(`heap_v2/1\n@ 0x10\n  t*: 1: 99999999999999999 [0: 0]\n`)).rejects.toThrow(/test\.heap:3: count exceeds 2\^53/);
    await expect(parseText(`heap_v2/1\n@ 0x10\n  t1: 1: 1 [0: 0]\n@ 0x20\n  t*: 1: 1 [0: 0]\n`)).rejects.toThrow(/test\.heap:2: stack has no "t\*:" totals line/);
    const error = await parseText(bad).catch((e) => e);
    expect(error).toBeInstanceOf(ParseError);
    expect(error.line).toBe(4);
  });

  it('with lenient, counts malformed records as warnings and keeps the rest', async () => {
    const p = await parseText(`heap_v2/1\n@ 0x10\n  t*: 1: 16 [0: 0]\n  t*: x: 16 [0: 0]\ngarbage\n@ 0x20\n  t*: 2: 32 [0: 0]\n\nMAPPED_LIBRARIES:\n`, { lenient: true });
    expect(valueOf(p, 'inuse_space')).toBeGreaterThan(48);
    expect(p.meta.warnings).toHaveLength(1);
    expect(p.meta.warnings[0].count).toBe(2);
    expect(p.meta.warnings[0].locations.map((l) => l.line)).toEqual([4, 5]);
  });

  it('warns about a dump cut inside a stack record, at a line end or in a line', async () => {
    const noMaps =
      'the dump has no MAPPED_LIBRARIES section: it was cut short (truncated?), unless jemalloc could not read /proc/self/maps when it wrote it (macOS, jemalloc ≤ 5.3.0)';
    const atLineEnd = await parseText(`heap_v2/1\n@ 0x10\n  t*: 1: 16 [0: 0]\n@ 0x20 0x30\n`);
    expect(atLineEnd.meta.warnings.map((w) => w.message)).toEqual(['the dump ends inside a stack record (truncated dump?); its counts are missing', noMaps]);
    const inLine = await parseText(`heap_v2/1\n@ 0x10\n  t*: 1: 16 [0: 0]\n@ 0x20 0x30\n  t*: 1: 1`);
    expect(inLine.meta.warnings.map((w) => w.message)).toEqual([
      'the input ends in the middle of a line (truncated?); that line was dropped: "  t*: 1: 1"',
      'the dump ends inside a stack record (truncated dump?); its counts are missing',
      noMaps,
    ]);
    // Numbers of the whole records only.
    expect(valueOf(inLine, 'inuse_space')).toBeCloseTo(16, 4);
  });

  it('warns about a dump without its MAPPED_LIBRARIES section, cut between lines', async () => {
    const whole = await parseText(`heap_v2/1\n  t*: 1: 16 [0: 0]\n@ 0x10\n  t*: 1: 16 [0: 0]\n  t0: 1: 16 [0: 0]\n\nMAPPED_LIBRARIES:\n`);
    expect(whole.meta.warnings).toEqual([]);
    const cut = await parseText(`heap_v2/1\n  t*: 1: 16 [0: 0]\n@ 0x10\n  t*: 1: 16 [0: 0]\n`);
    expect(cut.meta.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^the dump has no MAPPED_LIBRARIES section: it was cut short \(truncated\?\)/)]);
  });
});
