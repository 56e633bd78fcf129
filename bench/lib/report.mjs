/**
 * Statistics over the runs of a command, and the results as Markdown and
 * JSON.  The JSON is the complete record (every run's time and memory); the
 * Markdown is what docs/BENCHMARKS.md quotes.
 */
import { commandLine } from './exec.mjs';

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Summary of one command's runs: times in ms, memory in KiB. */
export function summarize(runs) {
  const wall = runs.map((r) => r.wallMs);
  return {
    runs: runs.length,
    medianMs: median(wall),
    minMs: Math.min(...wall),
    maxMs: Math.max(...wall),
    medianCpuMs: median(runs.map((r) => r.cpuMs)),
    // Cores' worth of CPU that other processes used while this command ran.
    otherCores: runs.reduce((s, r) => s + r.otherCpuMs, 0) / runs.reduce((s, r) => s + r.wallMs, 0),
    maxOtherCores: Math.max(...runs.map((r) => r.otherCpuMs / r.wallMs)),
    // The peak over all runs: memory use hardly varies between runs, and
    // the largest is what a machine has to provide.
    peakRssKb: Math.max(...runs.map((r) => r.peakRssKb)),
    maxRssKb: Math.max(...runs.map((r) => r.maxRssKb)),
    treeRssKb: Math.max(...runs.map((r) => r.treeRssKb)),
  };
}

/** Adds time and RSS ratios relative to the case's baseline command. */
export function addRatios(caseResult) {
  const base = caseResult.commands.find((c) => c.label === caseResult.baseline);
  for (const c of caseResult.commands) {
    if (c.skipped) continue;
    c.timeRatio = c.medianMs / base.medianMs;
    c.rssRatio = c.peakRssKb / base.peakRssKb;
  }
}

function sig3(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** 1.61 s, 842 ms. */
export function formatMs(ms) {
  return ms >= 1000 ? `${sig3(ms / 1000)} s` : `${sig3(ms)} ms`;
}

/** 141 MiB. */
export function formatKb(kb) {
  return kb >= 1024 ? `${sig3(kb / 1024)} MiB` : `${kb} KiB`;
}

function formatRatio(r) {
  return `${sig3(r)}×`;
}

const cell = (s) => String(s).replace(/\|/g, '\\|');

/** The machine paragraph. */
export function machineMarkdown(m) {
  const tools = Object.entries(m.tools)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
  return [
    `Machine: ${m.cpu}, ${m.logicalCores} logical cores, ${m.memoryGiB} GiB RAM, ${m.os}.`,
    `Tools: ${tools}.`,
    `heapscope commit: ${m.heapscopeCommit}.`,
  ].join('\n');
}

/** One case as a Markdown section (heading level `level`). */
export function caseMarkdown(c, level = 2) {
  const h = '#'.repeat(level);
  const lines = [`${h} ${c.title ?? c.name}`, ''];
  lines.push(`Case \`${c.name}\` (bench/cases/${c.name}.mjs).`);
  for (const input of c.inputs) {
    const summary = input.meta?.summary ? `: ${input.meta.summary}` : '';
    lines.push(`Input \`${input.id}\` — ${input.description}${summary}.`);
  }
  lines.push('');
  lines.push(`| command | role | runs | median | min | max | median CPU | peak RSS | time ÷ ${cell(c.baseline)} | RSS ÷ ${cell(c.baseline)} |`);
  lines.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of c.commands) {
    if (r.skipped) {
      lines.push(`| ${cell(r.label)} | ${r.role} | 0 | skipped: ${cell(r.skipped)} | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${cell(r.label)} | ${r.role} | ${r.runs} | ${formatMs(r.medianMs)} | ${formatMs(r.minMs)} | ${formatMs(r.maxMs)} | ${formatMs(r.medianCpuMs)} | ${formatKb(r.peakRssKb)} | ${formatRatio(r.timeRatio)} | ${formatRatio(r.rssRatio)} |`,
    );
  }
  lines.push('', 'Command lines (run from the repository root; `node` is the Node running the harness):', '');
  for (const r of c.commands) lines.push(`* ${cell(r.label)}: \`${commandLine(r.argv)}\``);
  const other = c.commands.filter((r) => !r.skipped).map((r) => `${cell(r.label)} ${r.otherCores.toFixed(2)} (max ${r.maxOtherCores.toFixed(2)})`).join(', ');
  lines.push('', `Other processes' CPU use during the timed runs, in cores (of ${c.cores}): ${other}.`);
  if (c.notes.length > 0) {
    lines.push('', 'Checks:', '');
    for (const n of c.notes) lines.push(`* ${n}`);
  }
  if (c.comparison) lines.push('', figuresMarkdown(c));
  return lines.join('\n');
}

function formatFigure(x, unit) {
  if (!Number.isFinite(x)) return '–';
  return unit === '×' ? formatRatio(x) : unit === 's' ? formatMs(x * 1e3) : unit === 'MiB' ? formatKb(x * 1024) : `${sig3(x)} ${unit}`;
}

function formatChange(x) {
  if (!Number.isFinite(x)) return '';
  // Shown as "better/worse by": positive means worse.
  return x > 0 ? `${(x * 100).toFixed(1)} % worse` : `${(-x * 100).toFixed(1)} % better`;
}

function formatTarget(t, unit) {
  if (!t) return '';
  return t.min !== undefined ? `≥ ${formatFigure(t.min, unit)}` : `≤ ${formatFigure(t.max, unit)}`;
}

/**
 * A case's figures (bench/lib/figures.mjs) against the last recorded ones,
 * as a Markdown table: wall-clock and CPU-time values, the recorded wall
 * value, the changes, and the status.
 */
export function figuresMarkdown(c) {
  const rec = c.recorded ? ` (recorded ${c.recorded.recordedAt.slice(0, 10)} at ${c.recorded.commit})` : ' (nothing recorded for this case yet)';
  const lines = [`Figures against bench/baseline.json${rec}:`, '', '| figure | wall | CPU | target | recorded wall | recorded CPU | change (wall / CPU) | status |', '|---|--:|--:|--:|--:|--:|---|---|'];
  for (const f of c.comparison) {
    if (f.skipped) {
      lines.push(`| ${cell(f.name)} | | | | | | | skipped (${cell(f.skipped)}) |`);
      continue;
    }
    const r = f.recorded;
    const change = f.wallChange !== undefined ? `${formatChange(f.wallChange)} / ${formatChange(f.cpuChange)}` : '';
    lines.push(
      `| ${cell(f.name)} | ${formatFigure(f.wall, f.unit)} | ${formatFigure(f.cpu, f.unit)} | ${formatTarget(f.target, f.unit)} | ${r ? formatFigure(r.wall, f.unit) : ''} | ${r ? formatFigure(r.cpu, f.unit) : ''} | ${change} | ${f.status} |`,
    );
  }
  return lines.join('\n');
}

/** The whole run as Markdown. */
export function resultsMarkdown(results) {
  const o = results.options;
  return [
    `# heapscope benchmark results`,
    '',
    `Run ${results.startedAt} with \`${results.commandLine}\` (${results.mode === 'quick' ? 'quick mode, ' : ''}runs: ${o.runs}, warmup: ${o.warmup}, /proc polling: ${o.pollMs ? `${o.pollMs} ms` : 'off'}).`,
    '',
    machineMarkdown(results.machine),
    '',
    ...results.cases.map((c) => `${caseMarkdown(c)}\n`),
  ].join('\n');
}
