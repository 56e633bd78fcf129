#!/usr/bin/env node
/**
 * What one distinct stack costs heapscope in memory when it reads perf
 * script text (issue 23, item 2: peak memory bounded by the distinct stacks
 * kept, not by the frames read).
 *
 * Writes perf script texts of the same number of records and the same
 * frames per record — malloc entry records in the shape of the cppcheck
 * capture (bench/inputs/cppcheck-perf.fp.txt): `malloc+0x0`, a call site,
 * six shared callers, then broken frame-pointer unwinding (`[unknown]`
 * frames, cut) — that differ only in how many distinct call sites (so
 * distinct stacks) their records have, runs `heapscope top --no-symbolize`
 * on each under /usr/bin/time, and prints the peak RSS per text and the
 * slope: bytes of peak RSS per distinct stack.
 *
 *   pnpm build
 *   node bench/experiments/perf-stack-memory.mjs [--records 200000] [--stacks 1,50000,100000,200000]
 *
 * Prints a Markdown table on stdout; docs/BENCHMARKS.md ("perf text (item 2)") quotes it.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(ROOT, 'packages', 'cli', 'dist', 'heapscope.mjs');
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const APP = '/usr/bin/cppcheck';
const GARBAGE = 40;

const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, stacks: { type: 'string', default: '1,50000,100000,200000' } } });
const records = Number(values.records);
const stackCounts = values.stacks.split(',').map(Number);

/** Writes `records` records over `distinct` call sites to `path`. */
async function write(path, distinct) {
  const out = createWriteStream(path);
  const callers = Array.from({ length: 6 }, (_, j) => `\t          ${(0x405000 + 0x100 * j).toString(16)} caller_${j}+0x1c (${APP})\n`).join('');
  const garbage = Array.from({ length: GARBAGE }, (_, j) => `\t    ${(0x555555a0fed8 + 0x50 * j).toString(16)} [unknown] ([unknown])\n`).join('');
  let batch = '';
  for (let r = 0; r < records; r++) {
    const site = r % distinct;
    const us = String(r % 1_000_000).padStart(6, '0');
    batch += `cppcheck  4421 [000]  ${9046 + Math.floor(r / 1_000_000)}.${us}:          probe_libc:malloc: (7ffff7ab6930) size=${16 + (r % 64)}\n`;
    batch += `\t           98930 malloc+0x0 (${LIBC})\n`;
    batch += `\t          ${(0x500000 + 0x10 * site).toString(16)} site_${site}+0x10 (${APP})\n`;
    batch += callers + garbage + '\n';
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await new Promise((done) => out.once('drain', done));
      batch = '';
    }
  }
  out.write(batch);
  await new Promise((done) => out.end(done));
}

/** Peak RSS (KiB) and CPU seconds of `heapscope top --no-symbolize path`. */
function measure(path) {
  const run = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, CLI, 'top', '--no-symbolize', '--quiet', path], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.status !== 0) throw new Error(`heapscope top failed: ${run.stderr}`);
  // /usr/bin/time writes its line last.
  const [rssKiB, user, sys] = run.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { rssKiB, cpu: user + sys };
}

const dir = mkdtempSync(join(tmpdir(), 'heapscope-stack-memory-'));
try {
  const rows = [];
  for (const distinct of stackCounts) {
    const path = join(dir, `stacks-${distinct}.perf.txt`);
    await write(path, distinct);
    const bytes = statSync(path).size;
    const { rssKiB, cpu } = measure(path);
    rows.push({ distinct, bytes, rssKiB, cpu });
    rmSync(path);
    process.stderr.write(`${distinct} distinct stacks: ${rssKiB} KiB\n`);
  }
  const first = rows[0];
  console.log(`${records.toLocaleString('en-US')} records of ${2 + 6 + GARBAGE} frames each (${GARBAGE} cut), \`heapscope top --no-symbolize\`:\n`);
  console.log('| distinct stacks | text | peak RSS | CPU | RSS above the first row, per distinct stack |');
  console.log('|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    const per = r === first ? '' : `${Math.round(((r.rssKiB - first.rssKiB) * 1024) / (r.distinct - first.distinct))} B`;
    console.log(`| ${r.distinct.toLocaleString('en-US')} | ${(r.bytes / 1e6).toFixed(0)} MB | ${(r.rssKiB / 1024).toFixed(0)} MiB | ${r.cpu.toFixed(2)} s | ${per} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
