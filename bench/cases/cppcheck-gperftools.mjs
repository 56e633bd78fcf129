/**
 * `heapscope top` against `go tool pprof -top` and `google-pprof --text` on
 * real gperftools heap profiles of a real C++ program (input
 * cppcheck-gperftools: cppcheck checking 95 C files, a dump every 16 MB
 * allocated). gperftools 2.10 caps each dump at 1 MiB (the generator says
 * why), so the case times one dump — the one with the most bytes in use —
 * and the first 16 dumps together, which every tool sums (`go tool pprof`
 * merges the profiles it is given, heapscope's `top` sums its inputs); the
 * perl google-pprof takes one profile here.
 *
 * All symbolize against /usr/bin/cppcheck (named on the reference tools'
 * command lines; heapscope finds it in the dumps' maps). Stripped as it is,
 * go tool pprof names its frames by binary only.
 *
 * The check: the same inuse_space totals in all three (gperftools records
 * every allocation: whole bytes), and in go tool pprof and heapscope for the
 * sum of the 16.
 */
import { SYMBOLIZING_TOOLS, goPprof } from '../lib/tools.mjs';
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { CPPCHECK } from '../lib/cppcheck.mjs';
import { parseGoTop, parsePprofText } from '../lib/reference-text.mjs';
import { SERIES, dumps, outputs } from '../generate/cppcheck-gperftools.mjs';

const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n) => n.toLocaleString('en-US');
const TOP = 'heapscope top (1 dump)';
const GO = 'go tool pprof -top (1 dump)';
const PERL = 'google-pprof --text (1 dump)';
const TOP_ALL = `heapscope top (${SERIES} dumps summed)`;
const GO_ALL = `go tool pprof -top (${SERIES} dumps merged)`;

export default {
  name: 'cppcheck-gperftools',
  title: `heapscope top vs go tool pprof -top and google-pprof --text on real gperftools profiles (cppcheck; 1 MiB each, one and ${SERIES} summed)`,
  inputs: ['cppcheck-gperftools'],
  tools: { 'google-pprof': ['google-pprof', '--version'], go: ['go', 'version'], ...SYMBOLIZING_TOOLS },
  baseline: TOP,
  commands: [
    { label: TOP, role: 'heapscope', argv: heapscope('top', outputs.peak) },
    { label: 'heapscope top --no-symbolize (1 dump)', role: 'heapscope', argv: heapscope('top', '--no-symbolize', outputs.peak) },
    { label: GO, role: 'reference', argv: goPprof('-top', CPPCHECK, outputs.peak) },
    { label: PERL, role: 'reference', argv: ['google-pprof', '--text', CPPCHECK, outputs.peak], maxRuns: 3 },
    { label: TOP_ALL, role: 'heapscope', argv: heapscope('top', ...dumps) },
    { label: GO_ALL, role: 'reference', argv: goPprof('-top', CPPCHECK, ...dumps) },
  ],
  figures: [
    { name: `${GO} ÷ ${TOP}`, ratio: [GO, TOP], better: 'higher' },
    { name: `${PERL} ÷ ${TOP}`, ratio: [PERL, TOP], better: 'higher' },
    { name: `${GO_ALL} ÷ ${TOP_ALL}`, ratio: [GO_ALL, TOP_ALL], better: 'higher' },
  ],

  async verify({ run, stdout }) {
    const hsTotal = async (files) => JSON.parse((await run(heapscope('top', '--format', 'json', '--no-symbolize', ...files))).stdout);
    const one = await hsTotal([outputs.peak]);
    const gp = parsePprofText((await run(['google-pprof', '--text', '--show_bytes', CPPCHECK, outputs.peak])).stdout, 'google-pprof');
    const go = parseGoTop((await run(goPprof('-top', '-unit=B', CPPCHECK, outputs.peak))).stdout);
    if (one.sampleType !== 'inuse_space' || one.unit !== 'bytes') throw new Error(`heapscope top reports ${one.sampleType} in ${one.unit}, expected inuse_space in bytes`);
    if (Math.round(one.total) !== gp.total || gp.total !== go.total) {
      throw new Error(`totals differ on ${outputs.peak}: heapscope ${fmt(one.total)} B, google-pprof ${fmt(gp.total)} B, go tool pprof ${fmt(go.total)} B`);
    }
    const all = await hsTotal(dumps);
    const goAll = parseGoTop((await run(goPprof('-top', '-unit=B', CPPCHECK, ...dumps))).stdout);
    if (Math.round(all.total) !== goAll.total) throw new Error(`totals of the ${SERIES} dumps differ: heapscope ${fmt(all.total)} B, go tool pprof ${fmt(goAll.total)} B`);
    if (!/ of \d+B total|total/.test(stdout(GO_ALL))) throw new Error('the timed go tool pprof run printed no total');
    return [
      `One dump: inuse_space ${fmt(one.total)} B in heapscope, \`google-pprof --text --show_bytes\` (\`Total: ${gp.total} B\`) and \`go tool pprof -top -unit=B\`.`,
      `${SERIES} dumps summed: ${fmt(all.total)} B in heapscope and in \`go tool pprof -top -unit=B\` (merged).`,
    ];
  },
};
