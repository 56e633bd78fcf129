import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, formatWarning } from '@heapscope/parser';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { parseText, valueOf } from './helpers/parse-text.js';

// Headers of every variant (docs/formats.md#gperftools), rows written by hand following the grammar.
const row = '     2:     1000 [     5:     3000] @ 0x00400f00 0x00400a00\n';

describe('gperftools / legacy heap importer', () => {
  /**
   * The row's in-use pair (2 objects, 1000 bytes) and cumulative pair (5, 3000) after each header's unsampling,
   * computed by hand: Poisson at R scales a pair (n, s) by 1 / (1 − exp(−(s/n)/R)); jeprof's uniform v1 model at A
   * makes the bytes n × A (s / ((s/n)/A)). `google-pprof --text --show_bytes /bin/true` on the same two lines prints
   * these truncated (1049076, 2622940; 524788, 1312220; 1048576, 2621440; 1000, 3000) — except for Go's
   * heap/1048576, which it reads as uniform; heapscope, as google/pprof does, takes Go's rate as Poisson at N/2.
   */
  const variants: [string, string, string, number, number, number][] = [
    ['heapprofile', 'heapprofile', 'none', 0, 1000, 3000],
    ['heap_v2/524288', 'heap_v2', 'poisson', 524288, 1049076.0794728526, 2622940.286102395],
    ['heapz_v2/262144', 'heapz_v2', 'poisson', 262144, 524788.1589456947, 1312220.5722045419],
    ['heap/1048576', 'go heap', 'poisson', 524288, 1049076.0794728526, 2622940.286102395],
    ['heapz/1048576', 'heapz', 'uniform', 524288, 1048576, 2621440],
    ['growthz', 'growthz', 'none', 0, 1000, 3000],
    ['growth', 'growth', 'none', 0, 1000, 3000],
    ['fragmentationz', 'fragmentationz', 'none', 0, 1000, 3000],
  ];
  for (const [type, variant, model, period, inuse, alloc] of variants) {
    it(`reads "@ ${type}" headers (${model}${period ? `, R=${period}` : ''})`, async () => {
      const p = await parseText(`heap profile:      2:     1000 [     5:     3000] @ ${type}\n${row}`);
      expect(checkIntegrity(p)).toEqual([]);
      expect(p.meta.variant).toBe(variant);
      expect(p.meta.sampling).toEqual({ model, periodBytes: period });
      expect(valueOf(p, 'inuse_space')).toBeCloseTo(inuse, 6);
      expect(valueOf(p, 'alloc_space')).toBeCloseTo(alloc, 6);
    });
  }

  it('rejects a sampling period that is not a positive integer; Go\'s heap/0 (profiling off) is unsampled', async () => {
    for (const bad of ['heap_v2/abc', 'heap_v2/-5', 'heap_v2/0', 'heapz/1.5']) {
      await expect(parseText(`heap profile:      2:     1000 [     5:     3000] @ ${bad}\n${row}`), bad).rejects.toThrow(
        /test\.heap:1: the sampling period after "\w+\/" must be a positive integer, not "/,
      );
    }
    const go = await parseText(`heap profile: 2: 1000 [5: 3000] @ heap/0\n${row}`);
    expect(go.meta.sampling).toEqual({ model: 'none', periodBytes: 0 });
    expect(valueOf(go, 'inuse_space')).toBe(1000);
  });

  it('treats tcmalloc heapz (same pair twice) as having no cumulative counts', async () => {
    const p = await parseText(`heap profile:    2:     1000 [     2:     1000] @ heapz_v2/524288\n     2:     1000 [     2:     1000] @ 0x400f00\n`);
    expect(p.sampleTypes.map((t) => t.type)).toEqual(['inuse_objects', 'inuse_space']);
  });

  it('rejects an unknown profile type and a contention profile', async () => {
    await expect(parseText('heap profile: 1: 2 [3: 4] @ bogus/5\n')).rejects.toThrow(/test\.heap:1: unknown heap profile type "bogus"/);
    await expect(parseText('--- contentionz 1 ---\ncycles/second = 1\n')).rejects.toThrow(/contention profile, not a heap profile/);
  });

  it('keeps zero-frame rows, all-freed rows and negative in-use counts; drops (nil) frames with a warning', async () => {
    const p = await parseText(`heap profile: 0: 224 [3: 1320] @ heapprofile
1: 288 [2: 296] @
0: 0 [1: 1024] @ 0x420cef 0x422151
-1: -64 [0: 0] @ 0x420cef (nil)
`);
    expect(p.samples.length).toBe(3);
    expect(p.samples.stack[0]).toBe(0);
    expect(valueOf(p, 'inuse_space')).toBe(224);
    expect(p.meta.warnings.map((w) => w.message)).toEqual(['1 "(nil)" frames dropped (NULL return addresses)']);
  });

  it('names frames from Go # comment lines, inlined frames first', async () => {
    const p = await parseText(`heap profile: 1: 64 [1: 64] @ heap/1048576
1: 64 [1: 64] @ 0x4a2f00 0x401000
#	0x4a2eff	bytes.growSlice+0x6f	/usr/lib/go/src/bytes/buffer.go:229
#	0x4a2eff	bytes.(*Buffer).grow+0x1f	/usr/lib/go/src/bytes/buffer.go:140

# runtime.MemStats
# Alloc = 1234
`);
    const loc = p.stackLocations(p.samples.stack[0])[0];
    const { lineStart, lineFunction, lineNumber } = p.locations;
    const lines = [];
    for (let k = lineStart[loc]; k < lineStart[loc + 1]; k++) {
      lines.push(`${p.strings[p.functions.name[lineFunction[k]]]}:${lineNumber[k]}`);
    }
    expect(lines).toEqual(['bytes.growSlice:229', 'bytes.(*Buffer).grow:140']);
  });

  it('expands $variables in cooked memory maps', async () => {
    const p = await parseText(`heap profile: 1: 64 [1: 64] @ heapz_v2/524288
1: 64 [1: 64] @ 0x400f00
--- Memory map: ---
\tsource=/home
  00400000-00fcb000: $source/server_main
`);
    expect(p.mappings.map((m) => m.path)).toEqual(['/home/server_main']);
  });

  it('reports a malformed row with its line', async () => {
    await expect(parseText(`heap profile: 1: 64 [1: 64] @ heapprofile\n1: 64 [1: 64] @ 0x400f00\n1: sixty [1: 64] @ 0x1\n`)).rejects.toThrow(
      /test\.heap:3: expected "<count>: <bytes> \[<count>: <bytes>\] @ <addresses>"/,
    );
  });

  it('a dump written with HEAP_PROFILE_MMAP=true (rows beyond the header): google-pprof\'s total, and a warning that says why', async () => {
    // fixtures/gperftools-mmap: the rows count mmap, mremap and sbrk regions, the header malloc alone.
    const dump = fixtureFile('gperftools-mmap', /0001\.heap$/);
    const p = await parseText(readFileSync(dump, 'utf8'));
    expect(checkIntegrity(p)).toEqual([]);
    const golden = readFileSync(join(dirname(dump), 'golden', 'workload.0001.heap.inuse_space.google-pprof.txt'), 'utf8');
    const total = Number(/^Total: (\d+) B$/m.exec(golden)![1]);
    expect(valueOf(p, 'inuse_space')).toBe(total);
    const header = /^heap profile:\s*\d+:\s*(\d+)/.exec(readFileSync(dump, 'utf8'))!;
    expect(total).toBeGreaterThan(Number(header[1]));
    expect(p.meta.warnings.map(formatWarning)).toEqual([
      expect.stringMatching(/^the header says .*; the rows add up to .*: the dump was written with HEAP_PROFILE_MMAP=true \(its rows count mmap, mremap and sbrk regions/),
    ]);
  });
});
