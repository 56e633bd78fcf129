/**
 * Input `fleet-1000`: a fleet's dumps — 10 hosts × 100 hourly jemalloc
 * heap_v2 dumps of about 10,000 distinct stacks each (1,000 dumps), every
 * allocation sampled, with cumulative counts — written by the real jemalloc
 * (LD_PRELOAD) while bench/src/fleet.c runs once per host. Two call sites
 * (leak_a_site, leak_b_site) leak on three hosts (LEAK_HOSTS) and hold a
 * flat amount on the other seven.
 *
 *   bench/inputs/fleet                                    the workload binary
 *   bench/inputs/fleet-1000/host<H>/fleet.<H>.<seq>.m<seq>.heap   H = 0..9, seq = 0..99
 *
 * Each dump's modification time is its hour: host H's dump seq is at
 * FLEET_START + seq hours (the same hour on every host), as a fleet that
 * dumps hourly would leave them; ingest takes a dump's time from it. The
 * pid in jemalloc's names is replaced by the host number, so the paths
 * (listed on the benchmark's command lines) stay the same from one
 * generation to the next. ASLR is off (setarch -R).
 */
import { mkdirSync, readdirSync, renameSync, rmSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { commandLine, run, which } from '../lib/exec.mjs';
import { compileWorkload, findLibrary, inspectDump } from './jemalloc-32k.mjs';

export const id = 'fleet-1000';
export const description =
  '10 hosts × 100 hourly jemalloc heap_v2 dumps (lg_prof_sample:0, prof_accum) of bench/src/fleet.c, 10,000 call paths each; leak_a_site and leak_b_site leak on hosts 2, 5 and 7';

export const HOSTS = 10;
export const ROUNDS = 100;
export const PATHS = 10_000;
/** The hosts where the two sites leak. */
export const LEAK_HOSTS = [2, 5, 7];
/** The two leaking sites and what each leaks per round (1,000 paths each). */
export const LEAK_SITES = { leak_a_site: 256_000, leak_b_site: 128_000 };
/** The first dump's time (ms since the epoch); dump seq is seq hours later. */
export const FLEET_START = Date.UTC(2026, 10, 1, 0, 0, 0);
export const DIR = 'bench/inputs/fleet-1000';
export const hostName = (h) => `host${h}`;
/** The dumps of host h, in order. */
export const hostDumps = (h) => Array.from({ length: ROUNDS }, (_, seq) => `${DIR}/${hostName(h)}/fleet.${h}.${seq}.m${seq}.heap`);
/** Every dump, host by host. */
export const dumps = Array.from({ length: HOSTS }, (_, h) => hostDumps(h)).flat();
export const outputs = {
  binary: 'bench/inputs/fleet',
  ...Object.fromEntries(dumps.map((f) => [f.slice(DIR.length + 1), f])),
};
export const sources = ['bench/src/fleet.c', 'bench/generate/jemalloc-32k.mjs'];
export const tools = {
  gcc: ['gcc', '--version'],
  libjemalloc2: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'libjemalloc2'],
};

export async function generate({ root, inputsDir, log }) {
  const lib = findLibrary('libjemalloc.so.2', 'libjemalloc-dev');
  const binary = path.join(root, outputs.binary);
  const compile = await compileWorkload(root, 'bench/src/fleet.c', outputs.binary, log);
  rmSync(path.join(root, DIR), { recursive: true, force: true });
  const setarch = which('setarch');
  let bytes = 0;
  const stacks = [];
  let command = '';
  for (let h = 0; h < HOSTS; h++) {
    const tmp = path.join(inputsDir, `${id}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    const env = {
      LD_PRELOAD: lib,
      MALLOC_CONF: `prof:true,prof_active:true,prof_accum:true,lg_prof_sample:0,prof_final:false,prof_gdump:false,lg_prof_interval:-1,prof_prefix:${tmp}/fleet`,
    };
    const leak = LEAK_HOSTS.includes(h) ? 1 : 0;
    const argv = [...(setarch ? ['setarch', '-R'] : []), binary, String(ROUNDS), String(PATHS), String(leak)];
    if (h === 0) command = commandLine(argv.map((a) => (a === binary ? outputs.binary : a)), { ...env, MALLOC_CONF: env.MALLOC_CONF.replace(tmp, '<tmpdir>') });
    const { stdout } = await run(argv, { cwd: tmp, env });
    log(`${hostName(h)}: ${stdout.trim()}`);
    const names = readdirSync(tmp);
    const found = names.map((f) => /^fleet\.(\d+)\.(\d+)\.m(\d+)\.heap$/.exec(f));
    if (found.some((m) => !m) || names.length !== ROUNDS) throw new Error(`${hostName(h)}: expected ${ROUNDS} dumps fleet.<pid>.<seq>.m<seq>.heap, found ${names.length}`);
    const to = path.join(root, DIR, hostName(h));
    mkdirSync(to, { recursive: true });
    for (const m of found) {
      const seq = Number(m[2]);
      const file = path.join(root, hostDumps(h)[seq]);
      renameSync(path.join(tmp, m[0]), file);
      const info = inspectDump(file);
      if (info.header !== 'heap_v2/1' || info.distinctStacks < PATHS || !info.hasMaps) throw new Error(`${file}: header ${info.header}, ${info.distinctStacks} stacks, maps ${info.hasMaps}`);
      bytes += info.bytes;
      stacks.push(info.distinctStacks);
      const t = (FLEET_START + seq * 3_600_000) / 1000;
      utimesSync(file, t, t);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  const n = (x) => x.toLocaleString('en-US');
  return {
    summary: `${HOSTS * ROUNDS} dumps (${HOSTS} hosts × ${ROUNDS}), ${n(bytes)} bytes in all (${(bytes / (HOSTS * ROUNDS) / 2 ** 20).toFixed(2)} MiB each), ${n(Math.min(...stacks))}–${n(Math.max(...stacks))} distinct stacks each; leak_a_site and leak_b_site leak on ${LEAK_HOSTS.map(hostName).join(', ')}`,
    hosts: HOSTS,
    rounds: ROUNDS,
    paths: PATHS,
    bytes,
    leakHosts: LEAK_HOSTS.map(hostName),
    compile,
    command,
    aslr: setarch ? 'off (setarch -R)' : 'on',
  };
}
