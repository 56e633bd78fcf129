/**
 * diagnose's decision table, row by row: the rules docs/diagnose.md lists
 * are the rules the code applies, in the same order, and each row is hit by
 * a made-up run that shows what the row says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AllocatorStats } from '@heapscope/parser';
import { DiagnoseError, VERDICT_RULES, decideVerdict, diagnose, type DiagnoseInputs, type VerdictFacts, type VerdictRuleId } from '@heapscope/analyzer';
import { alignRun } from '../src/diagnose/align.js';
import { flatThreshold, trendsOf } from '../src/diagnose/trends.js';
import { verdictFacts } from '../src/diagnose/verdict.js';
import { REPO } from '@heapscope/testkit/paths';
import { MiB, series } from './made-up-stats.js';

const DOC = join(REPO, 'docs', 'diagnose.md');

/** The rows of the decision table in docs/diagnose.md: rule id and verdict, in order. */
function documentedRules(): { id: string; verdict: string }[] {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('| # | rule | when | verdict |');
  expect(start).toBeGreaterThan(0);
  const rows: { id: string; verdict: string }[] = [];
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').map((c) => c.trim());
    // | # | `id` | when | `verdict` or error (exit 1) |
    const verdict = cells[4].startsWith('error') ? 'cannot tell' : cells[4].replace(/`/g, '');
    rows.push({ id: cells[2].replace(/`/g, ''), verdict });
  }
  return rows;
}

/** The rule diagnose applies to these inputs. */
function ruleOf(inputs: DiagnoseInputs): VerdictRuleId {
  const run = alignRun(inputs);
  const trends = trendsOf(run.series);
  return decideVerdict(verdictFacts(run.series, trends, flatThreshold(trends, {}))).id;
}

const je = (points: { a?: number; r?: number; dirty?: number }[]): AllocatorStats =>
  series(
    'jemalloc',
    points.map((p) => ({
      ...(p.a !== undefined ? { allocatedBytes: p.a * MiB } : {}),
      ...(p.r !== undefined ? { residentBytes: p.r * MiB } : {}),
      dirtyBytes: (p.dirty ?? 0) * MiB,
      muzzyBytes: 0,
    })),
  );
const proc = (rss: number[]): AllocatorStats => series('proc', rss.map((m) => ({ rssBytes: m * MiB })), 'proc', 'proc.txt');

/** One made-up run per row of the table, and the summary it gets. */
const CASES: { rule: VerdictRuleId; what: string; stats: AllocatorStats[]; summary: RegExp }[] = [
  {
    rule: 'allocated-rises',
    what: 'allocated climbs 2 MiB a point, along a line',
    stats: [je([10, 12, 14, 16, 18].map((a) => ({ a, r: a + 2 })))],
    summary: /^leak: allocated grew 8\.00 MiB \(2\.00 MiB per point, r²=1\.00\)$/,
  },
  {
    rule: 'cannot-tell',
    what: 'RSS climbs, nothing says what the program holds',
    stats: [proc([10, 20, 30, 40])],
    summary: /^RSS grew 30\.0 MiB over 4 points, but these inputs do not say how much the program itself holds/,
  },
  {
    rule: 'waste-rises-unpurged',
    what: 'resident climbs, allocated does not, dirty pages are the climb',
    stats: [je([0, 1, 2, 3, 4].map((i) => ({ a: 10, r: 12 + 4 * i, dirty: 4 * i })))],
    summary: /^retained: resident grew 16\.0 MiB while allocated grew 0 B$/,
  },
  {
    rule: 'waste-rises',
    what: 'resident climbs, allocated does not, no free pages to explain it',
    stats: [je([0, 1, 2, 3, 4].map((i) => ({ a: 10, r: 12 + 4 * i })))],
    summary: /^fragmentation: resident grew 16\.0 MiB while allocated grew 0 B$/,
  },
  {
    rule: 'waste-high-unpurged',
    what: 'one dump, 80% of resident unused, most of it dirty pages',
    stats: [je([{ a: 10, r: 50, dirty: 35 }])],
    summary: /^retained: the allocator holds 40\.0 MiB \(80% of resident\) that the program does not use, 35\.0 MiB of it free pages not yet returned \(one dump: no trend\)$/,
  },
  {
    rule: 'waste-high',
    what: 'a flat series, 80% of resident unused at every point',
    stats: [je([1, 2, 3].map(() => ({ a: 10, r: 50, dirty: 1 })))],
    summary: /^fragmentation: the allocator holds 40\.0 MiB \(80% of resident\) that the program does not use, without growing$/,
  },
  {
    rule: 'footprint-follows-allocated',
    what: 'resident steps up with allocated once (a warm-up)',
    stats: [je([4, 8, 8, 8, 8, 8, 8].map((a) => ({ a, r: a + 2 })))],
    summary: /^healthy: resident rose .* with allocated, as a step rather than steady growth$/,
  },
  {
    rule: 'no-trend',
    what: 'one dump, 20% of resident unused',
    stats: [je([{ a: 40, r: 50 }])],
    summary: /^inconclusive: one dump shows no trend \(allocated 40\.0 MiB of 50\.0 MiB resident, 80%\)$/,
  },
  {
    rule: 'flat',
    what: 'nothing moves',
    stats: [je([1, 2, 3, 4].map(() => ({ a: 10, r: 12 })))],
    summary: /^healthy: no growth beyond 1\.20 MiB over 4 points$/,
  },
];

