/**
 * Input `cppcheck-perf`: real captures of a real C++ program under perf's
 * malloc/calloc/realloc/free uprobes (the probes of
 * fixtures/scripts/perf.sh): cppcheck (the Debian package, bench/lib/cppcheck.mjs)
 * checking one 6 KB C file of the Go distribution, recorded twice —
 *
 *   bench/inputs/cppcheck-perf.fp.data, .fp.txt
 *       `perf record -g -m 64M`: frame-pointer callchains. Neither cppcheck
 *       nor libstdc++ keeps frame pointers, so most callchains run on
 *       through heap and stack words up to perf's 127-frame limit: some
 *       600 MB of text, as unkind as the 552 MB cppcheck capture of issue 23;
 *   bench/inputs/cppcheck-perf.dwarf.data, .dwarf.txt
 *       `perf record --call-graph dwarf,4096 -m 1G`: 4 KiB of stack copied
 *       per record and unwound by perf script with the DWARF CFI: exact,
 *       shorter stacks with long C++ names (about 1.5 GB of perf.data, 300
 *       MB of text);
 *
 * each printed by `perf script -i <data>`. ASLR is off, the environment
 * reset to PATH; cppcheck's findings go to /dev/null (--output-file).
 * perf writes the DWARF recording to /dev/shm when it has room: on this
 * machine's disk the writer fell behind the probes and perf lost chunks.
 * A recording that lost anything fails, as does text smaller than claimed.
 *
 * `cppcheck-perf-small` (the --quick input) is the same recording of a
 * 1 KB file, made by the same code (`generateCaptures`).
 */
import { mkdirSync, rmSync, statSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { run } from '../lib/exec.mjs';
import { CPPCHECK_TOOLS, describeSources, ensureCppcheck } from '../lib/cppcheck.mjs';
import { PERF_PROBE_SOURCES, checkPerf, perfScript, recordUprobes, scanPerfText } from '../lib/perf.mjs';

export const id = 'cppcheck-perf';
export const description =
  'real perf captures of cppcheck (Debian, C++) under the malloc/calloc/realloc/free uprobes: frame-pointer callchains (broken through libstdc++) and DWARF callchains, perf.data and perf script text';
export const outputs = {
  fpData: 'bench/inputs/cppcheck-perf.fp.data',
  fpText: 'bench/inputs/cppcheck-perf.fp.txt',
  dwarfData: 'bench/inputs/cppcheck-perf.dwarf.data',
  dwarfText: 'bench/inputs/cppcheck-perf.dwarf.txt',
};
export const sources = [...PERF_PROBE_SOURCES, 'bench/lib/cppcheck.mjs'];
export const tools = { perf: ['perf', '--version'], ...CPPCHECK_TOOLS };

/** perf record's callchain options per capture. */
export const CAPTURES = [
  { name: 'fp', callgraph: '-g -m 64M' },
  { name: 'dwarf', callgraph: '--call-graph dwarf,4096 -m 1G' },
];

/** Where perf writes: tmpfs when it has room for `bytes`, else next to the inputs. */
function scratchDir(inputsDir, id, bytes) {
  try {
    const s = statfsSync('/dev/shm');
    if (s.bavail * s.bsize > bytes) return path.join('/dev/shm', `heapscope-bench-${id}`);
  } catch {
    // no /dev/shm
  }
  return path.join(inputsDir, `${id}.tmp`);
}

const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
const fmt = (n) => n.toLocaleString('en-US');

/**
 * Records cppcheck on source set `set` (bench/lib/cppcheck.mjs) with both
 * callchain modes and prints each recording as text into `outs` ({ fpData,
 * fpText, dwarfData, dwarfText }); `minBytes` ({ fp, dwarf }) is the least
 * text each must have.
 */
export async function generateCaptures({ root, inputsDir, log }, { id, set, outs, minBytes }) {
  checkPerf(id);
  const cppcheck = await ensureCppcheck(log);
  const argv = [...cppcheck.argv(set), '--output-file=/dev/null'];
  const dir = scratchDir(inputsDir, id, 4e9);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    log(`perf record ${CAPTURES.map((c) => `(${c.callgraph})`).join(', then ')} -- ${argv.join(' ')}  [in ${dir}]`);
    await recordUprobes({ root, dir, argv, captures: CAPTURES });
    const meta = { command: `${describeSources(set)} --output-file=/dev/null`, captures: {} };
    for (const { name, callgraph } of CAPTURES) {
      const data = path.join(root, outs[`${name}Data`]);
      const text = path.join(root, outs[`${name}Text`]);
      rmSync(data, { force: true });
      await run(['mv', path.join(dir, `${name}.data`), data]);
      log(`perf script -i ${outs[`${name}Data`]} > ${outs[`${name}Text`]}`);
      await perfScript(data, text);
      const scan = await scanPerfText(text);
      if (scan.bytes < minBytes[name]) throw new Error(`${outs[`${name}Text`]}: ${mb(scan.bytes)} of text, expected at least ${mb(minBytes[name])}`);
      meta.captures[name] = { callgraph, dataBytes: statSync(data).size, ...scan };
      log(`${name}: ${mb(scan.bytes)} of text, ${fmt(scan.records)} records, ${fmt(scan.recordsAtMaxStack)} with ${127}-frame callchains`);
    }
    const { fp, dwarf } = meta.captures;
    meta.summary =
      `\`${meta.command}\` under every probe, no lost events: frame pointers (\`perf record -g\`) ${mb(fp.bytes)} of text ` +
      `(${fmt(fp.records)} records, ${fmt(fp.frames)} frames, ${fmt(fp.recordsAtMaxStack)} records with ${127}-frame callchains, ${fmt(fp.framesWithoutMapping)} frames in no mapping) from ${mb(fp.dataBytes)} of perf.data; ` +
      `DWARF (\`--call-graph dwarf,4096\`) ${mb(dwarf.bytes)} of text (${fmt(dwarf.records)} records, at most ${dwarf.maxFrames} frames) from ${mb(dwarf.dataBytes)} of perf.data`;
    return meta;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function generate(ctx) {
  return generateCaptures(ctx, { id, set: 'perf', outs: outputs, minBytes: { fp: 400e6, dwarf: 200e6 } });
}
