/**
 * Input `jemalloc-32k`: a jemalloc heap_v2 dump of about 20 MiB with 32,768
 * distinct stacks, every allocation sampled, written by the real jemalloc
 * (LD_PRELOAD) while bench/src/recursive.c runs.
 *
 *   bench/inputs/recursive          the workload binary (jeprof needs it)
 *   bench/inputs/jemalloc-32k.heap  jemalloc's final dump (prof_final),
 *                                   renamed from bench.<pid>.<seq>.f.heap
 *
 * ASLR is turned off (setarch -R) when possible, so regenerating on the same
 * machine writes the same addresses.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { commandLine, run, which } from '../lib/exec.mjs';

export const id = 'jemalloc-32k';
export const description =
  'jemalloc heap_v2 dump (lg_prof_sample:0, every allocation sampled) of bench/src/recursive.c, 2^15 distinct call paths';
export const outputs = {
  binary: 'bench/inputs/recursive',
  heap: 'bench/inputs/jemalloc-32k.heap',
};
export const sources = ['bench/src/recursive.c'];
export const tools = {
  gcc: ['gcc', '--version'],
  libjemalloc2: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'libjemalloc2'],
};

/** Workload parameters: 2^LEVELS paths; PREFIX extra frames on every stack. */
export const LEVELS = 15;
const PREFIX = 0;
/** How the benchmark workloads (bench/src/*.c) are compiled. */
export const CFLAGS = ['-O1', '-g', '-fno-omit-frame-pointer', '-Wall', '-Wextra'];

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

/** Absolute path of an installed shared library (libjemalloc.so.2, libtcmalloc.so.4), or throws saying which package has it. */
export function findLibrary(name, pkg) {
  const found = LIB_DIRS.map((d) => path.join(d, name)).find((p) => existsSync(p));
  if (!found) throw new Error(`${name} not found (looked in ${LIB_DIRS.join(', ')}); apt-get install ${pkg}`);
  return found;
}

/** Compiles one workload source (repo-relative) to `output` (repo-relative) with CFLAGS; returns the command line. */
export async function compileWorkload(root, source, output, log, extra = []) {
  if (!which('gcc')) throw new Error('gcc not found; apt-get install gcc');
  const compile = ['gcc', ...CFLAGS, '-o', output, source, ...extra];
  log(commandLine(compile));
  await run(compile, { cwd: root });
  return commandLine(compile);
}

/** Counts what a heap_v2 dump holds: stacks, distinct stacks, frames, totals. */
export function inspectDump(file) {
  const text = readFileSync(file, 'latin1');
  const lines = text.split('\n');
  const header = lines[0];
  const total = /^ {2}t\*: (\d+): (\d+) \[/.exec(lines[1] ?? '');
  const stacks = new Set();
  let stackLines = 0;
  let maxFrames = 0;
  let minFrames = Infinity;
  for (const line of lines) {
    if (line.charCodeAt(0) !== 64 /* @ */) continue;
    stackLines++;
    stacks.add(line);
    const frames = line.split(' ').length - 1;
    if (frames > maxFrames) maxFrames = frames;
    if (frames < minFrames) minFrames = frames;
  }
  return {
    header,
    bytes: statSync(file).size,
    stackLines,
    distinctStacks: stacks.size,
    minFrames,
    maxFrames,
    liveObjects: total ? Number(total[1]) : null,
    liveBytes: total ? Number(total[2]) : null,
    hasMaps: text.includes('\nMAPPED_LIBRARIES:\n'),
  };
}

export async function generate({ root, inputsDir, log }) {
  const lib = findLibrary('libjemalloc.so.2', 'libjemalloc-dev');
  const binary = path.join(root, outputs.binary);
  const compile = await compileWorkload(root, 'bench/src/recursive.c', outputs.binary, log);

  // jemalloc writes <prefix>.<pid>.<seq>.f.heap at exit; give it a fresh directory.
  const tmp = path.join(inputsDir, `${id}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const env = {
    LD_PRELOAD: lib,
    MALLOC_CONF: `prof:true,prof_active:true,lg_prof_sample:0,prof_final:true,prof_prefix:${tmp}/bench`,
  };
  const setarch = which('setarch');
  const argv = [...(setarch ? ['setarch', '-R'] : []), binary, String(LEVELS), String(PREFIX)];
  log(commandLine(argv, env));
  const { stdout } = await run(argv, { cwd: tmp, env });
  log(`workload: ${stdout.trim()}`);

  const dumps = readdirSync(tmp).filter((f) => /^bench\.\d+\.\d+\.f\.heap$/.test(f));
  if (dumps.length !== 1) throw new Error(`expected one final dump bench.<pid>.<seq>.f.heap in ${tmp}, found: ${readdirSync(tmp).join(', ') || 'nothing'}`);
  const dump = path.join(tmp, dumps[0]);
  const info = inspectDump(dump);

  // The dump must be what the benchmark claims: every allocation sampled,
  // one stack per path (plus the few allocations of process start-up and
  // stdio), all distinct, about 20 MiB.
  const paths = 2 ** LEVELS;
  const problems = [];
  if (info.header !== 'heap_v2/1') problems.push(`header is "${info.header}", expected "heap_v2/1"`);
  if (info.stackLines < paths || info.stackLines > paths + 64) problems.push(`${info.stackLines} stacks, expected ${paths} + a few`);
  if (info.distinctStacks !== info.stackLines) problems.push(`${info.stackLines - info.distinctStacks} duplicate stacks (merged call instructions?)`);
  if (info.bytes < 15e6 || info.bytes > 30e6) problems.push(`${info.bytes} bytes, expected about 20 MiB`);
  if (!info.hasMaps) problems.push('no MAPPED_LIBRARIES section');
  if (problems.length > 0) throw new Error(`${dump}: ${problems.join('; ')}`);

  renameSync(dump, path.join(root, outputs.heap));
  rmSync(tmp, { recursive: true, force: true });
  const mib = (info.bytes / 2 ** 20).toFixed(1);
  return {
    summary:
      `${info.bytes.toLocaleString('en-US')} bytes (${mib} MiB), ${info.distinctStacks.toLocaleString('en-US')} distinct stacks ` +
      `(${paths.toLocaleString('en-US')} from the workload) of ${info.minFrames}–${info.maxFrames} frames, ` +
      `${info.liveObjects?.toLocaleString('en-US')} live objects, ${info.liveBytes?.toLocaleString('en-US')} live bytes`,
    ...info,
    levels: LEVELS,
    prefixFrames: PREFIX,
    originalName: dumps[0],
    compile,
    command: commandLine(argv.map((a) => (a === binary ? outputs.binary : a)), { ...env, MALLOC_CONF: env.MALLOC_CONF.replace(tmp, '<tmpdir>') }),
    aslr: setarch ? 'off (setarch -R)' : 'on',
  };
}
