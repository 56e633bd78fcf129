#!/usr/bin/env node
/**
 * Where a heapscope command spends its time: runs it once under
 * `node --cpu-prof` and summarizes the profile by self time — per function
 * and per source file of the TypeScript packages (the CLI is one bundle;
 * its source map, packages/cli/dist/heapscope.cjs.map, gives each bundled
 * function's file and line), plus V8's own entries (garbage collector,
 * program, idle). Node built-ins only.
 *
 *   node bench/cpu-profile.mjs [--top N] [--keep DIR] [--callers NAME]... -- <heapscope arguments>
 *   node bench/cpu-profile.mjs [--top N] [--callers NAME]... --summarize FILE.cpuprofile
 *
 * e.g. `node bench/cpu-profile.mjs -- top --no-symbolize bench/inputs/cppcheck-perf.fp.txt`.
 * The command's stdout is discarded; the summary (Markdown) goes to stdout, one per
 * thread when the command starts workers (the main thread's first).
 * --keep DIR keeps the .cpuprofile (open it in Chrome DevTools or speedscope).
 * --callers NAME splits the self time of the functions named NAME by their
 * callers (e.g. how much of a scanner's time each of its call sites costs).
 *
 * Self time is what the sampled function itself ran, without its callees;
 * V8 inlines small functions into their callers, whose self time then
 * includes them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { SourceMap } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HEAPSCOPE_BIN, ROOT, commandLine } from './lib/exec.mjs';

const BUNDLE_MAP = path.join(ROOT, 'packages/cli/dist/heapscope.cjs.map');

function loadSourceMap() {
  try {
    return new SourceMap(JSON.parse(readFileSync(BUNDLE_MAP, 'utf8')));
  } catch {
    return null;
  }
}

/** Repository-relative source of a bundled position, or the script's own name. */
function locate(map, frame) {
  const url = frame.url.replace(/^file:\/\//, '');
  if (map && url.endsWith('heapscope.cjs')) {
    const e = map.findEntry(frame.lineNumber, frame.columnNumber);
    if (e && e.originalSource) {
      const file = e.originalSource.replace(/^file:\/\//, '');
      const rel = path.relative(ROOT, path.resolve(path.dirname(BUNDLE_MAP), file));
      return { file: rel, line: e.originalLine + 1 };
    }
  }
  if (!url) return { file: '(V8)', line: 0 };
  if (url.startsWith('node:')) return { file: 'node: built-ins', line: frame.lineNumber + 1 };
  return { file: path.relative(ROOT, url) || url, line: frame.lineNumber + 1 };
}

/** Summary of a .cpuprofile as Markdown. */
export function summarize(profile, { top = 25, callers = [] } = {}) {
  const map = loadSourceMap();
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const self = new Map(profile.nodes.map((n) => [n.id, 0]));
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], self.get(profile.samples[i]) + (profile.timeDeltas[i] ?? 0) / 1000);
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map();
  const byFile = new Map();
  for (const n of profile.nodes) {
    const ms = self.get(n.id);
    if (!ms) continue;
    const f = n.callFrame;
    const where = locate(map, f);
    const name = f.functionName || (where.file === '(V8)' ? '(V8)' : '(anonymous)');
    const key = `${name}\u0000${where.file}:${where.line}`;
    const entry = byFunction.get(key) ?? { name, where: where.file === '(V8)' ? '' : `${where.file}:${where.line}`, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
    const file = /^\(/.test(name) && where.file === '(V8)' ? name : where.file;
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }
  const pct = (ms) => `${((100 * ms) / totalMs).toFixed(1)} %`;
  const ms = (x) => `${x.toFixed(0)} ms`;
  const lines = [`${ms(totalMs)} of samples (${profile.samples.length} samples).`, '', `Self time by function (top ${top}):`, '', '| function | where | self | share |', '|---|---|--:|--:|'];
  for (const e of [...byFunction.values()].sort((a, b) => b.ms - a.ms).slice(0, top)) lines.push(`| ${e.name} | ${e.where} | ${ms(e.ms)} | ${pct(e.ms)} |`);
  lines.push('', 'Self time by source file:', '', '| file | self | share |', '|---|--:|--:|');
  for (const [file, t] of [...byFile].sort((a, b) => b[1] - a[1]).filter(([, t]) => t >= totalMs / 500)) lines.push(`| ${file} | ${ms(t)} | ${pct(t)} |`);
  for (const name of callers) {
    const byCaller = new Map();
    for (const n of profile.nodes) {
      if (n.callFrame.functionName !== name || !self.get(n.id)) continue;
      const p = parent.get(n.id);
      const where = p ? locate(map, p.callFrame) : { file: '', line: 0 };
      const key = p ? `${p.callFrame.functionName || '(anonymous)'} (${where.file}:${where.line})` : '(root)';
      byCaller.set(key, (byCaller.get(key) ?? 0) + self.get(n.id));
    }
    lines.push('', `Self time of \`${name}\` by caller:`, '', '| caller | self | share of all |', '|---|--:|--:|');
    for (const [k, t] of [...byCaller].sort((a, b) => b[1] - a[1])) lines.push(`| ${k} | ${ms(t)} | ${pct(t)} |`);
  }
  return lines.join('\n');
}

function main() {
  const sep = process.argv.indexOf('--');
  const own = sep < 0 ? process.argv.slice(2) : process.argv.slice(2, sep);
  const { values } = parseArgs({ args: own, options: { top: { type: 'string', default: '25' }, keep: { type: 'string' }, summarize: { type: 'string' }, callers: { type: 'string', multiple: true, default: [] } } });
  const top = Number(values.top);
  const opts = { top, callers: values.callers };
  if (values.summarize) {
    process.stdout.write(`${summarize(JSON.parse(readFileSync(values.summarize, 'utf8')), opts)}\n`);
    return 0;
  }
  if (sep < 0 || sep === process.argv.length - 1) {
    process.stderr.write('usage: node bench/cpu-profile.mjs [--top N] [--keep DIR] [--callers NAME]... -- <heapscope arguments>\n       node bench/cpu-profile.mjs [--top N] [--callers NAME]... --summarize FILE.cpuprofile\n');
    return 2;
  }
  const dir = values.keep ? path.resolve(values.keep) : mkdtempSync(path.join(os.tmpdir(), 'heapscope-cpu-prof-'));
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  const argv = ['--cpu-prof', '--cpu-prof-dir', dir, HEAPSCOPE_BIN, ...process.argv.slice(sep + 1)];
  process.stderr.write(`cpu-profile: node ${commandLine(argv)}\n`);
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`cpu-profile: the command exited with status ${r.status ?? r.signal}\n`);
    return 1;
  }
  // One profile per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): the main thread's (0) first, then workers'.
  const thread = (f) => Number(f.split('.')[4]);
  const made = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && !before.has(f))
    .sort((a, b) => thread(a) - thread(b));
  if (made.length === 0) throw new Error(`no new .cpuprofile in ${dir}`);
  for (const f of made) {
    const file = path.join(dir, f);
    if (made.length > 1) process.stdout.write(`## ${thread(f) === 0 ? 'Main thread' : `Worker thread ${thread(f)}`}\n\n`);
    process.stdout.write(`${summarize(JSON.parse(readFileSync(file, 'utf8')), opts)}\n`);
    if (values.keep) process.stderr.write(`cpu-profile: kept ${file}\n`);
  }
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(ROOT, 'bench', 'cpu-profile.mjs')) process.exitCode = main();
