/**
 * Input `cppcheck-perf-small`: the `cppcheck-perf` recordings (same
 * program, options, probes and callchain modes: bench/generate/cppcheck-perf.mjs)
 * of a 1 KB C file instead of a 6 KB one — about a tenth of the text, for
 * `pnpm bench --quick`.
 *
 *   bench/inputs/cppcheck-perf-small.{fp,dwarf}.{data,txt}
 */
import { CPPCHECK_TOOLS } from '../lib/cppcheck.mjs';
import { PERF_PROBE_SOURCES } from '../lib/perf.mjs';
import { generateCaptures } from './cppcheck-perf.mjs';

export const id = 'cppcheck-perf-small';
export const description = 'the cppcheck-perf captures (frame-pointer and DWARF callchains) of cppcheck checking a 1 KB file: the --quick input';
export const outputs = {
  fpData: 'bench/inputs/cppcheck-perf-small.fp.data',
  fpText: 'bench/inputs/cppcheck-perf-small.fp.txt',
  dwarfData: 'bench/inputs/cppcheck-perf-small.dwarf.data',
  dwarfText: 'bench/inputs/cppcheck-perf-small.dwarf.txt',
};
export const sources = [...PERF_PROBE_SOURCES, 'bench/lib/cppcheck.mjs', 'bench/generate/cppcheck-perf.mjs'];
export const tools = { perf: ['perf', '--version'], ...CPPCHECK_TOOLS };

export function generate(ctx) {
  return generateCaptures(ctx, { id, set: 'perfSmall', outs: outputs, minBytes: { fp: 20e6, dwarf: 10e6 } });
}
