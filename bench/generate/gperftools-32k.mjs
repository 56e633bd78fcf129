/**
 * Input `gperftools-32k`: a gperftools heap profile (`@ heapprofile`) of
 * about 20 MiB with 32k distinct stacks, written by the real gperftools
 * (LD_PRELOAD=libtcmalloc.so.4) while bench/src/recursive.c runs — the same
 * workload, levels and compiler flags as jemalloc-32k.
 *
 *   bench/inputs/recursive-gperftools  the workload binary (google-pprof and
 *                                      go tool pprof symbolize against it)
 *   bench/inputs/gperftools-32k.heap   the profile, renamed from
 *                                      recursive-gperftools.<pid>._main_-end.heap
 *
 * Why the heap checker and not HEAPPROFILE: gperftools 2.10 (Debian 12)
 * writes a HEAPPROFILE dump through one fixed 1 MiB buffer
 * (kProfileBufferSize in heap-profiler.cc) and drops the rows that do not
 * fit, largest first, without a word: this workload's HEAPPROFILE dump is
 * 1 MiB with 2,015 of its 32,768 buckets (5.4 of 20.5 MB) under a header
 * that counts all of them. The generator still makes that dump (with the
 * profiler's own triggers set out of reach, as fixtures/scripts/gperftools.sh
 * does, so the exit dump is the only one) and records how much of the heap
 * it holds, so the reason stays checked. The heap checker
 * (HEAPCHECK=normal) writes its end-of-program profile row by row instead,
 * in the same `heap profile: … @ heapprofile` format (HeapProfileTable's
 * UnparseBucket): with `recursive … forget` nothing is reachable at exit, so
 * every block the workload allocated is reported — one row per block (a
 * leak profile is per object, so leaf_pair's two blocks per path are two
 * rows with one stack), up to 32 frames (kMaxStackDepth), which is exactly
 * enough for all 15 path bits. The checker's conservative scan may still
 * find a few blocks reachable (from stale stack words); the check below
 * allows that.
 *
 * Both runs are under `setarch -R` (ASLR off), with the environment reset
 * to PATH and the gperftools variables applied by `env` after setarch, as
 * fixtures/scripts/lib.sh does (so setarch itself is not profiled).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { commandLine, run, which } from '../lib/exec.mjs';
import { LEVELS, compileWorkload, findLibrary } from './jemalloc-32k.mjs';

export const id = 'gperftools-32k';
export const description =
  'gperftools heap profile (@ heapprofile, every allocation recorded) of bench/src/recursive.c, 2^15 distinct call paths, written by the heap checker at exit';
export const outputs = {
  binary: 'bench/inputs/recursive-gperftools',
  heap: 'bench/inputs/gperftools-32k.heap',
};
export const sources = ['bench/src/recursive.c', 'bench/generate/jemalloc-32k.mjs'];
export const tools = {
  libgoogleperftools4: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'libgoogle-perftools4'],
};

/** gperftools' interval triggers out of reach (as in fixtures/scripts/gperftools.sh): 1 TiB. */
const NEVER = String(2 ** 40);

/** Rows, distinct stacks, frames and totals of a legacy heap profile (header and row sums). */
export function inspectLegacyDump(file) {
  const text = readFileSync(file, 'latin1');
  const lines = text.split('\n');
  const header = /^heap profile:\s*(\d+):\s*(\d+)\s*\[\s*(\d+):\s*(\d+)\]\s*@\s*(\S+)/.exec(lines[0]);
  const stacks = new Set();
  let rows = 0;
  let objects = 0;
  let bytes = 0;
  let minFrames = Infinity;
  let maxFrames = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('MAPPED_LIBRARIES:')) break;
    const at = line.indexOf(' @ ');
    if (at < 0) continue;
    rows++;
    const m = /^\s*(\d+):\s*(\d+)/.exec(line);
    objects += Number(m[1]);
    bytes += Number(m[2]);
    const stack = line.slice(at + 3);
    stacks.add(stack);
    const frames = stack.split(' ').length;
    if (frames < minFrames) minFrames = frames;
    if (frames > maxFrames) maxFrames = frames;
  }
  return {
    header: lines[0].replace(/\s+/g, ' '),
    type: header?.[5] ?? null,
    headerObjects: header ? Number(header[1]) : null,
    headerBytes: header ? Number(header[2]) : null,
    bytes: statSync(file).size,
    rows,
    distinctStacks: stacks.size,
    minFrames,
    maxFrames,
    liveObjects: objects,
    liveBytes: bytes,
    hasMaps: text.includes('\nMAPPED_LIBRARIES:\n'),
  };
}

/** argv that runs `binary args` with ASLR off, a clean environment and `vars` applied after setarch. */
function profiled(vars, binary, args) {
  const setarch = which('setarch') ? ['setarch', '-R'] : [];
  return ['env', '-i', `PATH=${process.env.PATH}`, ...setarch, 'env', ...vars, binary, ...args];
}

