/**
 * `heapscope top` against google-pprof --text and go tool pprof -top on a
 * 20 MiB gperftools heap profile with 32k distinct stacks (input
 * gperftools-32k: the heap checker's end-of-program profile of
 * bench/src/recursive.c, written by the real libtcmalloc).
 *
 * Both reference tools are told the binary, so heapscope gets it too
 * (--symbols); the --no-symbolize row shows what symbolization costs. Both
 * reference tools take seconds per run: three timed runs at most.
 */
import { SYMBOLIZING_TOOLS, goPprof } from '../lib/tools.mjs';
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { outputs } from '../generate/gperftools-32k.mjs';
import { parseGoTop, parsePprofText } from '../lib/reference-text.mjs';

const { heap, binary } = outputs;
const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];

const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 4 });

export default {
  name: 'gperftools-top',
  title: 'heapscope top vs google-pprof --text and go tool pprof -top (20 MB gperftools profile, 32k stacks)',
  inputs: ['gperftools-32k'],
  tools: {
    'google-pprof': ['google-pprof', '--version'],
    go: ['go', 'version'],
    ...SYMBOLIZING_TOOLS,
  },
  baseline: 'heapscope top',
  commands: [
    { label: 'heapscope top', role: 'heapscope', argv: heapscope('top', '--symbols', binary, heap) },
    { label: 'heapscope top --no-symbolize', role: 'heapscope', argv: heapscope('top', '--no-symbolize', heap) },
    { label: 'google-pprof --text', role: 'reference', argv: ['google-pprof', '--text', binary, heap], maxRuns: 3 },
    { label: 'go tool pprof -top', role: 'reference', argv: goPprof('-top', binary, heap), maxRuns: 3 },
  ],
  figures: [
    // Issue 23's target: ≥ 10× go tool pprof -top.
    { name: 'go tool pprof -top ÷ heapscope top', ratio: ['go tool pprof -top', 'heapscope top'], better: 'higher', target: { min: 10 } },
    { name: 'google-pprof --text ÷ heapscope top', ratio: ['google-pprof --text', 'heapscope top'], better: 'higher' },
  ],

  /** The same inuse_space total in all three, the same largest flat values, the same top function. */
  async verify({ run, stdout }) {
    const notes = [];
    const hs = JSON.parse((await run(heapscope('top', '--format', 'json', '--symbols', binary, heap))).stdout);
    const gp = parsePprofText((await run(['google-pprof', '--text', '--show_bytes', binary, heap])).stdout, 'google-pprof');
    const go = parseGoTop((await run(goPprof('-top', '-unit=B', binary, heap))).stdout);
    if (hs.sampleType !== 'inuse_space' || hs.unit !== 'bytes') throw new Error(`heapscope top reports ${hs.sampleType} in ${hs.unit}, expected inuse_space in bytes`);
    // Every allocation is recorded (no sampling): the totals are whole bytes and must be equal.
    if (Math.round(hs.total) !== gp.total || gp.total !== go.total) {
      throw new Error(`totals differ: heapscope top ${fmt(hs.total)} B, google-pprof --text --show_bytes ${fmt(gp.total)} B, go tool pprof -top ${fmt(go.total)} B`);
    }
    notes.push(`Totals agree: heapscope ${fmt(hs.total)} B, \`google-pprof --text --show_bytes\` \`Total: ${gp.total} B\`, \`go tool pprof -top -unit=B\` ${fmt(go.total)}B total.`);
    const k = 5;
    const largest = (values) => values.filter((v) => v > 0).sort((a, b) => b - a).slice(0, k);
    const hsFlats = largest(hs.rows.map((r) => Math.round(r.flat)));
    const gpFlats = largest(gp.flats);
    const goFlats = largest(go.rows.map((r) => r.flat));
    if (hsFlats.join() !== gpFlats.join() || gpFlats.join() !== goFlats.join()) {
      throw new Error(`largest flat values differ: heapscope [${hsFlats}], google-pprof [${gpFlats}], go tool pprof [${goFlats}]`);
    }
    notes.push(`The ${k} largest flat values agree in all three (bytes): ${gpFlats.map(fmt).join(', ')}.`);
    const hsTop = hs.rows.find((r) => r.flat > 0)?.name;
    if (hsTop !== go.rows[0]?.name) throw new Error(`top function: heapscope ${hsTop}, go tool pprof ${go.rows[0]?.name}`);
    notes.push(`Top function in heapscope and go tool pprof: \`${hsTop}\`.`);
    if (!/Total:/.test(stdout('google-pprof --text'))) throw new Error('the timed google-pprof --text run printed no total');
    return notes;
  },
};
