/**
 * The figures a case is judged by, and the check against the last recorded
 * ones (bench/baseline.json): no regression past 10 %.
 *
 * A case declares `figures` (see bench/lib/cases.mjs); without them, its
 * figures are each reference command's time over the case's baseline
 * heapscope command (how many times faster heapscope is), or, in a case
 * with no reference command, each heapscope command's time. Every figure
 * has a value from the wall-clock medians and one from the CPU-time
 * medians:
 *
 *   { ratio: [a, b], better }          median(a) / median(b)
 *   { rate: label, bytes | count, unit, scale? }
 *                                      amount / median seconds / scale
 *                                      (bytes: a file, MB/s; count: a number)
 *   { time: label }                    median seconds (lower is better)
 *   { memory: label }                  peak RSS in MiB (lower is better; no
 *                                      CPU value, compared by itself)
 *
 * A figure is a regression when it is more than TOLERANCE worse than the
 * recorded one both by wall clock and by CPU time. Requiring both keeps a
 * busy machine from failing the run (the machine is shared: other work
 * stretches wall times by 2× and more while CPU times move a few per cent)
 * while a slower heapscope, which costs CPU, still fails; a figure worse
 * by one measure only is reported as such. Figures in absolute units (MB/s,
 * seconds) are compared only on the machine they were recorded on; ratios
 * everywhere.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './exec.mjs';

/** How much worse than recorded a figure may get. */
export const TOLERANCE = 0.1;
export const BASELINE_FILE = path.join(ROOT, 'bench', 'baseline.json');

/** The default figures of a case: references over the baseline command, else heapscope times. */
export function defaultFigures(c) {
  const refs = c.commands.filter((cmd) => cmd.role === 'reference');
  if (refs.length > 0) return refs.map((r) => ({ name: `${r.label} ÷ ${c.baseline}`, ratio: [r.label, c.baseline], better: 'higher' }));
  return c.commands.map((cmd) => ({ name: `${cmd.label}: time`, time: cmd.label }));
}

/** The commands a figure is computed from. */
export function figureLabels(f) {
  return f.ratio ?? [f.rate ?? f.time ?? f.memory];
}

/**
 * Computes a case's figures from its result (commands with medianMs and
 * medianCpuMs, or `skipped`): [{ name, unit, better, absolute, wall, cpu,
 * target? } | { name, skipped }].
 */
export function computeFigures(figures, result) {
  const byLabel = new Map(result.commands.map((c) => [c.label, c]));
  return figures.map((f) => {
    const cmds = figureLabels(f).map((l) => byLabel.get(l));
    const skipped = cmds.find((c) => c.skipped);
    if (skipped) return { name: f.name, skipped: `${skipped.label} skipped: ${skipped.skipped}` };
    const base = { name: f.name, target: f.target };
    if (f.ratio) {
      const [a, b] = cmds;
      return { ...base, unit: '×', better: f.better ?? 'higher', absolute: false, wall: a.medianMs / b.medianMs, cpu: a.medianCpuMs / b.medianCpuMs };
    }
    const [c] = cmds;
    if (f.rate) {
      const amount = f.bytes !== undefined ? statSync(path.join(ROOT, f.bytes)).size : f.count;
      const scale = f.scale ?? (f.bytes !== undefined ? 1e6 : 1);
      return { ...base, unit: f.unit ?? 'MB/s', better: 'higher', absolute: true, wall: amount / scale / (c.medianMs / 1e3), cpu: amount / scale / (c.medianCpuMs / 1e3) };
    }
    if (f.memory) return { ...base, unit: 'MiB', better: 'lower', absolute: true, wall: c.peakRssKb / 1024, cpu: NaN };
    return { ...base, unit: 's', better: 'lower', absolute: true, wall: c.medianMs / 1e3, cpu: c.medianCpuMs / 1e3 };
  });
}

/** bench/baseline.json, or an empty record. */
export function readBaseline(file = BASELINE_FILE) {
  if (!existsSync(file)) return { modes: {} };
  try {
    const b = JSON.parse(readFileSync(file, 'utf8'));
    if (!b || typeof b.modes !== 'object') throw new Error('no "modes" object');
    return b;
  } catch (error) {
    throw new Error(`${path.relative(ROOT, file)}: ${error.message}`);
  }
}

/** How much worse `now` is than `then` (positive = worse), as a fraction. */
function worse(better, now, then) {
  return better === 'higher' ? (then - now) / then : (now - then) / then;
}

const sameMachine = (a, b) => a && b && a.cpu === b.cpu && a.logicalCores === b.logicalCores;

/**
 * Compares a case's figures with its recorded entry; returns rows
 * { ...figure, recorded?, wallChange?, cpuChange?, status } where status is
 * 'regressed' (worse past TOLERANCE by wall and CPU), 'worse by wall only',
 * 'worse by CPU only', 'ok', 'new' (nothing recorded), 'other machine'
 * (an absolute figure recorded elsewhere) or 'skipped'.
 */
export function compareFigures(figures, entry, machine) {
  return figures.map((f) => {
    if (f.skipped) return { ...f, status: 'skipped' };
    const rec = entry?.figures?.[f.name];
    if (!rec) return { ...f, status: 'new' };
    if (f.absolute && !sameMachine(entry.machine, machine)) return { ...f, recorded: rec, status: 'other machine' };
    const wallChange = worse(f.better, f.wall, rec.wall);
    const cpuChange = Number.isFinite(f.cpu) && Number.isFinite(rec.cpu) ? worse(f.better, f.cpu, rec.cpu) : wallChange;
    const wallBad = wallChange > TOLERANCE;
    const cpuBad = cpuChange > TOLERANCE;
    const status = wallBad && cpuBad ? 'regressed' : wallBad ? 'worse by wall only' : cpuBad ? 'worse by CPU only' : 'ok';
    return { ...f, recorded: rec, wallChange, cpuChange, status };
  });
}

/** The machine fields a recorded entry keeps. */
export function machineKey(m) {
  return { cpu: m.cpu, logicalCores: m.logicalCores, memoryGiB: m.memoryGiB, os: m.os, node: m.tools?.node };
}

/**
 * Writes the figures of `results` (one run of the harness) into the
 * baseline file under its mode, replacing those cases' entries and keeping
 * the others. Written whole or not at all.
 */
export function recordBaseline(results, file = BASELINE_FILE) {
  const b = readBaseline(file);
  b.about =
    'Figures of the last recorded benchmark run per case (pnpm bench --record; --quick runs are kept apart). ' +
    'pnpm bench fails when a figure gets more than 10 % worse than this by both wall-clock and CPU time; see bench/README.md.';
  const mode = (b.modes[results.mode] ??= {});
  for (const c of results.cases) {
    mode[c.name] = {
      recordedAt: results.startedAt,
      commit: results.machine.heapscopeCommit,
      machine: machineKey(results.machine),
      runs: results.options.runs,
      loadAverage: c.loadAverage,
      otherCores: round(Math.max(0, ...c.commands.filter((x) => !x.skipped).map((x) => x.otherCores))),
      figures: Object.fromEntries(
        c.figures.filter((f) => !f.skipped).map((f) => [f.name, { unit: f.unit, better: f.better, wall: round(f.wall), cpu: round(f.cpu) }]),
      ),
    };
  }
  const sorted = { about: b.about, modes: Object.fromEntries(Object.entries(b.modes).sort()) };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(sorted, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

function round(x) {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : null;
}
