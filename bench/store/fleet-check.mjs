/**
 * The check of a fleet growth answer (bench/generate/fleet-1000.mjs): the
 * two leaking sites must rank first, growing, with the workload's slope, on
 * exactly the three leaking hosts — and grow nowhere else.
 */
import { LEAK_HOSTS, LEAK_SITES, hostName } from '../generate/fleet-1000.mjs';

/** Throws unless `report` (growth split by host) finds the leaks where they are; returns a summary. */
export function checkFleetGrowth(report) {
  const leakHosts = LEAK_HOSTS.map(hostName).sort();
  const found = {};
  for (const [site, perRound] of Object.entries(LEAK_SITES)) {
    const growing = report.series.filter((s) => s.report.rows.some((r) => r.name === site && r.trend === 'growing' && r.r2 > 0.99)).map((s) => s.value).sort();
    if (JSON.stringify(growing) !== JSON.stringify(leakHosts)) throw new Error(`growth: ${site} grows on [${growing}], expected exactly [${leakHosts}]`);
    for (const s of report.series.filter((x) => leakHosts.includes(x.value))) {
      const top2 = s.report.rows.slice(0, 2).map((r) => r.name).sort();
      if (JSON.stringify(top2) !== JSON.stringify(Object.keys(LEAK_SITES).sort())) throw new Error(`growth on ${s.value}: first rows are ${top2}, expected the two leak sites`);
      const row = s.report.rows.find((r) => r.name === site);
      if (Math.abs(row.slope - perRound) > 1) throw new Error(`growth on ${s.value}: ${site} slope ${row.slope}, expected ${perRound} per dump`);
    }
    found[site] = growing;
  }
  return { series: report.series.length, points: report.series[0]?.report.points, leaks: found };
}
