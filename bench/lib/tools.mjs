import path from 'node:path';
import { ROOT } from './exec.mjs';

/**
 * argv of `go tool pprof ARGS`, with PPROF_TMPDIR (where it keeps its own
 * files) under bench/out instead of $HOME.
 */
export function goPprof(...args) {
  return ['env', `PPROF_TMPDIR=${path.join(ROOT, 'bench/out/last/pprof-tmp')}`, 'go', 'tool', 'pprof', ...args];
}

/**
 * Version commands of the tools that several cases' commands run, for the
 * record: the perl that jeprof and google-pprof are written in, binutils
 * (their objdump/nm/addr2line), and llvm-symbolizer (heapscope's symbolizer
 * runs one per binary).
 */
export const SYMBOLIZING_TOOLS = {
  perl: ['perl', '-e', 'print "perl $^V\\n"'],
  binutils: ['addr2line', '--version'],
  'llvm-symbolizer': ['llvm-symbolizer', '--version'],
};