const glibc = (points: { a: number; mapped: number; rss?: number }[]): AllocatorStats =>
  series('glibc', points.map((p) => ({ allocatedBytes: p.a * MiB, mappedBytes: p.mapped * MiB, ...(p.rss !== undefined ? { rssBytes: p.rss * MiB } : {}) })), 'glibc-malloc-stats');

describe('diagnose: the decision table', () => {
  it('docs/diagnose.md lists the rules the code applies, in the order it applies them, with their verdicts', () => {
    expect(documentedRules()).toEqual(VERDICT_RULES.map((r) => ({ id: r.id, verdict: r.verdict })));
  });

  it('every rule has a case below', () => {
    expect(CASES.map((c) => c.rule)).toEqual(VERDICT_RULES.map((r) => r.id));
  });

  for (const c of CASES) {
    const rule = VERDICT_RULES.find((r) => r.id === c.rule)!;
    it(`${c.rule} → ${rule.verdict}: ${c.what}`, () => {
      const inputs = { stats: c.stats, profiles: [] };
      expect(ruleOf(inputs)).toBe(c.rule);
      if (rule.verdict === 'cannot tell') {
        expect(() => diagnose(inputs)).toThrow(DiagnoseError);
        expect(() => diagnose(inputs)).toThrow(c.summary);
        return;
      }
      const r = diagnose(inputs);
      expect(r.verdict).toBe(rule.verdict);
      expect(r.summary).toMatch(c.summary);
    });
  }

  it('the rules are tried in order: a leak wins over a rising waste, a rising waste over a high one, a high one over a footprint that follows allocated', () => {
    const all: VerdictFacts = {
      points: 5,
      allocatedKnown: true,
      footprintKnown: true,
      allocatedRises: true,
      allocatedSteady: true,
      footprintRises: true,
      wasteRises: true,
      unpurgedExplainsWasteRise: false,
      heapKnown: true,
      wasteHigh: true,
      unpurgedExplainsWaste: true,
    };
    expect(decideVerdict(all).id).toBe('allocated-rises');
    expect(decideVerdict({ ...all, allocatedSteady: false }).id).toBe('waste-rises');
    expect(decideVerdict({ ...all, allocatedSteady: false, wasteRises: false }).id).toBe('waste-high-unpurged');
    expect(decideVerdict({ ...all, allocatedSteady: false, wasteRises: false, heapKnown: false }).id).toBe('footprint-follows-allocated');
    expect(decideVerdict({ ...all, allocatedSteady: false, wasteRises: false, footprintRises: false, heapKnown: false }).id).toBe('flat');
    expect(decideVerdict({ ...all, points: 1, allocatedRises: false, footprintRises: false, wasteRises: false, wasteHigh: false }).id).toBe('no-trend');
  });

  it('the level is judged on what bounds the heap: resident; glibc: mapped or RSS, whichever is smaller; never RSS alone or committed', () => {
    // glibc, one dump: 10 MiB of 80 MiB mapped.
    const one = diagnose({ stats: [glibc([{ a: 10, mapped: 80 }])], profiles: [] });
    expect(one.summary).toBe('fragmentation: the allocator holds 70.0 MiB (88% of mapped) that the program does not use (one dump: no trend)');
    expect(one.evidence).toContain("utilization: allocated is 13% of mapped at the last point: the heap holds 8.0× what the program uses");
    // RSS below mapped (pages malloc_trim(0) returned stay mapped): RSS bounds the heap; here it holds it all.
    const trimmed = diagnose({ stats: [glibc([{ a: 10, mapped: 80, rss: 15 }])], profiles: [] });
    expect(trimmed.verdict).toBe('inconclusive');
    expect(trimmed.series[0].heap).toBe(15 * MiB);
    expect(trimmed.evidence).toContain('the waste (RSS − allocated) is 5.00 MiB, 33% of RSS: a single dump is judged only when it is over 50% (and 1.50 MiB)');
    // The same level in a series: a flat glibc heap 8 times its live bytes is not healthy.
    expect(diagnose({ stats: [glibc([1, 2, 3, 4].map(() => ({ a: 10, mapped: 80, rss: 85 })))], profiles: [] }).verdict).toBe('fragmentation');
    // RSS alone (heap profiles' totals against /proc) or mimalloc's committed bytes: not judged.
    const mimalloc = series('mimalloc', [1, 2, 3].map(() => ({ allocatedBytes: 10 * MiB, mappedBytes: 80 * MiB, rssBytes: 85 * MiB })), 'mimalloc-stats');
    const r = diagnose({ stats: [mimalloc], profiles: [] });
    expect(r.series.map((p) => p.heap)).toEqual([null, null, null]);
    expect(r.verdict).toBe('healthy');
  });

  it('a heap mostly unused is not healthy even when its footprint rose with allocated as a step', () => {
    // 40 MiB unused throughout; allocated (and with it resident) steps up 12 MiB once.
    const stats = [je([4, 16, 16, 16, 16, 16, 16].map((a) => ({ a, r: a + 40 })))];
    expect(ruleOf({ stats, profiles: [] })).toBe('waste-high');
    expect(diagnose({ stats, profiles: [] }).summary).toMatch(/^fragmentation: the allocator holds 40\.0 MiB \(71% of resident\) that the program does not use; resident rose [\d.]+ MiB with allocated$/);
  });
});
