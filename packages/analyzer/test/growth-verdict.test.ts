/**
 * growth's one-line verdict reads right for every sign of a site's delta
 * (last − first) and of its fitted slope, zero included: "grew" only for a
 * site that ended higher, and a rising line over a site that ended at or
 * below where it started says so.
 */
import { describe, expect, it } from 'vitest';
import { growth, growthOfPoints, growthPoint, linearFit } from '@heapscope/analyzer';
import { buildProfile } from '@heapscope/testkit/build-profile';

const MiB = 1048576;
/** Every value sits on this base, so no point of the site is empty. */
const BASE = 10 * MiB;

type Sign = '+' | '0' | '-';
const sign = (x: number): Sign => (Math.abs(x) < 1e-6 ? '0' : x > 0 ? '+' : '-');

/** A series of one site, `values` MiB above the base at each point. */
function seriesOf(values: number[]) {
  return values.map((v) => buildProfile([{ stack: ['site', 'main'], bytes: BASE + v * MiB }]));
}

const CASES: { slope: Sign; delta: Sign; values: number[]; verdict: string }[] = [
  { slope: '+', delta: '+', values: [0, 1, 2, 3, 4], verdict: 'site grew 1.00 MiB per point over 5 points (4.00 MiB in all), r²=1.00' },
  { slope: '+', delta: '+', values: [0, 3, 1, 4, 2], verdict: 'no steady growth; site rose most (+2.00 MiB from first to last; +512 KiB per point on the fitted line, r²=0.25, mixed)' },
  { slope: '+', delta: '0', values: [2, 0, 3, 4, 2], verdict: 'no steady growth; site trends up (+410 KiB per point on the fitted line, r²=0.18, mixed) but ended where it started' },
  { slope: '+', delta: '-', values: [3, 0, 3, 5, 2], verdict: 'no steady growth; site trends up (+307 KiB per point on the fitted line, r²=0.07, mixed) but ended 1.00 MiB below where it started' },
  { slope: '0', delta: '+', values: [0, 2, 0, 0, 1], verdict: 'no steady growth; site ended 1.00 MiB above where it started, but its fitted line does not rise (0 B per point, r²=0.00, mixed)' },
  { slope: '0', delta: '0', values: [1, 1, 1, 1, 1], verdict: 'no site grew over 5 points' },
  { slope: '0', delta: '0', values: [0, 1, 0, 1, 0], verdict: 'no site grew over 5 points' },
  { slope: '0', delta: '-', values: [1, 0, 0, 2, 0], verdict: 'no site grew over 5 points' },
  { slope: '-', delta: '+', values: [10, 8, 0, 0, 11], verdict: 'no steady growth; site ended 1.00 MiB above where it started, but its fitted line does not rise (-614 KiB per point, r²=0.03, mixed)' },
  { slope: '-', delta: '0', values: [5, 6, 1, 1, 5], verdict: 'no site grew over 5 points' },
  { slope: '-', delta: '-', values: [4, 3, 2, 1, 0], verdict: 'no site grew over 5 points' },
];

describe('growth verdict, by the signs of delta and slope', () => {
  it('the table covers every combination of signs', () => {
    const combos = new Set(CASES.map((c) => `${c.slope}${c.delta}`));
    for (const s of ['+', '0', '-']) for (const d of ['+', '0', '-']) expect(combos.has(`${s}${d}`)).toBe(true);
  });

  for (const c of CASES) {
    it(`slope ${c.slope}, delta ${c.delta}: ${c.values.join(', ')}`, () => {
      // The case is what it says it is.
      expect(sign(linearFit(c.values).slope)).toBe(c.slope);
      expect(sign(c.values[c.values.length - 1] - c.values[0])).toBe(c.delta);
      const r = growth(seriesOf(c.values));
      expect(r.rows[0].delta / MiB).toBeCloseTo(c.values[c.values.length - 1] - c.values[0], 9);
      expect(r.verdict).toBe(c.verdict);
      // Never "grew" (or "rose") for a site that did not end higher.
      if (c.delta !== '+') expect(r.verdict).not.toMatch(/(^|; )site (grew|rose)/);
    });
  }

  it('a change within sampling noise is called that', () => {
    const points = seriesOf([0, 0.5]).map((p) => growthPoint(p));
    // A sampled estimate: one standard deviation of 1 MiB at each point.
    for (const p of points) p.sites.get('site')!.variance = MiB * MiB;
    const r = growthOfPoints(points);
    expect(r.rows[0].withinNoise).toBe(true);
    expect(r.verdict).toBe('no site grew beyond sampling noise over 2 points');
  });
});
