/**
 * Input `cppcheck-gperftools`: gperftools heap profiles of a real C++
 * program — cppcheck checking the 95 cgo C files of the Go distribution,
 * the run of `cppcheck-jemalloc` — written by the real gperftools heap
 * profiler (LD_PRELOAD=libtcmalloc.so.4, HEAPPROFILE), one dump every
 * 16 MB allocated:
 *
 *   HEAPPROFILE=<dir>/cppcheck HEAP_PROFILE_ALLOCATION_INTERVAL=16000000
 *   HEAP_PROFILE_INUSE_INTERVAL=1 TiB (out of reach) HEAP_PROFILE_DEALLOCATION_INTERVAL=0
 *   HEAP_PROFILE_TIME_INTERVAL=0
 *
 * The run allocates about 350 MB, so gperftools writes some 21 dumps plus
 * one at exit; the first SERIES interval dumps are kept, under their own
 * names:
 *
 *   bench/inputs/cppcheck-gperftools/cppcheck.0001.heap … .0016.heap
 *   bench/inputs/cppcheck-gperftools.peak.heap   a copy of the one of them
 *                                                with the most bytes in use
 *
 * Why no single big dump: gperftools 2.10 (Debian 12) writes a HEAPPROFILE
 * dump through one 1 MiB buffer and leaves out the rows that do not fit
 * (see bench/generate/gperftools-32k.mjs). Its rows come largest in-use
 * first, so each dump here still holds every stack with bytes in use (the
 * rows' in-use sum equals the header's: checked) but only some of the
 * stacks whose blocks were all freed, so their alloc_space is incomplete;
 * the heap checker, which writes without that limit, reports only what
 * is left at exit, and cppcheck frees nearly everything. A real cppcheck
 * profile is therefore 1 MiB; the series of 16 is what the case also
 * times, summed (as `go tool pprof` sums several profiles).
 *
 * ASLR off, environment reset to PATH, the variables applied after setarch.
 */
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { commandLine, run } from '../lib/exec.mjs';
import { CPPCHECK_TOOLS, describeSources, ensureCppcheck, profiledArgv } from '../lib/cppcheck.mjs';
import { inspectLegacyDump } from './gperftools-32k.mjs';
import { findLibrary } from './jemalloc-32k.mjs';

export const id = 'cppcheck-gperftools';
export const description =
  'gperftools HEAPPROFILE dumps (one per 16 MB allocated, each cut to 1 MiB by gperftools 2.10) of cppcheck (Debian, C++) checking 95 C files';
/** Interval dumps kept. */
export const SERIES = 16;
export const DIR = 'bench/inputs/cppcheck-gperftools';
/** The kept dumps, in order. */
export const dumps = Array.from({ length: SERIES }, (_, i) => `${DIR}/cppcheck.${String(i + 1).padStart(4, '0')}.heap`);
export const outputs = {
  peak: 'bench/inputs/cppcheck-gperftools.peak.heap',
  ...Object.fromEntries(dumps.map((f, i) => [`d${i + 1}`, f])),
};
export const sources = ['bench/lib/cppcheck.mjs', 'bench/generate/gperftools-32k.mjs', 'bench/generate/jemalloc-32k.mjs'];
export const tools = {
  libgoogleperftools4: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'libgoogle-perftools4'],
  ...CPPCHECK_TOOLS,
};

const INTERVAL = 16_000_000;
const NEVER = String(2 ** 40);
/** gperftools 2.10's dump buffer (kProfileBufferSize). */
const CAP = 1 << 20;

export async function generate({ inputsDir, root, log }) {
  const lib = findLibrary('libtcmalloc.so.4', 'libgoogle-perftools4');
  const cppcheck = await ensureCppcheck(log);
  const tmp = path.join(inputsDir, `${id}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const vars = [
    `HEAPPROFILE=${tmp}/cppcheck`,
    `HEAP_PROFILE_ALLOCATION_INTERVAL=${INTERVAL}`,
    `HEAP_PROFILE_INUSE_INTERVAL=${NEVER}`,
    'HEAP_PROFILE_DEALLOCATION_INTERVAL=0',
    'HEAP_PROFILE_TIME_INTERVAL=0',
    `LD_PRELOAD=${lib}`,
  ];
  const argv = profiledArgv(vars, [...cppcheck.argv('snapshots'), '--output-file=/dev/null']);
  log(commandLine(argv));
  await run(argv, { cwd: tmp });
  const written = readdirSync(tmp).filter((f) => /^cppcheck\.\d{4}\.heap$/.test(f)).sort();
  // The last dump is the one at exit ("Exiting, N bytes in use"); the others are interval dumps.
  if (written.length < SERIES + 1) throw new Error(`gperftools wrote ${written.length} dumps (${written.join(', ')}), expected at least ${SERIES} interval dumps and one at exit: lower INTERVAL`);
  const kept = written.slice(0, SERIES);
  const infos = kept.map((f) => ({ file: f, ...inspectLegacyDump(path.join(tmp, f)) }));
  const problems = [];
  for (const d of infos) {
    if (d.type !== 'heapprofile') problems.push(`${d.file}: header "${d.header}", expected "… @ heapprofile"`);
    if (d.bytes > CAP) problems.push(`${d.file}: ${d.bytes} bytes, more than gperftools 2.10's ${CAP}-byte buffer (a newer gperftools? then the cap note is wrong)`);
    if (d.liveBytes !== d.headerBytes || d.liveObjects !== d.headerObjects) problems.push(`${d.file}: rows hold ${d.liveObjects} objects / ${d.liveBytes} B in use, the header ${d.headerObjects} / ${d.headerBytes}`);
    if (!d.hasMaps) problems.push(`${d.file}: no MAPPED_LIBRARIES section`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  rmSync(path.join(root, DIR), { recursive: true, force: true });
  mkdirSync(path.join(root, DIR), { recursive: true });
  for (const f of kept) renameSync(path.join(tmp, f), path.join(root, DIR, f));
  const peak = infos.reduce((a, b) => (b.headerBytes > a.headerBytes ? b : a));
  copyFileSync(path.join(root, DIR, peak.file), path.join(root, outputs.peak));
  rmSync(tmp, { recursive: true, force: true });
  const n = (x) => x.toLocaleString('en-US');
  const sum = (k) => infos.reduce((s, d) => s + d[k], 0);
  return {
    summary:
      `\`${describeSources('snapshots')}\` under HEAPPROFILE: ${written.length} dumps (${written.length - 1} every ${n(INTERVAL)} B allocated, one at exit); the first ${SERIES} kept, ` +
      `${n(sum('bytes'))} bytes in all (${n(Math.min(...infos.map((d) => d.bytes)))}–${n(Math.max(...infos.map((d) => d.bytes)))} each: the 1 MiB cap), ${n(Math.min(...infos.map((d) => d.rows)))}–${n(Math.max(...infos.map((d) => d.rows)))} rows each, ` +
      `${n(sum('headerBytes'))} B in use summed; the peak dump ${peak.file} holds ${n(peak.headerBytes)} B in use in ${n(peak.rows)} rows (copied to ${outputs.peak})`,
    interval: INTERVAL,
    written: written.length,
    dumps: infos.map(({ file, bytes, rows, distinctStacks, headerObjects, headerBytes }) => ({ file, bytes, rows, distinctStacks, headerObjects, headerBytes })),
    peak: peak.file,
    command: commandLine(argv.map((a) => a.replace(tmp, '<tmpdir>').replace(`PATH=${process.env.PATH}`, 'PATH=$PATH'))),
  };
}
