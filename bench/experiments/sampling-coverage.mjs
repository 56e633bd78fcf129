#!/usr/bin/env node
/**
 * Do heapscope's error bars on sampled profiles hold? An experiment against
 * the real allocator: fixtures/src/sampling-workload.c (its "sites" mode)
 * runs many times under jemalloc with a small sampling period, each run with
 * address-space randomization on, so that jemalloc's sampler (seeded from a
 * thread-local address) picks different allocations every time, while the
 * program holds the same memory. One more run with every allocation sampled
 * (lg_prof_sample:0) gives the truth. For every run and call site, heapscope's
 * estimate of the site's live bytes (`top`'s flat value) and its standard
 * error (`stderr`) are compared with the truth: with right error bars about
 * 68% of the estimates fall within ±1 standard error, 95% within ±2.
 *
 *   pnpm build
 *   node bench/experiments/sampling-coverage.mjs [--runs 400] [--lg 12] [--out FILE.md]
 *
 * Prints a Markdown table (per site and overall) on stdout; progress on
 * stderr. docs/analyses.md quotes its result. The test
 * packages/analyzer/test/sampling-error.test.ts runs the same computation
 * ({@link coverage}) on the dumps committed in fixtures/waste/sampling/.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WORKLOAD = join(ROOT, 'fixtures', 'waste', 'bin', 'sampling-workload');

/**
 * Coverage of error bars: `estimates` are one run's rows each (`{ name, flat, stderr }`),
 * `truth` maps a site to its true value. Sites not in `truth` are ignored; an
 * estimate with a zero standard error counts as covered only when it is exact;
 * a site missing from a run (no sample reached it) counts as not covered.
 * Returns per site and over the sites with a nonzero error bar: pairs, share within ±1 and ±2 standard errors,
 * and the standard deviation of (estimate − truth) / stderr (1 when the bars are right).
 */
export function coverage(estimates, truth) {
  const bySite = new Map([...truth.keys()].map((name) => [name, { n: 0, within1: 0, within2: 0, zs: [], relStderr: 0 }]));
  for (const rows of estimates) {
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const [name, t] of truth) {
      const s = bySite.get(name);
      s.n++;
      // A site that no sample reached is missing from the run's rows: an estimate of 0 with no error bar, a miss.
      const row = byName.get(name);
      if (!row) continue;
      const err = row.flat - t;
      const se = row.stderr ?? 0;
      if (Math.abs(err) <= se * (1 + 1e-9) + 1e-6) s.within1++;
      if (Math.abs(err) <= 2 * se * (1 + 1e-9) + 1e-6) s.within2++;
      if (se > 0) s.zs.push(err / se);
      s.relStderr += se / t;
    }
  }
  const summarize = (name, n, within1, within2, zs, relStderr) => {
    const sd = zs.length > 1 ? Math.sqrt(zs.reduce((a, z) => a + z * z, 0) / zs.length) : null;
    return { name, pairs: n, within1: n ? within1 / n : 0, within2: n ? within2 / n : 0, zRms: sd, meanRelStderr: n ? relStderr / n : 0 };
  };
  const sites = [...bySite.entries()].map(([name, s]) => summarize(name, s.n, s.within1, s.within2, s.zs, s.relStderr));
  sites.sort((a, b) => a.name.localeCompare(b.name));
  // Sites whose allocations are far above the period are recorded every time (an error bar under 0.1% of
  // the value, estimates exact): nothing to check there; the overall figure is over the other sites.
  const all = [...bySite.values()].filter((s) => s.n > 0 && s.relStderr / s.n >= 1e-3);
  const sum = (f) => all.reduce((a, s) => a + f(s), 0);
  const overall = summarize('all sampled sites', sum((s) => s.n), sum((s) => s.within1), sum((s) => s.within2), all.flatMap((s) => s.zs), sum((s) => s.relStderr));
  return { sites, overall };
}

/** One dump's top rows by function (inuse_space), symbolized against the workload. */
async function topRows(path, libs) {
  const loaded = await libs.analyzer.loadInput(path);
  const { profile } = await libs.parser.symbolize(loaded.profile, { symbolPaths: [WORKLOAD], external: 'none' });
  return libs.analyzer.top([profile], { sampleType: 'inuse_space' }).rows.filter((r) => r.flat !== 0);
}

function runWorkload(dir, name, lg) {
  const conf = `prof:true,prof_active:true,lg_prof_sample:${lg},prof_prefix:${join(dir, name)}`;
  execFileSync(WORKLOAD, ['sites'], { env: { PATH: process.env.PATH, MALLOC_CONF: conf, LD_PRELOAD: 'libjemalloc.so.2' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const dump = readdirSync(dir).find((f) => f.startsWith(`${name}.`) && f.endsWith('.heap'));
  if (!dump) throw new Error(`no dump from run ${name}`);
  return join(dir, dump);
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;

/** The Markdown table of a {@link coverage} result. */
export function coverageTable({ sites, overall }) {
  const lines = ['| site | runs | within ±1 stderr | within ±2 stderr | rms of (estimate − truth)/stderr | mean stderr / truth |', '|---|---:|---:|---:|---:|---:|'];
  for (const s of [...sites, overall]) {
    lines.push(`| ${s === overall ? `**${s.name}**` : s.name} | ${s.pairs} | ${pct(s.within1)} | ${pct(s.within2)} | ${s.zRms === null ? '–' : s.zRms.toFixed(2)} | ${pct(s.meanRelStderr)} |`);
  }
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '400' }, lg: { type: 'string', default: '12' }, out: { type: 'string' } } });
  const runs = Number(values.runs);
  const lg = Number(values.lg);
  const libs = {
    analyzer: await import(join(ROOT, 'packages', 'analyzer', 'dist', 'index.js')),
    parser: await import(join(ROOT, 'packages', 'parser', 'dist', 'index.js')),
  };
  const dir = mkdtempSync(join(tmpdir(), 'heapscope-sampling-'));
  try {
    const truthRows = await topRows(runWorkload(dir, 'truth', 0), libs);
    const sites = new Set(['tiny_site', 'small_site', 'medium_site', 'page_site', 'big_site', 'huge_site', 'few_site', 'mixed_site']);
    const truth = new Map(truthRows.filter((r) => sites.has(r.name)).map((r) => [r.name, r.flat]));
    const estimates = [];
    for (let i = 0; i < runs; i++) {
      if (i % 50 === 0) process.stderr.write(`run ${i + 1}/${runs}\n`);
      const path = runWorkload(dir, `run${i}`, lg);
      estimates.push(await topRows(path, libs));
      rmSync(path);
    }
    const table = coverageTable(coverage(estimates, truth));
    const text = `${runs} runs of \`sampling-workload sites\` under jemalloc with \`lg_prof_sample:${lg}\` (R = ${2 ** lg} bytes), ASLR on; truth from one run with \`lg_prof_sample:0\`.\n\n${table}\n`;
    process.stdout.write(text);
    if (values.out) writeFileSync(values.out, text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
