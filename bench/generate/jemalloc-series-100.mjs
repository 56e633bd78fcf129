/**
 * Input `jemalloc-series-100`: 100 jemalloc heap_v2 dumps of one process,
 * about 10,000 distinct stacks each, every allocation sampled, with
 * cumulative counts — written by the real jemalloc (LD_PRELOAD) while
 * bench/src/series.c runs: it allocates on 10,000 call paths per round and
 * calls mallctl("prof.dump") after each of its 100 rounds. One site leaks
 * 256,000 B per round, one grows for 20 rounds and then stops, one stays
 * flat, one churns (allocates and frees at once), one jumps up and down
 * (bench/src/series.c has the exact numbers).
 *
 *   bench/inputs/series                        the workload binary
 *   bench/inputs/jemalloc-series-100/series.1.<seq>.m<seq>.heap   seq = 0..99
 *
 * jemalloc names manual dumps <prefix>.<pid>.<seq>.m<seq>.heap; the files
 * keep that form with the pid replaced by 1, so their paths (which the case
 * lists on its command lines) stay the same from one generation to the
 * next. MALLOC_CONF turns off every other dump (prof_final, prof_gdump,
 * lg_prof_interval:-1), so exactly the 100 manual ones are written; ASLR is
 * off (setarch -R).
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { commandLine, run, which } from '../lib/exec.mjs';
import { compileWorkload, findLibrary, inspectDump } from './jemalloc-32k.mjs';

export const id = 'jemalloc-series-100';
export const description =
  'series of 100 jemalloc heap_v2 dumps (lg_prof_sample:0, prof_accum) of one run of bench/src/series.c, 10,000 call paths with leaking, plateauing, flat, churning and noisy sites';

/** Rounds (= dumps) and call paths of the workload. */
export const ROUNDS = 100;
export const PATHS = 10_000;
export const DIR = 'bench/inputs/jemalloc-series-100';
/** The dumps in sequence order. */
export const dumps = Array.from({ length: ROUNDS }, (_, seq) => `${DIR}/series.1.${seq}.m${seq}.heap`);
export const outputs = {
  binary: 'bench/inputs/series',
  ...Object.fromEntries(dumps.map((f, seq) => [`m${seq}`, f])),
};
export const sources = ['bench/src/series.c', 'bench/generate/jemalloc-32k.mjs'];
export const tools = {
  gcc: ['gcc', '--version'],
  libjemalloc2: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'libjemalloc2'],
};

/** The workload's sites and what they hold live after round r (bench/src/series.c). */
export const SITES = {
  leak_site: (r) => 256 * 1000 * r,
  plateau_site: (r) => 512 * 1000 * Math.min(r, 20),
  steady_site: () => 384 * 3000,
  churn_site: () => 0,
  noisy_site: (r) => 320 * 1000 * ((37 * r) % 7),
};
const expectedLive = (r) => Object.values(SITES).reduce((s, f) => s + f(r), 0);

export async function generate({ root, inputsDir, log }) {
  const lib = findLibrary('libjemalloc.so.2', 'libjemalloc-dev');
  const binary = path.join(root, outputs.binary);
  const compile = await compileWorkload(root, 'bench/src/series.c', outputs.binary, log);

  const tmp = path.join(inputsDir, `${id}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const env = {
    LD_PRELOAD: lib,
    MALLOC_CONF: `prof:true,prof_active:true,prof_accum:true,lg_prof_sample:0,prof_final:false,prof_gdump:false,lg_prof_interval:-1,prof_prefix:${tmp}/series`,
  };
  const setarch = which('setarch');
  const argv = [...(setarch ? ['setarch', '-R'] : []), binary, String(ROUNDS), String(PATHS)];
  log(commandLine(argv, env));
  const { stdout } = await run(argv, { cwd: tmp, env });
  log(`workload: ${stdout.trim()}`);

  // Exactly the 100 manual dumps of one process, seq 0..99.
  const names = readdirSync(tmp);
  const found = names.map((f) => /^series\.(\d+)\.(\d+)\.m(\d+)\.heap$/.exec(f));
  if (found.some((m) => !m) || names.length !== ROUNDS) throw new Error(`expected ${ROUNDS} dumps series.<pid>.<seq>.m<seq>.heap in ${tmp}, found ${names.length}: ${names.slice(0, 5).join(', ')}…`);
  const pid = found[0][1];
  const bySeq = new Map(found.map((m) => [Number(m[2]), m[0]]));
  const problems = [];
  const stacks = [];
  let bytes = 0;
  let extra = null;
  for (let seq = 0; seq < ROUNDS; seq++) {
    const name = bySeq.get(seq);
    if (!name || !name.startsWith(`series.${pid}.`) || !name.endsWith(`.m${seq}.heap`)) {
      problems.push(`no dump series.${pid}.${seq}.m${seq}.heap`);
      continue;
    }
    const info = inspectDump(path.join(tmp, name));
    bytes += info.bytes;
    stacks.push(info.distinctStacks);
    // Every allocation sampled, every path in every dump (prof_accum keeps
    // the stacks whose blocks are all freed), and the live bytes the
    // workload says, plus what process start-up holds (the same in every dump).
    if (info.header !== 'heap_v2/1') problems.push(`${name}: header "${info.header}"`);
    if (info.distinctStacks !== info.stackLines || info.distinctStacks < PATHS || info.distinctStacks > PATHS + 64) problems.push(`${name}: ${info.stackLines} stacks (${info.distinctStacks} distinct), expected ${PATHS} + a few`);
    const startup = info.liveBytes - expectedLive(seq + 1);
    if (extra === null) extra = startup;
    if (startup !== extra || startup < 0 || startup > 2 ** 20) problems.push(`${name}: ${info.liveBytes} live bytes, expected ${expectedLive(seq + 1)} + the start-up's ${extra}`);
    if (!info.hasMaps) problems.push(`${name}: no MAPPED_LIBRARIES section`);
  }
  if (problems.length > 0) throw new Error(`${tmp}: ${problems.slice(0, 10).join('; ')}`);

  rmSync(path.join(root, DIR), { recursive: true, force: true });
  mkdirSync(path.join(root, DIR));
  for (let seq = 0; seq < ROUNDS; seq++) renameSync(path.join(tmp, bySeq.get(seq)), path.join(root, dumps[seq]));
  rmSync(tmp, { recursive: true, force: true });
  const n = (x) => x.toLocaleString('en-US');
  return {
    summary:
      `${ROUNDS} dumps, ${n(bytes)} bytes in all (${(bytes / ROUNDS / 2 ** 20).toFixed(1)} MiB each on average), ` +
      `${n(Math.min(...stacks))}–${n(Math.max(...stacks))} distinct stacks each; leak_site +256,000 B per dump, ` +
      `${(expectedLive(ROUNDS) / 1e6).toFixed(1)} MB live in the workload's sites at the end (+ ${n(extra)} B from process start-up)`,
    rounds: ROUNDS,
    paths: PATHS,
    bytes,
    minStacks: Math.min(...stacks),
    maxStacks: Math.max(...stacks),
    startupLiveBytes: extra,
    finalLiveBytes: expectedLive(ROUNDS) + extra,
    originalNames: `series.${pid}.<seq>.m<seq>.heap`,
    compile,
    command: commandLine(argv.map((a) => (a === binary ? outputs.binary : a)), { ...env, MALLOC_CONF: env.MALLOC_CONF.replace(tmp, '<tmpdir>') }),
    aslr: setarch ? 'off (setarch -R)' : 'on',
  };
}

