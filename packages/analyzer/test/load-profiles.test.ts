/**
 * The loading pipeline's one entry point, `loadProfiles` / `loadProfile`:
 * open → detect → parse or accumulate → symbolize → short names, on real
 * fixtures of each shape (a snapshot, a trace, allocator statistics).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile, loadProfiles, newSymbolizer, readInput, top } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const JEMALLOC = fixtureFile('jemalloc/all', /\.f\.heap$/);
const PERF = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
const CXX_JEMALLOC = fixtureFile('cxx/jemalloc', /\.heap$/);
const CXX_BIN = join(FIXTURES, 'cxx', 'bin');
const STATS = join(FIXTURES, 'stats', 'glibc', 'leak', 'malloc-info.xml');
const noCache = { symbolCache: false } as const;

describe('loadProfiles', () => {
  it('without symbolize: what readInput reads, addresses left as module+offset', async () => {
    const [loaded] = await loadProfiles([JEMALLOC]);
    const read = await readInput(JEMALLOC);
    expect(loaded.profile.samples.values).toEqual(read.profile.samples.values);
    expect(loaded.symbolization).toBeUndefined();
    expect(top([loaded.profile]).rows[0].name).toMatch(/^workload\+0x[0-9a-f]+$/);
  });

  it('with symbolize: the sites by name, the symbolizer report beside the profile, a trace symbolized with its peak', async () => {
    const [dump, trace] = await loadProfiles([JEMALLOC, PERF], { symbolize: true, symbols: [WORKLOAD], ...noCache });
    expect(top([dump.profile]).rows[0].name).toBe('leak_site');
    expect(dump.symbolization?.binaries.some((b) => b.status === 'symbolized')).toBe(true);
    expect(trace.trace).toBeDefined();
    expect(top([trace.trace!.peakProfile]).rows[0].name).toBe('odd_size_site');
  });

  it('a binary that cannot be found becomes a warning on the profile, once per binary', async () => {
    const loaded = await loadProfile(JEMALLOC, { symbolize: true, symbols: ['/nonexistent/heapscope-symbols'], ...noCache, symbolizer: newSymbolizer(noCache) });
    const messages = loaded.profile.meta.warnings.map((w) => w.message);
    expect(messages).toContain('--symbols /nonexistent/heapscope-symbols: no such file or directory');
  });

  it('shortNames: C++ names without their argument lists, after symbolization', async () => {
    const [short] = await loadProfiles([CXX_JEMALLOC], { symbolize: true, symbols: [CXX_BIN], shortNames: true, ...noCache });
    const [full] = await loadProfiles([CXX_JEMALLOC], { symbolize: true, symbols: [CXX_BIN], ...noCache });
    const names = (p: typeof short) => top([p.profile]).rows.map((r) => r.name);
    expect(names(full)).toContain('std::__new_allocator<hs::Large>::allocate(unsigned long, void const*)');
    expect(names(short)).toContain('std::__new_allocator<hs::Large>::allocate');
    expect(names(short)).not.toContain('std::__new_allocator<hs::Large>::allocate(unsigned long, void const*)');
  });

  it('allocator statistics pass through, unsymbolized; onRead sees each input before the next is read, and can stop the run', async () => {
    const [stats] = await loadProfiles([STATS], { symbolize: true, ...noCache });
    expect(stats.stats?.allocator).toBe('glibc');
    const seen: string[] = [];
    await expect(
      loadProfiles([STATS, '/nonexistent/input.heap'], {
        onRead: (input, path) => {
          seen.push(path);
          if (input.stats) throw new Error('statistics refused');
        },
      }),
    ).rejects.toThrow('statistics refused');
    expect(seen).toEqual([STATS]);
  });
});
