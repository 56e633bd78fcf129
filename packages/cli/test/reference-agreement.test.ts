/**
 * heapscope's numbers against the reference tools' on the same dumps:
 * `jeprof --text --show_bytes` for jemalloc dumps and `google-pprof --text
 * --show_bytes` for gperftools dumps, recorded by fixtures/generate.sh in
 * `golden/` next to each dump.
 *
 * What must agree: the total of each sample type; flat and cum of every
 * function of the workload binary; and the multiset of flat values of all
 * call sites (every allocation is attributed to the same site, even where the
 * two name a library function differently — jeprof names libraries from
 * `nm` without inline information, heapscope also reads their separate
 * debug files).
 *
 * The reference tools print values truncated to integers (Perl `%d`), so
 * values may differ by less than 1.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { FIXTURES, findFiles } from '@heapscope/testkit/paths';
import { HEAP_TYPES, WORKLOAD_FUNCTIONS, agrees, expectRowsAgree, readReferenceText, type ReferenceRow } from '@heapscope/testkit/reference-tools';

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const TYPES = HEAP_TYPES;
const close = agrees;

const CXX_BIN = join(FIXTURES, 'cxx', 'bin');
/**
 * The C++ workload's sites (fixtures/src/cxx/workload.cc) as the reference
 * tools name them, without argument lists: heapscope's --short-names.
 * Not fill_site: its two instantiations stay two functions in heapscope
 * (`hs::fill_site<int>`), one in theirs.
 */
const CXX_SITES = ['names_site', 'index_site', 'table_site', 'small_objects_site', 'large_objects_site', 'shapes_site', 'worker_site'].map((s) => `hs::${s}`);
const cases = [
  ...findFiles(join(FIXTURES, 'jemalloc'), /\.heap$/).map((dump) => ({ dump, tool: 'jeprof', symbols: WORKLOAD, functions: WORKLOAD_FUNCTIONS, cxx: false })),
  ...findFiles(join(FIXTURES, 'gperftools'), /\.heap$/).map((dump) => ({ dump, tool: 'google-pprof', symbols: WORKLOAD, functions: WORKLOAD_FUNCTIONS, cxx: false })),
  // The C++ workload: totals, and each site's cum. Not the flat values: jeprof
  // charges every C++ allocation under jemalloc to one row named after the
  // nearest exported symbol of jemalloc's operator new (malloc_usable_size).
  ...findFiles(join(FIXTURES, 'cxx', 'jemalloc'), /\.heap$/).map((dump) => ({ dump, tool: 'jeprof', symbols: CXX_BIN, functions: CXX_SITES, cxx: true })),
  ...findFiles(join(FIXTURES, 'cxx', 'gperftools'), /\.heap$/).map((dump) => ({ dump, tool: 'google-pprof', symbols: CXX_BIN, functions: CXX_SITES, cxx: true })),
];

describe('agreement with jeprof and google-pprof on the fixture dumps', () => {
  it('has dumps and reference outputs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  for (const { dump, tool, symbols, functions, cxx } of cases) {
    for (const type of TYPES) {
      const name = `${dump.slice(FIXTURES.length + 1)} ${type}`;
      it(name, async () => {
        const golden = join(dirname(dump), 'golden', `${basename(dump)}.${type}.${tool}.txt`);
        const reference = readReferenceText(readFileSync(golden, 'utf8'));
        // The C++ sites by their short names, as the reference tools name them.
        const r = await runCli(['top', '--format', 'json', '-t', type, '--symbols', symbols, ...(cxx ? ['--short-names'] : []), dump]);
        expect(r.code, r.stderr).toBe(0);
        const ours: { total: number; rows: ReferenceRow[] } = JSON.parse(r.stdout);
        expect(close(ours.total, reference.total), `total ${ours.total} vs ${tool} ${reference.total}`).toBe(true);

        expectRowsAgree(ours.rows, reference.rows, functions, !cxx);
      });
    }
  }
});