export async function generate({ root, inputsDir, log }) {
  const lib = findLibrary('libtcmalloc.so.4', 'libgoogle-perftools4');
  const binary = path.join(root, outputs.binary);
  const compile = await compileWorkload(root, 'bench/src/recursive.c', outputs.binary, log);
  const tmp = path.join(inputsDir, `${id}.tmp`);
  const args = [String(LEVELS), '0'];

  // 1. HEAPPROFILE, for the record: how much of the heap its exit dump holds.
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const heapprofileVars = [
    `HEAPPROFILE=${tmp}/recursive`,
    `HEAP_PROFILE_ALLOCATION_INTERVAL=${NEVER}`,
    `HEAP_PROFILE_INUSE_INTERVAL=${NEVER}`,
    'HEAP_PROFILE_DEALLOCATION_INTERVAL=0',
    'HEAP_PROFILE_TIME_INTERVAL=0',
    `LD_PRELOAD=${lib}`,
  ];
  const argv1 = profiled(heapprofileVars, binary, args);
  log(commandLine(argv1));
  await run(argv1, { cwd: tmp });
  const profiles = readdirSync(tmp).filter((f) => /^recursive\.\d{4}\.heap$/.test(f));
  if (profiles.length !== 1) throw new Error(`expected one HEAPPROFILE dump recursive.NNNN.heap in ${tmp}, found: ${readdirSync(tmp).join(', ') || 'nothing'}`);
  const cut = inspectLegacyDump(path.join(tmp, profiles[0]));
  log(`HEAPPROFILE exit dump: ${cut.bytes} bytes, ${cut.rows} rows holding ${cut.liveBytes} of the ${cut.headerBytes} bytes its header counts`);

  // 2. The heap checker's end-of-program profile: the benchmark input.
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const heapcheckVars = ['HEAPCHECK=normal', `HEAP_CHECK_DUMP_DIRECTORY=${tmp}`, `LD_PRELOAD=${lib}`];
  const argv2 = profiled(heapcheckVars, binary, [...args, 'forget']);
  log(commandLine(argv2));
  // The checker exits with status 1 when it finds leaks: here, by design.
  const { stdout, status } = await run(argv2, { cwd: tmp, statuses: [0, 1] });
  log(`workload: ${stdout.trim()} (exit status ${status})`);
  const dumps = readdirSync(tmp).filter((f) => /^recursive-gperftools\.\d+\._main_-end\.heap$/.test(f));
  if (dumps.length !== 1) throw new Error(`expected one heap checker profile recursive-gperftools.<pid>._main_-end.heap in ${tmp}, found: ${readdirSync(tmp).join(', ') || 'nothing'}`);
  const dump = path.join(tmp, dumps[0]);
  const info = inspectLegacyDump(dump);

  // What the benchmark claims: a heapprofile of ~20 MiB, ~32k distinct
  // stacks (all the workload's paths, less the few blocks the checker's
  // conservative scan found reachable), and the rows add up to the header.
  const paths = 2 ** LEVELS;
  const blocks = Number(/(\d+) blocks/.exec(stdout)?.[1]);
  if (!Number.isInteger(blocks)) throw new Error(`the workload did not say how many blocks it allocated (stdout: ${JSON.stringify(stdout)})`);
  const problems = [];
  if (info.type !== 'heapprofile') problems.push(`header is "${info.header}", expected "… @ heapprofile"`);
  if (info.distinctStacks < paths * 0.99 || info.distinctStacks > paths + 64) problems.push(`${info.distinctStacks} distinct stacks, expected about ${paths}`);
  if (info.rows < blocks * 0.99 || info.rows > blocks) problems.push(`${info.rows} rows, expected about one per block (${blocks})`);
  if (info.liveObjects !== info.headerObjects || info.liveBytes !== info.headerBytes) problems.push(`rows sum to ${info.liveObjects} objects / ${info.liveBytes} B, header says ${info.headerObjects} / ${info.headerBytes}`);
  if (info.bytes < 15e6 || info.bytes > 30e6) problems.push(`${info.bytes} bytes, expected about 20 MiB`);
  if (!info.hasMaps) problems.push('no MAPPED_LIBRARIES section');
  if (problems.length > 0) throw new Error(`${dump}: ${problems.join('; ')}`);

  renameSync(dump, path.join(root, outputs.heap));
  rmSync(tmp, { recursive: true, force: true });
  const n = (x) => x.toLocaleString('en-US');
  const show = (argv) => commandLine(argv.map((a) => a.replace(tmp, '<tmpdir>').replace(`PATH=${process.env.PATH}`, 'PATH=$PATH').replace(binary, outputs.binary)));
  return {
    summary:
      `${n(info.bytes)} bytes (${(info.bytes / 2 ** 20).toFixed(1)} MiB), ${n(info.rows)} rows (one per leaked block) with ${n(info.distinctStacks)} distinct stacks ` +
      `of ${info.minFrames}–${info.maxFrames} frames, ${n(info.liveObjects)} objects, ${n(info.liveBytes)} bytes; the workload allocated ${n(blocks)} blocks on ${n(paths)} paths`,
    ...info,
    workloadBlocks: blocks,
    levels: LEVELS,
    originalName: dumps[0],
    compile,
    command: show(argv2),
    heapprofileCut: {
      command: show(argv1),
      bytes: cut.bytes,
      rows: cut.rows,
      rowObjects: cut.liveObjects,
      rowBytes: cut.liveBytes,
      headerObjects: cut.headerObjects,
      headerBytes: cut.headerBytes,
    },
    aslr: which('setarch') ? 'off (setarch -R)' : 'on',
  };
}
