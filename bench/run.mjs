#!/usr/bin/env node
/**
 * heapscope benchmark harness (`pnpm bench`).  Node built-ins only.
 *
 *   node bench/run.mjs [--only REGEX] [--quick] [--runs N] [--warmup N]
 *                      [--out FILE] [--poll-ms N] [--regenerate] [--record] [--list]
 *
 * 1. Loads the cases (bench/cases/*.mjs, see bench/lib/cases.mjs) and keeps
 *    those whose name matches --only.
 * 2. Generates their inputs into bench/inputs/ when missing or stale
 *    (bench/generate/<id>.mjs, see bench/lib/inputs.mjs).
 * 3. Times every command of every selected case: warmup runs first, then the
 *    timed runs interleaved round-robin across the case's commands (run 1 of
 *    each, run 2 of each, ...), so slow drift of the machine hits all of
 *    them alike.  Each run is measured by bench/lib/measure.mjs (wall time,
 *    peak RSS of the whole process tree).  A command that exits non-zero
 *    (or is killed) fails the whole run, loudly.
 * 4. Prints a Markdown table per case on stdout (progress goes to stderr);
 *    --out FILE also writes FILE.md and FILE.json (the JSON has every run).
 * 5. Compares each case's figures with the last recorded ones
 *    (bench/baseline.json, bench/lib/figures.mjs) and fails when one got
 *    more than 10 % worse; --record writes this run's figures there instead.
 *
 * --quick runs the short version of every case: each case's `quick` fields
 * (smaller inputs, fewer commands), one timed run per command and no
 * warmup unless --runs/--warmup say otherwise; its figures are recorded and
 * compared apart from the full runs'.
 *
 * The last timed run's stdout/stderr of every command is kept in
 * bench/out/last/ (gitignored) for inspection.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCases } from './lib/cases.mjs';
import { HEAPSCOPE_BIN, ROOT, commandLine, run, tail, which } from './lib/exec.mjs';
import { ensureInput, loadGenerator } from './lib/inputs.mjs';
import { describeMachine } from './lib/machine.mjs';
import { GNU_TIME, measure } from './lib/measure.mjs';
import { addRatios, figuresMarkdown, formatMs, machineMarkdown, resultsMarkdown, summarize } from './lib/report.mjs';
import { BASELINE_FILE, TOLERANCE, compareFigures, computeFigures, readBaseline, recordBaseline } from './lib/figures.mjs';

const USAGE = `usage: node bench/run.mjs [options]   (pnpm bench [options])

  --only REGEX    run only the cases whose name matches REGEX
  --quick         the short version of every case (smaller inputs, fewer
                  commands; --runs 1 --warmup 0 unless given), for use
                  before a stop; compared with the recorded quick figures
  --runs N        timed runs per command (default 5; a case may cap a slow
                  command with maxRuns)
  --warmup N      untimed runs per command before timing (default 1)
  --out FILE      also write FILE.md and FILE.json (a .md/.json suffix is dropped)
  --poll-ms N     /proc polling interval for the process-tree RSS (default 20; 0: off)
  --regenerate    regenerate the selected cases' inputs even when up to date
  --record        write this run's figures to bench/baseline.json (the
                  cases run, this mode) instead of failing on a regression
  --list          list the cases and their commands, run nothing
  -h, --help      this text`;

class UsageError extends Error {}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        record: { type: 'boolean', default: false },
        runs: { type: 'string' },
        warmup: { type: 'string' },
        out: { type: 'string' },
        'poll-ms': { type: 'string', default: '20' },
        regenerate: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const v = parsed.values;
  v.runs ??= v.quick ? '1' : '5';
  v.warmup ??= v.quick ? '0' : '1';
  const int = (flag, min) => {
    const n = Number(v[flag]);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} expects an integer >= ${min}, got "${v[flag]}"`);
    return n;
  };
  let only = null;
  if (v.only !== undefined) {
    try {
      only = new RegExp(v.only);
    } catch (error) {
      throw new UsageError(`--only: ${error.message}`);
    }
  }
  return {
    only,
    onlySource: v.only,
    runs: int('runs', 1),
    warmup: int('warmup', 0),
    pollMs: int('poll-ms', 0),
    out: v.out,
    regenerate: v.regenerate,
    quick: v.quick,
    record: v.record,
    list: v.list,
    help: v.help,
  };
}

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** Checks, before anything slow, that every command can be started. */
function preflight(cases) {
  const problems = [];
  if (!existsSync(GNU_TIME)) problems.push(`${GNU_TIME} (GNU time) not found: apt-get install time`);
  for (const c of cases) {
    for (const cmd of c.commands) {
      const [exe, script] = cmd.argv;
      if (exe === 'node') {
        if (script && !script.startsWith('-') && !existsSync(path.join(ROOT, script))) {
          problems.push(
            script === HEAPSCOPE_BIN
              ? `${c.name} / ${cmd.label}: ${script} not found; run \`pnpm build\` first`
              : `${c.name} / ${cmd.label}: ${script} not found`,
          );
        }
      } else if (!which(exe)) {
        problems.push(`${c.name} / ${cmd.label}: ${exe} not found on PATH`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`cannot run the benchmarks:\n  ${problems.join('\n  ')}`);
}

function safeRead(f) {
  try {
    return f();
  } catch {
    return '';
  }
}

function slug(s) {
  return s.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');
}

/** Asks each command's skipWhen; returns label → reason for those that cannot run yet. */
async function skippedCommands(c) {
  const skipped = new Map();
  for (const cmd of c.commands) {
    const why = cmd.skipWhen ? await cmd.skipWhen() : null;
    if (why) skipped.set(cmd.label, String(why));
  }
  if (skipped.has(c.baseline)) throw new Error(`${c.name}: the baseline command "${c.baseline}" is skipped: ${skipped.get(c.baseline)}`);
  return skipped;
}

async function runCase(c, inputs, options) {
  const lastDir = path.join(ROOT, 'bench', 'out', 'last', c.name);
  mkdirSync(lastDir, { recursive: true });
  const skipped = await skippedCommands(c);
  for (const [label, why] of skipped) log(`${c.name} / ${label}: skipped (${why})`);
  const plan = c.commands.filter((cmd) => !skipped.has(cmd.label)).map((cmd) => ({
    cmd,
    runs: Math.min(options.runs, cmd.maxRuns ?? Infinity),
    warmup: cmd.warmup ?? options.warmup,
    base: path.join(lastDir, slug(cmd.label)),
    results: [],
  }));

  const loadBefore = os.loadavg();
  const once = async (p, what) => {
    const r = await measure(p.cmd.argv, {
      cwd: ROOT,
      stdoutPath: `${p.base}.stdout`,
      stderrPath: `${p.base}.stderr`,
      timePath: `${p.base}.time`,
      pollMs: options.pollMs,
    });
    if (r.status !== 0) {
      const stderr = safeRead(() => readFileSync(`${p.base}.stderr`, 'utf8'));
      const why = r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
      throw new Error(`${c.name} / ${p.cmd.label} (${what}) ${why}: ${commandLine(p.cmd.argv)}${tail(stderr)}`);
    }
    return r;
  };

  for (const p of plan) {
    for (let i = 0; i < p.warmup; i++) {
      const r = await once(p, `warmup ${i + 1}`);
      log(`${c.name} / ${p.cmd.label}: warmup ${formatMs(r.wallMs)}`);
    }
  }
  const rounds = Math.max(...plan.map((p) => p.runs));
  for (let round = 0; round < rounds; round++) {
    for (const p of plan) {
      if (round >= p.runs) continue;
      const r = await once(p, `run ${round + 1}`);
      p.results.push(r);
      const other = r.otherCpuMs / r.wallMs;
      log(
        `${c.name} / ${p.cmd.label}: run ${round + 1}/${p.runs} ${formatMs(r.wallMs)} (CPU ${formatMs(r.cpuMs)}), ${Math.round(r.peakRssKb / 1024)} MiB` +
          // Another process using a core for a tenth of the run or more: say so.
          (other >= 0.1 ? `; warning: other processes used ${other.toFixed(2)} cores meanwhile` : ''),
      );
    }
  }

  const result = {
    name: c.name,
    title: c.title ?? c.name,
    baseline: c.baseline,
    inputs: c.inputs.map((id) => inputs.get(id)),
    commands: c.commands.map((cmd) => {
      const p = plan.find((x) => x.cmd === cmd);
      if (!p) return { label: cmd.label, role: cmd.role, argv: cmd.argv, skipped: skipped.get(cmd.label) };
      return {
        label: cmd.label,
        role: cmd.role,
        argv: cmd.argv,
        warmup: p.warmup,
        ...summarize(p.results),
        samples: p.results.map((r) => ({ wallMs: r.wallMs, cpuMs: r.cpuMs, otherCpuMs: r.otherCpuMs, stealMs: r.stealMs, peakRssKb: r.peakRssKb, maxRssKb: r.maxRssKb, treeRssKb: r.treeRssKb })),
      };
    }),
    loadAverage: { before: loadBefore, after: os.loadavg() },
    cores: os.availableParallelism?.() ?? os.cpus().length,
    notes: [],
  };
  addRatios(result);

  if (c.verify) {
    log(`${c.name}: verifying`);
    const byLabel = new Map(plan.map((p) => [p.cmd.label, p]));
    const output = (label, ext) => {
      const p = byLabel.get(label);
      if (!p) throw new Error(`${c.name}: verify asked for the output of ${skipped.has(label) ? 'skipped' : 'unknown'} command "${label}"`);
      return readFileSync(`${p.base}.${ext}`, 'utf8');
    };
    const notes = await c.verify({
      stdout: (label) => output(label, 'stdout'),
      stderr: (label) => output(label, 'stderr'),
      skipped: (label) => skipped.get(label) ?? null,
      quick: options.quick,
      run: (argv, opts) => run(argv, opts),
      inputs: Object.fromEntries(result.inputs.map((i) => [i.id, i])),
    });
    result.notes = Array.isArray(notes) ? notes.map(String) : [];
  }
  for (const [label, why] of skipped) result.notes.push(`${label}: skipped: ${why}.`);
  result.figures = computeFigures(c.figures, result);
  return result;
}

async function main(argv) {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const cases = (await loadCases(loadGenerator, { quick: options.quick })).filter((c) => !options.only || options.only.test(c.name));
  if (options.list) {
    for (const c of cases) {
      process.stdout.write(`${c.name}: ${c.title ?? ''}\n  inputs: ${c.inputs.join(', ')}\n`);
      for (const cmd of c.commands) process.stdout.write(`  [${cmd.role}] ${cmd.label}: ${commandLine(cmd.argv)}\n`);
    }
    return 0;
  }
  if (cases.length === 0) throw new UsageError(`no case matches --only ${options.onlySource}`);
  preflight(cases);

  const generators = new Map();
  for (const id of new Set(cases.flatMap((c) => c.inputs))) generators.set(id, await loadGenerator(id));
  const inputs = new Map();
  for (const [id, gen] of generators) inputs.set(id, await ensureInput(gen, { force: options.regenerate, log }));

  const tools = Object.assign({}, ...[...generators.values()].map((g) => g.tools), ...cases.map((c) => c.tools ?? {}));
  const machine = await describeMachine(tools);
  log(machineMarkdown(machine).replace(/\n/g, '\nbench: '));

  const startedAt = new Date().toISOString();
  const shown = `pnpm bench${argv.length ? ` ${commandLine(argv)}` : ''}`;
  const mode = options.quick ? 'quick' : 'full';
  const recorded = readBaseline().modes[mode] ?? {};
  const results = {
    startedAt,
    commandLine: shown,
    mode,
    options: { only: options.onlySource ?? null, runs: options.runs, warmup: options.warmup, pollMs: options.pollMs },
    machine,
    cases: [],
  };
  for (const c of cases) {
    log(`case ${c.name}: ${c.commands.length} commands`);
    const r = await runCase(c, inputs, options);
    r.comparison = compareFigures(r.figures, recorded[c.name], machine);
    r.recorded = recorded[c.name] ? { recordedAt: recorded[c.name].recordedAt, commit: recorded[c.name].commit } : null;
    results.cases.push(r);
    log(figuresMarkdown(r, mode).replace(/\n/g, '\nbench: '));
    process.stderr.write('\n');
  }
  results.finishedAt = new Date().toISOString();

  const md = resultsMarkdown(results);
  process.stdout.write(md);
  if (options.out) {
    const base = path.resolve(options.out.replace(/\.(md|json)$/, ''));
    mkdirSync(path.dirname(base), { recursive: true });
    // Written whole or not at all: to a temporary name, then renamed.
    for (const [ext, text] of [['.json', `${JSON.stringify(results, null, 2)}\n`], ['.md', md]]) {
      writeFileSync(`${base}${ext}.tmp`, text);
      renameSync(`${base}${ext}.tmp`, `${base}${ext}`);
    }
    log(`wrote ${path.relative(process.cwd(), base)}.md and .json`);
  }
  const regressed = results.cases.flatMap((c) => c.comparison.filter((f) => f.status === 'regressed').map((f) => `${c.name}: ${f.name}`));
  if (options.record) {
    recordBaseline(results);
    log(`recorded the ${mode} figures of ${results.cases.map((c) => c.name).join(', ')} in ${path.relative(process.cwd(), BASELINE_FILE)}`);
    return 0;
  }
  if (regressed.length > 0) {
    log(`FAILED: ${regressed.length} figure(s) more than ${TOLERANCE * 100} % worse than recorded in ${path.relative(process.cwd(), BASELINE_FILE)} (${mode}), by wall-clock and CPU time:\n  ${regressed.join('\n  ')}`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`bench: FAILED: ${error.message}\n`);
      process.exitCode = 1;
    }
  },
);
