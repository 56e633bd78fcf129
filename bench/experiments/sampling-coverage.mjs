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
 *   node bench/experiments/sampling-coverage.mjs [--runs 400] [--lg 12] [--via library|cli] [--out FILE.md]
 *
 * `--via cli` takes each estimate from the command line instead of the
 * library: `heapscope top --format json` of the built CLI, one process per
 * dump, so that the figures checked are the ones users read.
 *
 * Prints a Markdown table (per site and overall) on stdout; progress on
 * stderr. docs/analyses.md quotes its result. The test
 * packages/analyzer/test/sampling-error.test.ts runs the same computation
 * (the analyzer's errorBarCoverage) on the dumps committed in fixtures/waste/sampling/.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WORKLOAD = join(ROOT, 'fixtures', 'waste', 'bin', 'sampling-workload');
const CLI = join(ROOT, 'packages', 'cli', 'dist', 'heapscope.mjs');

/** One dump's top rows by function (inuse_space), symbolized against the workload. */
async function topRows(path, libs) {
  const loaded = await libs.analyzer.readInput(path);
  const { profile } = await libs.parser.symbolize(loaded.profile, { symbolPaths: [WORKLOAD], external: 'none' });
  return libs.analyzer.top([profile], { sampleType: 'inuse_space' }).rows.filter((r) => r.flat !== 0);
}

/** The same rows from `heapscope top --format json`. */
function cliRows(path) {
  const out = execFileSync(process.execPath, [CLI, 'top', '--format', 'json', '--quiet', '-t', 'inuse_space', '--symbols', WORKLOAD, path], { encoding: 'utf8' });
  return JSON.parse(out).rows.filter((r) => r.flat !== 0);
}

function runWorkload(dir, name, lg) {
  const conf = `prof:true,prof_active:true,lg_prof_sample:${lg},prof_prefix:${join(dir, name)}`;
  execFileSync(WORKLOAD, ['sites'], { env: { PATH: process.env.PATH, MALLOC_CONF: conf, LD_PRELOAD: 'libjemalloc.so.2' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const dump = readdirSync(dir).find((f) => f.startsWith(`${name}.`) && f.endsWith('.heap'));
  if (!dump) throw new Error(`no dump from run ${name}`);
  return join(dir, dump);
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;

/** The Markdown table of an errorBarCoverage result. */
export function coverageTable({ sites, overall }) {
  const lines = ['| site | runs | within ±1 stderr | within ±2 stderr | rms of (estimate − truth)/stderr | mean stderr / truth |', '|---|---:|---:|---:|---:|---:|'];
  for (const s of [...sites, overall]) {
    lines.push(`| ${s === overall ? `**${s.name}**` : s.name} | ${s.pairs} | ${pct(s.within1)} | ${pct(s.within2)} | ${s.zRms === null ? '–' : s.zRms.toFixed(2)} | ${pct(s.meanRelStderr)} |`);
  }
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '400' }, lg: { type: 'string', default: '12' }, via: { type: 'string', default: 'library' }, out: { type: 'string' } } });
  const runs = Number(values.runs);
  if (values.via !== 'library' && values.via !== 'cli') throw new Error(`--via library|cli, not ${values.via}`);
  const rowsOf = (path, libs) => (values.via === 'cli' ? cliRows(path) : topRows(path, libs));
  const lg = Number(values.lg);
  const libs = {
    analyzer: await import(join(ROOT, 'packages', 'analyzer', 'dist', 'index.js')),
    parser: await import(join(ROOT, 'packages', 'parser', 'dist', 'index.js')),
  };
  const dir = mkdtempSync(join(tmpdir(), 'heapscope-sampling-'));
  try {
    const truthRows = await rowsOf(runWorkload(dir, 'truth', 0), libs);
    const sites = new Set(['tiny_site', 'small_site', 'medium_site', 'page_site', 'big_site', 'huge_site', 'few_site', 'mixed_site']);
    const truth = new Map(truthRows.filter((r) => sites.has(r.name)).map((r) => [r.name, r.flat]));
    const estimates = [];
    for (let i = 0; i < runs; i++) {
      if (i % 50 === 0) process.stderr.write(`run ${i + 1}/${runs}\n`);
      const path = runWorkload(dir, `run${i}`, lg);
      estimates.push(await rowsOf(path, libs));
      rmSync(path);
    }
    const table = coverageTable(libs.analyzer.errorBarCoverage(estimates, truth));
    const text = `${runs} runs of \`sampling-workload sites\` under jemalloc with \`lg_prof_sample:${lg}\` (R = ${2 ** lg} bytes), ASLR on; truth from one run with \`lg_prof_sample:0\`; estimates from the ${values.via === 'cli' ? 'command line (`heapscope top --format json`)' : 'library (`top`)'}.\n\n${table}\n`;
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
