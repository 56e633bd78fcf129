/**
 * Input `heaptrack-10m`: heaptrack recordings (interpreted, zstd, as
 * heaptrack leaves them) of bench/src/churn.c at three lengths: about 2.5 M,
 * 5 M and 10.5 M events (allocations and frees), written by the real
 * heaptrack while the program runs. The live set is the same at every
 * length (at most 4,096 blocks), so memory that grows with the length is
 * the reader's own.
 *
 *   bench/inputs/churn                  the workload binary
 *   bench/inputs/heaptrack-2.5m.zst     churn 1250000
 *   bench/inputs/heaptrack-5m.zst       churn 2500000
 *   bench/inputs/heaptrack-10m.zst      churn 5250000
 *
 * ASLR is off (setarch -R) when possible.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { commandLine, run, which } from '../lib/exec.mjs';
import { compileWorkload } from './jemalloc-32k.mjs';

export const id = 'heaptrack-10m';
export const description = 'heaptrack 1.x recordings of bench/src/churn.c (bounded live set) at about 2.5 M, 5 M and 10.5 M events';
export const outputs = {
  binary: 'bench/inputs/churn',
  events2_5m: 'bench/inputs/heaptrack-2.5m.zst',
  events5m: 'bench/inputs/heaptrack-5m.zst',
  events10m: 'bench/inputs/heaptrack-10m.zst',
};
export const sources = ['bench/src/churn.c'];
export const tools = {
  heaptrack: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'heaptrack'],
  zstd: ['zstd', '--version'],
};

const LENGTHS = [
  ['events2_5m', 1_250_000],
  ['events5m', 2_500_000],
  ['events10m', 5_250_000],
];

/** Counts a recording's event lines (`+` and `-`) with the real zstd. */
async function countEvents(file) {
  const { stdout } = await run(['sh', '-c', `zstd -dc '${file}' | grep -c '^[-+] '`]);
  return Number(stdout.trim());
}

export async function generate({ root, inputsDir, log }) {
  if (!which('heaptrack')) throw new Error('heaptrack not found; apt-get install heaptrack');
  const binary = path.join(root, outputs.binary);
  const compile = await compileWorkload(root, 'bench/src/churn.c', outputs.binary, log);
  const setarch = which('setarch');
  const recordings = {};
  for (const [key, iterations] of LENGTHS) {
    // heaptrack writes heaptrack.churn.<pid>.zst into the directory it runs in.
    const tmp = path.join(inputsDir, `${id}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    const argv = [...(setarch ? ['setarch', '-R'] : []), 'heaptrack', binary, String(iterations)];
    log(commandLine(argv));
    await run(argv, { cwd: tmp });
    const made = readdirSync(tmp).filter((f) => /^heaptrack\.churn\.\d+\.zst$/.test(f));
    if (made.length !== 1) throw new Error(`expected one heaptrack.churn.<pid>.zst in ${tmp}, found: ${readdirSync(tmp).join(', ') || 'nothing'}`);
    const out = path.join(root, outputs[key]);
    renameSync(path.join(tmp, made[0]), out);
    rmSync(tmp, { recursive: true, force: true });
    const events = await countEvents(out);
    // Two events per iteration, give or take the frees of an empty slot.
    if (events < 1.7 * iterations || events > 2.1 * iterations) throw new Error(`${outputs[key]}: ${events} events for ${iterations} iterations`);
    recordings[key] = { iterations, events, bytes: statSync(out).size };
  }
  const big = recordings.events10m;
  if (big.events < 10e6) throw new Error(`${outputs.events10m} has ${big.events} events, fewer than 10 M`);
  const fmt = (n) => n.toLocaleString('en-US');
  return {
    summary: LENGTHS.map(([key]) => `${outputs[key]}: ${fmt(recordings[key].events)} events, ${fmt(recordings[key].bytes)} bytes`).join('; '),
    recordings,
    compile,
    command: `${setarch ? 'setarch -R ' : ''}heaptrack ${outputs.binary} <iterations>`,
    aslr: setarch ? 'off (setarch -R)' : 'on',
  };
}
