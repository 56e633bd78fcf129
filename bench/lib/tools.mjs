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
