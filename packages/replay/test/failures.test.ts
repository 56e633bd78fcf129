/**
 * What can go wrong, and what the replay says: a malformed trace is
 * rejected (FILE:LINE) before any allocator runs and leaves no op stream
 * behind; inputs that are not replayable traces are refused; an allocator
 * whose library is missing, does not load or does not replace malloc, or
 * that crashes the replayer, gets a row with its error while the others
 * still run; option errors are ReplayOptionErrors.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParseError } from '@heapscope/parser';
import { ReplayOptionError, ReplayerMissingError, replayTrace, resolveAllocators, type ReplayPhase } from '@heapscope/replay';
import { REPO, buildPreload, buildReplayer, tempDir, writeTrace } from './helpers.js';

const scratch = tempDir();
let small: string;

beforeAll(() => {
  buildReplayer();
  small = writeTrace(scratch.dir, 'small.txt', '5: malloc 0x1000 100\n6: malloc 0x2000 200\n5: free 0x2000\n');
});
afterAll(scratch.remove);

describe('traces the replay refuses', () => {
  it('a malformed trace: a ParseError at its line, before any allocator runs, and no op stream left', async () => {
    const bad = writeTrace(scratch.dir, 'bad.txt', '1: malloc 0x1000 100\n2: mallok 0x2000 3\n');
    const tmp = tempDir();
    const phases: ReplayPhase[] = [];
    const error = await replayTrace(bad, { tmpDir: tmp.dir, onPhase: (e) => phases.push(e) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).message).toBe(`${bad}:2: unknown operation "mallok" (expected malloc, calloc, memalign, realloc, free or thread_done): "2: mallok 0x2000 3"`);
    expect(phases.map((p) => p.phase)).toEqual(['encode']);
    expect(readdirSync(tmp.dir)).toEqual([]);
    tmp.remove();
  });

  it('a heap snapshot, not a trace', async () => {
    const heap = join(REPO, 'fixtures', 'gperftools', 'workload.0006.heap');
    await expect(replayTrace(heap)).rejects.toThrow(`${heap}:1: this is a heap snapshot (gperftools), not an allocation trace`);
  });

  it('perf records without pointers (entry probes only)', async () => {
    const sizes = join(REPO, 'fixtures', 'perf', 'workload.sizes.perf.txt.gz');
    await expect(replayTrace(sizes)).rejects.toThrow(`${sizes}:1: the trace records no pointers (perf entry probes without return probes): its allocations cannot be replayed`);
  });
});

describe('allocators that cannot run', () => {
  it('a missing library, one that is no shared object, and one that does not replace malloc: errors naming them; the others run', async () => {
    const notElf = writeTrace(scratch.dir, 'not-elf.so', 'this is not a shared object\n');
    const [zlib] = resolveAllocators([{ name: 'zlib', library: 'libz.so.1', env: {} }]);
    expect(zlib.error).toBeNull();
    const report = await replayTrace(small, {
      allocators: 'glibc,ghost,broken,zlib,jemalloc',
      preload: ['ghost=/nonexistent/libghost.so', `broken=${notElf}`, `zlib=${zlib.path}`],
    });
    const byName = Object.fromEntries(report.rows.map((r) => [r.allocator, r]));
    expect(byName.ghost).toMatchObject({ error: 'ghost: /nonexistent/libghost.so not found; looked in /nonexistent/libghost.so', peakRss: null, runs: 0 });
    expect(byName.broken.error).toMatch(new RegExp(`^broken: preloading ${notElf} did not replace malloc \\(it comes from .*libc\\.so\\.6\\): .*ld\\.so: object '${notElf}' from LD_PRELOAD cannot be preloaded`));
    expect(byName.zlib.error).toMatch(/^zlib: preloading .*libz\.so\.1 did not replace malloc \(it comes from .*libc\.so\.6\)$/);
    for (const ok of [byName.glibc, byName.jemalloc]) expect(ok).toMatchObject({ error: null, runs: 1, ops: 3 });
    expect(report.series.map((s) => s.allocator)).toEqual(['glibc', 'jemalloc']);
    expect(report.trace.peakLiveBytes).toBe(300);
  });

  it('an allocator that crashes the replayer: reported with its signal, the others still run', async () => {
    const crasher = buildPreload('abort-after', scratch.dir);
    const lines = Array.from({ length: 5000 }, (_, i) => `9: malloc 0x${(0x10000 + i * 16).toString(16)} 32\n`).join('');
    const many = writeTrace(scratch.dir, 'many.txt', lines);
    const report = await replayTrace(many, {
      allocators: 'glibc,crasher,mimalloc',
      preload: [`crasher=${crasher}`],
      env: ['crasher:ABORT_AFTER_MALLOCS=2000'],
      sampleEvery: 1000,
    });
    const [glibc, crashed, mimalloc] = report.rows;
    expect(crashed).toMatchObject({ allocator: 'crasher', signal: 'SIGABRT', seconds: null });
    // malloc number 2001 aborts: the last sample before it is at 2,000 operations (1,000 if libc itself called malloc).
    expect(crashed.error).toMatch(/^crasher: the replayer was killed by SIGABRT after at least [12],000 of 5,000 operations$/);
    expect(glibc).toMatchObject({ error: null, ops: 5000 });
    expect(mimalloc).toMatchObject({ error: null, ops: 5000 });
    expect(report.trace.finalLiveBytes).toBe(5000 * 32);
  });
});

describe('options', () => {
  it('runs round-robin and reports medians', async () => {
    const phases: ReplayPhase[] = [];
    const report = await replayTrace(small, { allocators: 'glibc,tcmalloc', runs: 3, onPhase: (e) => phases.push(e) });
    const runs = phases.filter((p) => p.phase === 'run').map((p) => (p.phase === 'run' ? `${p.allocator}${p.run}` : ''));
    expect(runs).toEqual(['glibc1', 'tcmalloc1', 'glibc2', 'tcmalloc2', 'glibc3', 'tcmalloc3']);
    expect(report.rows.map((r) => r.runs)).toEqual([3, 3]);
    expect(report.trace.runs).toBe(3);
  });

  it('bad counts, unknown allocators and a missing replayer are errors of their own kind', async () => {
    await expect(replayTrace(small, { runs: 0 })).rejects.toThrow(ReplayOptionError);
    await expect(replayTrace(small, { allocators: 'hoard' })).rejects.toThrow('unknown allocator "hoard" (known: glibc, jemalloc, tcmalloc, mimalloc; others need --preload hoard=LIBRARY)');
    const saved = process.env.HEAPSCOPE_REPLAYER;
    process.env.HEAPSCOPE_REPLAYER = join(scratch.dir, 'no-replayer');
    try {
      await expect(replayTrace(small)).rejects.toThrow(ReplayerMissingError);
    } finally {
      if (saved === undefined) delete process.env.HEAPSCOPE_REPLAYER;
      else process.env.HEAPSCOPE_REPLAYER = saved;
    }
  });
});
