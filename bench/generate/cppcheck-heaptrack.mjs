/**
 * Input `cppcheck-heaptrack`: the heaptrack recording of a real C++
 * program — cppcheck checking the 95 cgo C files of the Go distribution,
 * the run of `cppcheck-jemalloc` and `cppcheck-gperftools` — written by the
 * real heaptrack (Debian 1.4) as it leaves it by default: interpreted
 * (heaptrack_interpret resolved the stacks and symbols) and
 * zstd-compressed. About 3.7 M allocations, 7.4 M events.
 *
 *   bench/inputs/cppcheck-heaptrack.zst   `heaptrack -o <tmp>/cppcheck cppcheck …`
 *
 * ASLR off (setarch -R), environment reset to PATH.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { commandLine, run, which } from '../lib/exec.mjs';
import { CPPCHECK_TOOLS, describeSources, ensureCppcheck, profiledArgv } from '../lib/cppcheck.mjs';

export const id = 'cppcheck-heaptrack';
export const description = 'heaptrack recording (interpreted, zstd) of cppcheck (Debian, C++) checking 95 C files';
export const outputs = { recording: 'bench/inputs/cppcheck-heaptrack.zst' };
export const sources = ['bench/lib/cppcheck.mjs'];
export const tools = {
  heaptrack: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'heaptrack'],
  ...CPPCHECK_TOOLS,
};

export async function generate({ inputsDir, root, log }) {
  if (!which('heaptrack')) throw new Error('heaptrack not found; apt-get install heaptrack');
  const cppcheck = await ensureCppcheck(log);
  const tmp = path.join(inputsDir, `${id}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const argv = profiledArgv([], ['heaptrack', '-o', `${tmp}/cppcheck`, ...cppcheck.argv('snapshots'), '--output-file=/dev/null']);
  log(commandLine(argv));
  const { stdout: out1, stderr: err1 } = await run(argv, { cwd: tmp });
  const stdout = `${out1}\n${err1}`;
  const made = readdirSync(tmp).filter((f) => /^cppcheck.*\.zst$/.test(f));
  if (made.length !== 1) throw new Error(`expected one heaptrack recording cppcheck*.zst in ${tmp}, found: ${readdirSync(tmp).join(', ') || 'nothing'}`);
  const out = path.join(root, outputs.recording);
  renameSync(path.join(tmp, made[0]), out);
  rmSync(tmp, { recursive: true, force: true });
  // heaptrack_interpret's own counts, printed at the end of the recording.
  const stat = (label) => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(stdout)?.[1]);
  const allocations = stat('allocations');
  const { stdout: counted } = await run(['sh', '-c', `zstd -dc '${out}' | grep -c '^[-+] '`]);
  const events = Number(counted.trim());
  if (!(events > 5e6)) throw new Error(`${outputs.recording} has ${events} events, expected millions`);
  const n = (x) => x.toLocaleString('en-US');
  const bytes = statSync(out).size;
  return {
    summary: `\`heaptrack ${describeSources('snapshots')}\`: ${n(bytes)} bytes (zstd), ${n(events)} events; heaptrack counted ${n(allocations)} allocations, ${n(stat('temporary allocations'))} temporary, ${n(stat('leaked allocations'))} leaked`,
    bytes,
    events,
    allocations,
    heaptrackStats: stdout.slice(stdout.indexOf('heaptrack stats:')).split('\n').slice(0, 6).join('\n'),
    command: commandLine(argv.map((a) => a.replace(tmp, '<tmpdir>').replace(`PATH=${process.env.PATH}`, 'PATH=$PATH'))),
  };
}
