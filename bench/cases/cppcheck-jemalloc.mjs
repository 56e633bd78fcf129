/**
 * `heapscope top` against `jeprof --text` on a real jemalloc dump of a real
 * C++ program (input cppcheck-jemalloc: cppcheck checking 95 C files, every
 * allocation stack of the run, about 20 MB and 40k stacks — the size of
 * the synthetic jemalloc-32k dump, but stacks through a stripped C++
 * binary, libstdc++ and libc).
 *
 * Both symbolize: jeprof against /usr/bin/cppcheck (named on its command
 * line) and the libraries in the dump's maps; heapscope against what the
 * maps name (its symbol cache warm after the warmup run). The
 * --no-symbolize row shows what symbolization costs. jeprof takes many
 * seconds per run: three timed runs at most.
 *
 * The check: the same inuse_space and (in full runs) alloc_space totals
 * (every allocation is sampled, lg_prof_sample:0, so the totals are whole
 * bytes up to the fraction heapscope's unsampling formula keeps); jeprof is
 * timed with --show_bytes so that its timed output is the check's.
 */
import { SYMBOLIZING_TOOLS } from '../lib/tools.mjs';
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { CPPCHECK } from '../lib/cppcheck.mjs';
import { outputs } from '../generate/cppcheck-jemalloc.mjs';
import { parsePprofText } from '../lib/reference-text.mjs';

const { heap } = outputs;
const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 4 });
const TOP = 'heapscope top';
const JEPROF = 'jeprof --text';

export default {
  name: 'cppcheck-jemalloc',
  title: 'heapscope top vs jeprof --text on a real jemalloc dump (cppcheck, 20 MB, 40k stacks)',
  inputs: ['cppcheck-jemalloc'],
  tools: { jeprof: ['jeprof', '--version'], ...SYMBOLIZING_TOOLS },
  baseline: TOP,
  commands: [
    { label: TOP, role: 'heapscope', argv: heapscope('top', heap) },
    { label: 'heapscope top --no-symbolize', role: 'heapscope', argv: heapscope('top', '--no-symbolize', heap) },
    { label: JEPROF, role: 'reference', argv: ['jeprof', '--text', '--show_bytes', CPPCHECK, heap], maxRuns: 3 },
  ],
  figures: [
    { name: `${JEPROF} ÷ ${TOP}`, ratio: [JEPROF, TOP], better: 'higher' },
    { name: `${JEPROF} ÷ heapscope top --no-symbolize`, ratio: [JEPROF, 'heapscope top --no-symbolize'], better: 'higher' },
  ],

  async verify({ run, stdout, quick }) {
    const notes = [];
    // inuse_space from the timed run; alloc_space (another jeprof run of many seconds) in full runs only.
    for (const type of quick ? ['inuse_space'] : ['inuse_space', 'alloc_space']) {
      const hs = JSON.parse((await run(heapscope('top', '--format', 'json', '--no-symbolize', '--sample-type', type, heap))).stdout);
      const jeText = type === 'inuse_space' ? stdout(JEPROF) : (await run(['jeprof', '--text', '--show_bytes', `--${type}`, CPPCHECK, heap])).stdout;
      const je = parsePprofText(jeText);
      if (hs.sampleType !== type || hs.unit !== 'bytes') throw new Error(`heapscope top reports ${hs.sampleType} in ${hs.unit}, expected ${type} in bytes`);
      // jeprof prints whole bytes; heapscope keeps the unsampling fraction of tiny rows at R = 1.
      if (Math.abs(hs.total - je.total) >= 1) throw new Error(`${type} totals differ: heapscope top ${fmt(hs.total)} B, jeprof --text --show_bytes ${fmt(je.total)} B`);
      notes.push(`${type}: \`heapscope top --format json\` total ${fmt(hs.total)} B, \`jeprof --text --show_bytes${type === 'alloc_space' ? ' --alloc_space' : ''}\` \`Total: ${je.total} B\`.`);
    }
    return notes;
  },
};
