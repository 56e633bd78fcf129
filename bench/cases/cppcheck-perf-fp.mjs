/**
 * heapscope on a real perf capture with frame-pointer callchains: cppcheck
 * (C++, no frame pointers anywhere) under malloc/free uprobes, some 600 MB
 * of `perf script` text, most of it 127-frame callchains of garbage
 * addresses — the capture of issue 23. The case is bench/lib/perf-case.mjs.
 */
import { cppcheckPerfCase } from '../lib/perf-case.mjs';

export default cppcheckPerfCase({
  name: 'cppcheck-perf-fp',
  kind: 'fp',
  title: 'heapscope top/sizes vs perf report on a real capture: cppcheck under malloc/free uprobes, frame-pointer callchains (broken)',
});
