/**
 * heapscope on a real perf capture with DWARF callchains: cppcheck under
 * malloc/free uprobes, recorded with `--call-graph dwarf,4096` — exact
 * stacks of long C++ names, about 300 MB of `perf script` text. The case
 * is bench/lib/perf-case.mjs.
 */
import { cppcheckPerfCase } from '../lib/perf-case.mjs';

export default cppcheckPerfCase({
  name: 'cppcheck-perf-dwarf',
  kind: 'dwarf',
  title: 'heapscope top/sizes vs perf report on a real capture: cppcheck under malloc/free uprobes, DWARF callchains',
});
