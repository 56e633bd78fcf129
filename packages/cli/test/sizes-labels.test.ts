/**
 * `sizes` says what its sizes are (issue 17): a dump's sizes are per-stack
 * averages, and the headline and the size column say so; pow2 and class
 * buckets are listed in size order with bars; `--classes` defaults to the
 * input's allocator.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sizeClassRules, type AllocatorName } from '@heapscope/analyzer';
import { CORPUS, FIXTURES, HAVE_CORPUS } from '@heapscope/testkit/paths';
import { runCli } from './run-cli.js';

const JEMALLOC = join(FIXTURES, 'jemalloc/all/jeprof.24747.5.f.heap');
const GPERFTOOLS = join(FIXTURES, 'gperftools/workload.0005.heap');
const PERF = join(FIXTURES, 'perf/workload.sizes.perf.txt.gz');

interface SizesJson {
  sizeKind: string;
  classes: string | null;
  rows: { size: number; count: number; bytes: number }[];
}

const json = async (args: string[]) => JSON.parse((await runCli(['sizes', '--no-symbolize', '--format', 'json', ...args])).stdout) as SizesJson;
const text = async (args: string[]) => (await runCli(['sizes', '--no-symbolize', '--quiet', ...args])).stdout;

/** A bucket row's count: from the right, the bar, bytes%, the bytes (number and unit), count%, then the count. */
const countOf = (line: string) => Number(line.trim().split(/\s+/).at(-6)!.replace(/,/g, ''));

/** The table's lines (after the headline, the kind line, a blank line and the header). */
const tableLines = (out: string) => out.split('\n\n')[1].split('\n').slice(1).filter(Boolean);

describe('sizes: averages are said to be averages', () => {
  it('dumps: the headline and the column say "per-stack averages", never "the most frequent size"', async () => {
    for (const dump of [JEMALLOC, GPERFTOOLS]) {
      const report = await json([dump]);
      expect(report.sizeKind).toMatch(/^average-/);
      const out = await text([dump]);
      expect(out.split('\n')[0]).toMatch(/ is the most frequent size of per-stack averages: /);
      expect(out).not.toMatch(/is the most frequent size:/);
      expect(out.split('\n\n')[1].split('\n')[0].trim()).toMatch(/^avg size\s+count/);
    }
  });

  it('traces: exact sizes, said plainly', async () => {
    expect((await json([PERF])).sizeKind).toBe('exact');
    const out = await text([PERF]);
    expect(out.split('\n')[0]).toMatch(/^[\d,]+ B is the most frequent size: /);
    expect(out.split('\n\n')[1].split('\n')[0].trim()).toMatch(/^size\s+count/);
  });
});

describe('sizes: buckets in size order, with bars', () => {
  for (const buckets of ['pow2', 'class']) {
    it(`--buckets ${buckets}: text rows ascend by size, the longest bar is the most frequent bucket; JSON stays most frequent first`, async () => {
      for (const input of [GPERFTOOLS, PERF]) {
        const report = await json(['--buckets', buckets, input]);
        const counts = report.rows.map((r) => r.count);
        expect(counts, 'JSON: most frequent first').toEqual([...counts].sort((a, b) => b - a));
        const lines = tableLines(await text(['--buckets', buckets, input]));
        expect(lines).toHaveLength(report.rows.length);
        // The count column, in the order shown, is the JSON's rows ordered by size.
        const shownCounts = lines.map(countOf);
        expect(shownCounts).toEqual([...report.rows].sort((a, b) => a.size - b.size).map((r) => r.count));
        const bars = lines.map((l) => /[█▏▎▍▌▋▊▉]+$/.exec(l)?.[0] ?? '');
        expect(bars.every((b) => b.length > 0)).toBe(true);
        const longest = bars.reduce((best, b, i) => (b.length > bars[best].length ? i : best), 0);
        expect(shownCounts[longest]).toBe(Math.max(...counts));
      }
    });
  }

  it('-n keeps the most frequent buckets, shown in size order', async () => {
    const all = await json(['--buckets', 'pow2', GPERFTOOLS]);
    const lines = tableLines(await text(['--buckets', 'pow2', '-n', '3', GPERFTOOLS]));
    const kept = all.rows.slice(0, 3).sort((a, b) => a.size - b.size);
    expect(lines.map(countOf)).toEqual(kept.map((r) => r.count));
  });
});

describe('sizes --buckets class: the input\'s allocator by default', () => {
  const cases: [string, string, AllocatorName][] = [
    ['jemalloc dump', JEMALLOC, 'jemalloc'],
    ['gperftools dump', GPERFTOOLS, 'tcmalloc'],
    ['perf malloc probes (glibc)', PERF, 'glibc'],
    ...(HAVE_CORPUS ? [['Android record_allocs', join(CORPUS, 'android-record-allocs/systemui.zip'), 'bionic-jemalloc'] as [string, string, AllocatorName]] : []),
  ];
  for (const [what, input, allocator] of cases) {
    it(`${what}: ${allocator}`, async () => {
      const report = await json(['--buckets', 'class', input]);
      expect(report.classes).toBe(allocator);
      expect((await text(['--buckets', 'class', input])).split('\n')[0]).toContain(`the most frequent ${allocator} size class`);
    });
  }

  it('the class buckets are the exact sizes rounded by that allocator\'s table', async () => {
    for (const allocator of ['glibc', 'scudo', 'bionic-jemalloc'] as const) {
      const exact = await json(['-n', '100000', PERF]);
      const rules = sizeClassRules(allocator);
      const expected = new Map<number, number>();
      for (const row of exact.rows) expected.set(rules.blockBytes(row.size), (expected.get(rules.blockBytes(row.size)) ?? 0) + row.count);
      const classes = await json(['--buckets', 'class', '--classes', allocator, PERF]);
      expect(new Map(classes.rows.map((r) => [r.size, r.count])), allocator).toEqual(expected);
    }
  });
});
