/**
 * `heapscope info` and `heapscope top` against `heaptrack_print` (its
 * default report) on a real heaptrack recording of a real C++ program
 * (input cppcheck-heaptrack: cppcheck checking 95 C files, 3.7 M
 * allocations, 7.4 M events, 40k call paths with long C++ names).
 *
 * The check: heapscope finds heaptrack_print's totals (bench/lib/heaptrack.mjs).
 */
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { checkHeaptrackTotals } from '../lib/heaptrack.mjs';
import { outputs } from '../generate/cppcheck-heaptrack.mjs';

const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const INFO = 'heapscope info';
const TOP = 'heapscope top';
const PRINT = 'heaptrack_print';

export default {
  name: 'cppcheck-heaptrack',
  title: 'heapscope info/top vs heaptrack_print on a real heaptrack recording (cppcheck, 7.4 M events)',
  inputs: ['cppcheck-heaptrack'],
  tools: { heaptrack_print: ['heaptrack_print', '--version'] },
  baseline: INFO,
  commands: [
    { label: INFO, role: 'heapscope', argv: heapscope('info', outputs.recording) },
    { label: TOP, role: 'heapscope', argv: heapscope('top', outputs.recording) },
    { label: PRINT, role: 'reference', argv: ['heaptrack_print', '-f', outputs.recording] },
  ],
  figures: [
    { name: `${PRINT} ÷ ${INFO}`, ratio: [PRINT, INFO], better: 'higher' },
    { name: `${PRINT} ÷ ${TOP}`, ratio: [PRINT, TOP], better: 'higher' },
  ],

  async verify({ run, stdout }) {
    return [await checkHeaptrackTotals(run, outputs.recording, stdout(PRINT))];
  },
};
