/**
 * Input `cppcheck-jemalloc`: the jemalloc heap_v2 dump of a real C++
 * program — cppcheck (the Debian package, bench/lib/cppcheck.mjs) checking
 * the 95 cgo C files of the Go distribution — written by the real jemalloc
 * 5.3 (LD_PRELOAD=libjemalloc.so.2) at exit:
 *
 *   MALLOC_CONF=prof:true,prof_active:true,lg_prof_sample:0,prof_accum:true,prof_final:true,prof_prefix:…
 *
 * Every allocation is sampled (lg_prof_sample:0) and counted cumulatively
 * (prof_accum), so the final dump lists every allocation stack of the run,
 * about 40k of them (jemalloc unwinds with libgcc, through the DWARF CFI,
 * so the stacks are whole although nothing keeps frame pointers): about
 * 20 MB, the size of the synthetic jemalloc-32k dump. What cppcheck still
 * holds at exit is little (inuse_space is some 80 KB); alloc_space holds
 * the run's 370 MB. ASLR is off, the environment reset to PATH.
 *
 *   bench/inputs/cppcheck-jemalloc.heap   renamed from cppcheck.<pid>.<seq>.f.heap
 *
 * jeprof symbolizes it against /usr/bin/cppcheck, named on its command line.
 */
import { closeSync, mkdirSync, openSync, readSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { commandLine, run } from '../lib/exec.mjs';
import { CPPCHECK_TOOLS, describeSources, ensureCppcheck, profiledArgv } from '../lib/cppcheck.mjs';
import { findLibrary, inspectDump } from './jemalloc-32k.mjs';

export const id = 'cppcheck-jemalloc';
export const description =
  'jemalloc heap_v2 dump (lg_prof_sample:0, prof_accum: every allocation stack of the run) of cppcheck (Debian, C++) checking 95 C files, written at exit';
export const outputs = { heap: 'bench/inputs/cppcheck-jemalloc.heap' };
export const sources = ['bench/lib/cppcheck.mjs', 'bench/generate/jemalloc-32k.mjs'];
export const tools = {
  libjemalloc2: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'libjemalloc2'],
  ...CPPCHECK_TOOLS,
};

export async function generate({ inputsDir, root, log }) {
  const lib = findLibrary('libjemalloc.so.2', 'libjemalloc-dev');
  const cppcheck = await ensureCppcheck(log);
  const tmp = path.join(inputsDir, `${id}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const conf = `prof:true,prof_active:true,lg_prof_sample:0,prof_accum:true,prof_final:true,prof_prefix:${tmp}/cppcheck`;
  const argv = profiledArgv([`LD_PRELOAD=${lib}`, `MALLOC_CONF=${conf}`], [...cppcheck.argv('snapshots'), '--output-file=/dev/null']);
  log(commandLine(argv));
  await run(argv, { cwd: tmp });
  const dumps = readdirSync(tmp).filter((f) => /^cppcheck\.\d+\.\d+\.f\.heap$/.test(f));
  if (dumps.length !== 1) throw new Error(`expected one final dump cppcheck.<pid>.<seq>.f.heap in ${tmp}, found: ${readdirSync(tmp).join(', ') || 'nothing'}`);
  const info = inspectDump(path.join(tmp, dumps[0]));
  const allocated = /^ {2}t\*: \d+: \d+ \[(\d+): (\d+)\]/m.exec(readHead(path.join(tmp, dumps[0])));

  // What the benchmark claims: a real 15–30 MB dump with tens of thousands of stacks.
  const problems = [];
  if (info.header !== 'heap_v2/1') problems.push(`header is "${info.header}", expected "heap_v2/1" (every allocation sampled)`);
  if (info.distinctStacks < 20_000) problems.push(`${info.distinctStacks} distinct stacks, expected tens of thousands`);
  if (info.bytes < 10e6 || info.bytes > 40e6) problems.push(`${info.bytes} bytes, expected about 20 MB`);
  if (!info.hasMaps) problems.push('no MAPPED_LIBRARIES section');
  if (problems.length > 0) throw new Error(`${dumps[0]}: ${problems.join('; ')}`);
  renameSync(path.join(tmp, dumps[0]), path.join(root, outputs.heap));
  rmSync(tmp, { recursive: true, force: true });
  const n = (x) => x.toLocaleString('en-US');
  return {
    summary:
      `\`${describeSources('snapshots')}\` under jemalloc: ${n(info.bytes)} bytes (${(info.bytes / 2 ** 20).toFixed(1)} MiB), ${n(info.distinctStacks)} distinct stacks of ${info.minFrames}–${info.maxFrames} frames; ` +
      `${n(Number(allocated?.[1]))} allocations (${n(Number(allocated?.[2]))} B) in the run, ${n(info.liveObjects)} objects (${n(info.liveBytes)} B) live at exit`,
    ...info,
    allocatedObjects: Number(allocated?.[1]),
    allocatedBytes: Number(allocated?.[2]),
    originalName: dumps[0],
    command: commandLine(argv.map((a) => a.replace(tmp, '<tmpdir>').replace(`PATH=${process.env.PATH}`, 'PATH=$PATH'))),
  };
}

/** The first 4 KB of a file, as text. */
function readHead(file) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    return buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}
