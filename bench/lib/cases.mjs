/**
 * Benchmark cases: one module per benchmark group under bench/cases/,
 * default-exporting
 *
 *   {
 *     name:     'jemalloc-top',            // what --only matches; unique
 *     title:    'heapscope top vs ...',    // heading in the report
 *     inputs:   ['jemalloc-32k'],          // generator ids (bench/generate/<id>.mjs)
 *     tools:    { jeprof: ['jeprof', '--version'] },   // optional, versions for the record
 *     baseline: 'heapscope top',           // optional; default: first heapscope command
 *     commands: [
 *       { label, argv, role: 'heapscope' | 'reference',
 *         maxRuns?,   // at most this many timed runs (slow reference tools)
 *         warmup?,    // untimed runs first (default: --warmup, 1)
 *         quick?,     // false: left out under --quick (reported as skipped)
 *         skipWhen? },// async () => why this command cannot run yet, or null
 *     ],
 *     figures?: [...],                     // what the case is judged by (bench/lib/figures.mjs)
 *     quick?: { inputs?, commands?, figures?, baseline?, title? },
 *                                          // replaces those fields under --quick
 *     verify?: async (ctx) => string[],    // optional checks after timing
 *   }
 *
 * argv runs with the repository root as working directory; argv[0] 'node'
 * is the Node running the harness.  Input files are referred to by the
 * paths their generator exports (import { outputs } from
 * '../generate/<id>.mjs'), and every bench/inputs/ path in argv must belong
 * to a declared input.
 *
 * verify(ctx) gets ctx.stdout(label) and ctx.stderr(label) (the last timed
 * run's output), ctx.skipped(label) (why a command was skipped, or null),
 * ctx.run(argv) (runs an extra, untimed command and resolves to
 * { stdout, stderr }) and ctx.quick (true under --quick); it returns notes
 * for the report and throws to fail the run.
 *
 * `skipWhen` is for a command that needs what heapscope does not have yet
 * (an option still to come): it is asked before the case runs, and a
 * reason skips the command, shown in the report, instead of failing.
 *
 * `figures` name the numbers the no-regression check compares with
 * bench/baseline.json; by default each reference command's time over the
 * baseline command's (bench/lib/figures.mjs).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './exec.mjs';
import { defaultFigures, figureLabels } from './figures.mjs';

const CASES_DIR = path.join(ROOT, 'bench', 'cases');
const ROLES = new Set(['heapscope', 'reference']);

function check(cond, where, message) {
  if (!cond) throw new Error(`${where}: ${message}`);
}

function validate(c, where, outputsOf) {
  check(c && typeof c === 'object', where, 'must default-export a case object');
  check(typeof c.name === 'string' && /^[\w.-]+$/.test(c.name), where, 'name must be a word ([A-Za-z0-9_.-])');
  check(Array.isArray(c.inputs), where, 'inputs must be an array of generator ids');
  check(Array.isArray(c.commands) && c.commands.length > 0, where, 'commands must be a non-empty array');
  const labels = new Set();
  for (const cmd of c.commands) {
    const w = `${where}: command "${cmd.label}"`;
    check(typeof cmd.label === 'string' && cmd.label !== '', where, 'every command needs a label');
    check(!labels.has(cmd.label), w, 'duplicate label');
    labels.add(cmd.label);
    check(ROLES.has(cmd.role), w, `role must be 'heapscope' or 'reference'`);
    check(Array.isArray(cmd.argv) && cmd.argv.length > 0 && cmd.argv.every((a) => typeof a === 'string'), w, 'argv must be a non-empty array of strings');
    check(cmd.maxRuns === undefined || (Number.isInteger(cmd.maxRuns) && cmd.maxRuns > 0), w, 'maxRuns must be a positive integer');
    check(cmd.warmup === undefined || (Number.isInteger(cmd.warmup) && cmd.warmup >= 0), w, 'warmup must be a non-negative integer');
    check(cmd.skipWhen === undefined || typeof cmd.skipWhen === 'function', w, 'skipWhen must be a function');
    check(cmd.quick === undefined || cmd.quick === false, w, 'quick may only be false');
  }
  const heapscope = c.commands.filter((cmd) => cmd.role === 'heapscope');
  check(heapscope.length > 0, where, 'needs at least one heapscope command (the ratios are relative to it)');
  const baseline = c.baseline ?? heapscope[0].label;
  check(heapscope.some((cmd) => cmd.label === baseline), where, `baseline "${baseline}" is not a heapscope command`);
  check(c.verify === undefined || typeof c.verify === 'function', where, 'verify must be a function');
  const figures = c.figures ?? defaultFigures({ ...c, baseline });
  check(Array.isArray(figures), where, 'figures must be an array');
  const names = new Set();
  for (const f of figures) {
    check(typeof f.name === 'string' && f.name !== '' && !names.has(f.name), where, `figure names must be unique strings (${f.name})`);
    names.add(f.name);
    check([f.ratio, f.rate, f.time, f.memory].filter((x) => x !== undefined).length === 1, where, `figure "${f.name}" needs exactly one of ratio, rate, time, memory`);
    check(f.ratio === undefined || (Array.isArray(f.ratio) && f.ratio.length === 2), where, `figure "${f.name}": ratio is [numerator label, denominator label]`);
    check(f.rate === undefined || typeof f.bytes === 'string' || Number.isFinite(f.count), where, `figure "${f.name}": a rate needs bytes (a file) or count`);
    for (const l of figureLabels(f)) check(labels.has(l), where, `figure "${f.name}" names unknown command "${l}"`);
  }
  // Input files used on a command line must come from a declared input.
  const declared = new Set(c.inputs.flatMap((id) => outputsOf(id)));
  for (const cmd of c.commands) {
    for (const arg of cmd.argv) {
      if (arg.startsWith('bench/inputs/')) check(declared.has(arg), `${where}: command "${cmd.label}"`, `${arg} is not an output of inputs [${c.inputs.join(', ')}]`);
    }
  }
  return { ...c, baseline, figures, file: where };
}

/**
 * Loads every case module (sorted by file name) and validates it, with
 * its `quick` fields in place under `quick`; `loadGenerator(id)` loads the
 * generator of input `id`.
 */
export async function loadCases(loadGenerator, { quick = false } = {}) {
  const files = readdirSync(CASES_DIR).filter((f) => f.endsWith('.mjs')).sort();
  const cases = [];
  const names = new Set();
  for (const f of files) {
    const where = `bench/cases/${f}`;
    const mod = await import(pathToFileURL(path.join(CASES_DIR, f)).href);
    let def = quick && mod.default?.quick ? { ...mod.default, ...mod.default.quick } : mod.default;
    if (quick && Array.isArray(def?.commands)) {
      const leftOut = async () => 'left out of --quick';
      def = { ...def, commands: def.commands.map((cmd) => (cmd.quick === false ? { ...cmd, skipWhen: leftOut } : cmd)) };
    }
    const gens = {};
    for (const id of def?.inputs ?? []) gens[id] = await loadGenerator(id);
    const c = validate(def, where, (id) => Object.values(gens[id].outputs));
    check(!names.has(c.name), where, `duplicate case name "${c.name}"`);
    names.add(c.name);
    cases.push(c);
  }
  return cases;
}
