/**
 * `heapscope diff` against the reference tools' `--base` on real dumps of one
 * program (fixtures/fork, see fixtures/scripts/fork.sh): jeprof's and
 * google-pprof's `--text --base=FIRST bin LAST`, recorded in `golden/` as
 * `<last>.base-<first>.<type>.<tool>.txt`. Both tools unsample each dump by
 * its own sampling, so the difference of a dump with every allocation
 * recorded and one sampled every 4 KiB (`base-all-…`) must agree too.
 *
 * What must agree, for all four sample types, to within the 1 that the tools
 * lose by truncating: the total, flat and cum of the program's functions, and
 * the multiset of flat values of all call sites (the tools name glibc's
 * frames without their inlined functions: the same change, another name).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { FIXTURES } from '@heapscope/testkit/paths';
import { agrees, expectRowsAgree, readReferenceText, type ReferenceRow } from '@heapscope/testkit/reference-tools';

const FORK = join(FIXTURES, 'fork');
/** The functions of fixtures/src/fork-workload.c. */
const FORK_FUNCTIONS = ['parent_site', 'child_site', 'dump', 'main'];
const GOLDEN = /^(.+)\.base-(all-)?(.+)\.(inuse_space|inuse_objects|alloc_space|alloc_objects)\.(jeprof|google-pprof)\.txt$/;

const cases = ['jemalloc/all', 'jemalloc/sampled', 'gperftools'].flatMap((dir) =>
  readdirSync(join(FORK, dir, 'golden')).flatMap((golden) => {
    const m = GOLDEN.exec(golden);
    if (!m) return [];
    const [, last, fromAll, first, type, tool] = m;
    const baseDir = fromAll ? join(FORK, 'jemalloc/all') : join(FORK, dir);
    return [{ name: `${dir}: ${last} − ${fromAll ? 'all/' : ''}${first} ${type}`, base: join(baseDir, first), input: join(FORK, dir, last), type, golden: join(FORK, dir, 'golden', golden), tool }];
  }),
);

describe('diff agrees with jeprof --base and google-pprof --base', () => {
  it('has the reference outputs: both tools, and two dumps sampled differently', () => {
    expect(cases.length).toBe(16);
    expect(new Set(cases.map((c) => c.tool))).toEqual(new Set(['jeprof', 'google-pprof']));
    expect(cases.filter((c) => c.name.includes('all/'))).toHaveLength(4);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const reference = readReferenceText(readFileSync(c.golden, 'utf8'));
      const r = await runCli(['diff', '--format', 'json', '-t', c.type, '--symbols', join(FORK, 'bin'), c.base, c.input]);
      expect(r.code, r.stderr).toBe(0);
      const ours: { total: number; rows: ReferenceRow[] } = JSON.parse(r.stdout);
      expect(agrees(ours.total, reference.total), `total ${ours.total} vs ${c.tool} ${reference.total}`).toBe(true);
      expect(Math.abs(reference.total)).toBeGreaterThan(0);
      expectRowsAgree(ours.rows, reference.rows, FORK_FUNCTIONS);
      // Two dumps compared: the dumps between them are no gap, and the same program's are no mix.
      expect(r.stderr).not.toMatch(/missing from the series|both dump #/);
      if (c.name.includes('all/')) expect(r.stderr).toMatch(/sampled differently \(none, poisson\/4096\)/);
    });
  }
});
