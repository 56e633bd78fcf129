import { describe, expect, it } from 'vitest';
import { top, SiteIndex, isAllocatorFunction } from '@heapscope/analyzer';
import { buildProfile } from '@heapscope/testkit/build-profile';

const rows = (r: ReturnType<typeof top>) => r.rows.map((row) => [row.name, row.flat, row.cum]);

describe('call sites', () => {
  it('drops allocator frames up to the outermost entry point, as jeprof does', () => {
    const p = buildProfile([
      { stack: ['je_prof_backtrace', 'imalloc', 'malloc', 'leak_site', 'main'], bytes: 100 },
      { stack: ['tcmalloc::SampleAllocation', 'operator new(unsigned long)', 'ctor', 'main'], bytes: 10 },
      { stack: ['malloc@GLIBC_2.2.5', 'churn', 'main'], bytes: 1 },
    ]);
    expect(rows(top([p]))).toEqual([
      ['leak_site', 100, 100],
      ['ctor', 10, 10],
      ['churn', 1, 1],
      ['main', 0, 111],
    ]);
    expect(isAllocatorFunction('operator new[](unsigned long)')).toBe(true);
    expect(isAllocatorFunction('_malloc_zone_malloc')).toBe(true);
    expect(isAllocatorFunction('leak_malloc_wrapper')).toBe(false);
  });

  it('without symbols, drops the leaf frames in the allocator library', () => {
    const p = buildProfile(
      [{ stack: ['@libjemalloc.so.2', '@libjemalloc.so.2', '@app', '@app'], bytes: 8 }],
      { modules: ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/srv/app'] },
    );
    const r = top([p], { by: 'module' });
    expect(rows(r)).toEqual([['app', 8, 8]]);
    const kept = top([p], { by: 'module', keepAllocatorFrames: true });
    expect(rows(kept)[0]).toEqual(['libjemalloc.so.2', 8, 8]);
  });

  it('counts recursion once in cum and expands inlined frames innermost first', () => {
    const p = buildProfile([{ stack: ['inl|outer', 'rec', 'rec', 'main'], bytes: 5 }]);
    expect(rows(top([p]))).toEqual([
      ['inl', 5, 5],
      ['main', 0, 5],
      ['outer', 0, 5],
      ['rec', 0, 5],
    ]);
    const sites = new SiteIndex(p);
    expect(sites.siteFrames(p.samples.stack[0]).map((f) => [f.name, f.inlined])).toEqual([
      ['inl', true],
      ['outer', false],
      ['rec', false],
      ['rec', false],
      ['main', false],
    ]);
  });

  it('focus keeps, ignore drops, hide removes frames; thread filters and groups', () => {
    const p = buildProfile([
      { stack: ['a', 'mid', 'main'], bytes: 1, thread: '1' },
      { stack: ['b', 'main'], bytes: 2, thread: '2' },
      { stack: ['c', 'other'], bytes: 4 },
    ]);
    expect(top([p], { focus: /mid|other/ }).shown).toBe(5);
    expect(top([p], { ignore: /main/ }).shown).toBe(4);
    expect(rows(top([p], { hide: /^(a|b)$/ })).slice(0, 3)).toEqual([
      ['c', 4, 4],
      ['main', 2, 3],
      ['mid', 1, 1],
    ]);
    expect(rows(top([p], { by: 'thread' }))).toEqual([
      ['(no thread)', 4, 4],
      ['2-name (2)', 2, 2],
      ['1-name (1)', 1, 1],
    ]);
    expect(top([p], { thread: /^2/ }).shown).toBe(2);
    expect(rows(top([p], { by: 'stack' }))[0]).toEqual(['c < other', 4, 4]);
  });

  it('empty stacks get their own row, so flat adds up to the total', () => {
    const p = buildProfile([{ stack: [], bytes: 3 }, { stack: ['malloc'], bytes: 4 }, { stack: ['x'], bytes: 5 }]);
    const r = top([p]);
    expect(rows(r)).toEqual([
      ['(no stack)', 7, 7],
      ['x', 5, 5],
    ]);
    expect(r.rows.reduce((s, row) => s + row.flat, 0)).toBe(r.total);
  });
});
