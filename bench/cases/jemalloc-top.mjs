/**
 * `heapscope top` against jeprof on a 20 MiB jemalloc dump with 32k stacks.
 *
 * jeprof is told the binary on its command line, so heapscope gets it too
 * (--symbols); the --no-symbolize row shows what symbolization costs, the
 * --no-symbol-cache row what it costs without heapscope's symbol cache.
 * jeprof is perl and takes seconds per run: three timed runs at most.
 *
 * Start-up on the same machine, in the same run: `heapscope --version` (Node,
 * the bundle, the command table) and `node -e 0` (Node alone). Issue 23's
 * target for this dump: `top` within 2× of heapscope's own start-up, which
 * is ≥ 60× faster than `jeprof --text`; both are figures of the case.
 */
import { SYMBOLIZING_TOOLS } from '../lib/tools.mjs';
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { outputs } from '../generate/jemalloc-32k.mjs';
import { parsePprofText } from '../lib/reference-text.mjs';

const { heap, binary } = outputs;
const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];

const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 4 });

export default {
  name: 'jemalloc-top',
  title: 'heapscope top vs jeprof --text (20 MB jemalloc dump, 32k stacks)',
  inputs: ['jemalloc-32k'],
  tools: {
    jeprof: ['jeprof', '--version'],
    ...SYMBOLIZING_TOOLS,
  },
  baseline: 'heapscope top',
  commands: [
    // The symbol cache (~/.cache/heapscope) is warm after the warmup run; the
    // --no-symbol-cache row runs llvm-symbolizer every time.
    { label: 'heapscope top', role: 'heapscope', argv: heapscope('top', '--symbols', binary, heap) },
    { label: 'heapscope top --no-symbol-cache', role: 'heapscope', argv: heapscope('top', '--no-symbol-cache', '--symbols', binary, heap), quick: false },
    { label: 'heapscope top --no-symbolize', role: 'heapscope', argv: heapscope('top', '--no-symbolize', heap) },
    { label: 'heapscope --version (start-up)', role: 'heapscope', argv: heapscope('--version') },
    { label: 'node -e 0 (Node start-up)', role: 'reference', argv: ['node', '-e', '0'] },
    { label: 'jeprof --text', role: 'reference', argv: ['jeprof', '--text', binary, heap], maxRuns: 3 },
    { label: 'jeprof --collapsed', role: 'reference', argv: ['jeprof', '--collapsed', binary, heap], maxRuns: 3, quick: false },
  ],
  figures: [
    { name: 'jeprof --text ÷ heapscope top', ratio: ['jeprof --text', 'heapscope top'], better: 'higher', target: { min: 60 } },
    { name: 'jeprof --collapsed ÷ heapscope top', ratio: ['jeprof --collapsed', 'heapscope top'], better: 'higher' },
    { name: 'heapscope top ÷ heapscope --version', ratio: ['heapscope top', 'heapscope --version (start-up)'], better: 'lower', target: { max: 2 } },
    { name: 'heapscope top --no-symbolize ÷ heapscope --version', ratio: ['heapscope top --no-symbolize', 'heapscope --version (start-up)'], better: 'lower' },
  ],

  /** Same inuse_space total (and same largest flat values) in heapscope and jeprof. */
  async verify({ run, stdout, skipped }) {
    const notes = [];
    const hs = JSON.parse((await run(heapscope('top', '--format', 'json', '--no-symbolize', heap))).stdout);
    const je = parsePprofText((await run(['jeprof', '--text', '--show_bytes', binary, heap])).stdout);
    const diff = Math.abs(hs.total - je.total);
    if (hs.sampleType !== 'inuse_space' || hs.unit !== 'bytes') throw new Error(`heapscope top reports ${hs.sampleType} in ${hs.unit}, expected inuse_space in bytes`);
    // jeprof prints the total rounded to a byte; heapscope keeps the
    // fraction that the unsampling formula adds to tiny rows at R = 1.
    if (diff >= 1) throw new Error(`totals differ: heapscope top ${fmt(hs.total)} B, jeprof --text --show_bytes ${fmt(je.total)} B`);
    notes.push(
      `Totals agree: \`heapscope top --format json\` total ${fmt(hs.total)} B, \`jeprof --text --show_bytes\` \`Total: ${je.total} B\` ` +
        `(difference ${fmt(diff)} B: jeprof prints whole bytes; heapscope keeps the fraction that the unsampling scale 1/(1 − e^(−avg/R)) adds, at R = 1, to rows whose objects average under ~37 bytes).`,
    );
    // Largest flat values, name-independent (unsymbolized names differ from jeprof's).
    const k = 5;
    const hsFlats = hs.rows.map((r) => Math.round(r.flat)).filter((v) => v > 0).sort((a, b) => b - a).slice(0, k);
    const jeFlats = je.flats.filter((v) => v > 0).sort((a, b) => b - a).slice(0, k);
    if (hsFlats.join() !== jeFlats.join()) throw new Error(`largest flat values differ: heapscope [${hsFlats}], jeprof [${jeFlats}]`);
    notes.push(`The ${k} largest flat values agree (bytes): ${jeFlats.map(fmt).join(', ')}.`);
    if (skipped('jeprof --collapsed')) return notes;
    // jeprof --collapsed: one line per stack, ending in its value.
    const collapsed = stdout('jeprof --collapsed').trimEnd().split('\n');
    const sum = collapsed.reduce((s, line) => s + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    if (Math.abs(sum - je.total) >= 1) throw new Error(`jeprof --collapsed sums to ${sum}, jeprof --text says ${je.total}`);
    notes.push(`\`jeprof --collapsed\` writes ${fmt(collapsed.length)} stacks summing to the same ${fmt(Math.round(sum))} B.`);
    return notes;
  },
};
