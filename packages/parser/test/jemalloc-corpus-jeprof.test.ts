/**
 * The jemalloc dumps of the shared corpus against jeprof, run here on the
 * same files: their golden summaries (test/golden/) record what heapscope
 * read, and this says it is right — the total of every sample type, each
 * leaf address's flat value and each address's cum value, as
 * `jeprof --text` computes them.
 *
 * jeprof is given /bin/true as the program: nothing in these dumps is in it
 * (their binaries are not on this machine), so every row stays an address —
 * the leaf as written, callers at address − 1 (jeprof's FixCallerAddresses),
 * cum counting an address once per stack. jeprof prints its estimates
 * truncated (`%d`), so values agree to within 1.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadSnapshot, type HeapProfile } from '@heapscope/parser';
import { CORPUS, HAVE_CORPUS, corpusSkipNote } from '@heapscope/testkit/paths';
import { agrees } from '@heapscope/testkit/reference-tools';

corpusSkipNote();

const PROGRAM = '/bin/true';
const HAVE_JEPROF = (() => {
  try {
    execFileSync('jeprof', ['--version'], { stdio: 'ignore' });
    return existsSync(PROGRAM);
  } catch {
    return false;
  }
})();
if (HAVE_CORPUS && !HAVE_JEPROF) console.warn('[heapscope tests] `jeprof` not found (apt-get install libjemalloc-dev): the corpus jemalloc dumps are not checked against it');

const FILES = ['habersaat-manual-profile.heap', 'pprof-pr690-jemalloc.heap'];

/** `jeprof --text --show_bytes` of one sample type: the total, and flat and cum by address. */
async function jeprof(path: string, type: string): Promise<{ total: number; flat: Map<bigint, number>; cum: Map<bigint, number> }> {
  const { stdout } = await promisify(execFile)('jeprof', ['--text', '--show_bytes', `--${type}`, PROGRAM, path], { maxBuffer: 64 << 20 });
  const lines = stdout.split('\n');
  const total = /^Total: (\d+) (B|objects)$/.exec(lines[0]);
  if (!total) throw new Error(`no total in jeprof's output:\n${stdout}`);
  const flat = new Map<bigint, number>();
  const cum = new Map<bigint, number>();
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const m = /^\s*(-?\d+)\s+\S+%\s+\S+%\s+(-?\d+)\s+\S+%\s+(?:0x)?([0-9a-f]+)$/.exec(line);
    if (!m) throw new Error(`a jeprof row that is not an address: ${line}`);
    const address = BigInt(`0x${m[3]}`);
    if (Number(m[1]) !== 0) flat.set(address, Number(m[1]));
    cum.set(address, Number(m[2]));
  }
  return { total: Number(total[1]), flat, cum };
}

/** heapscope's flat (by leaf) and cum (once per stack) by address, addressed as jeprof addresses them. */
function byAddress(p: HeapProfile, type: string): { total: number; flat: Map<bigint, number>; cum: Map<bigint, number> } {
  const t = p.sampleTypeIndex(type);
  const flat = new Map<bigint, number>();
  const cum = new Map<bigint, number>();
  const add = (m: Map<bigint, number>, a: bigint, v: number) => m.set(a, (m.get(a) ?? 0) + v);
  for (let i = 0; i < p.samples.length; i++) {
    const v = p.samples.values[t][i];
    const addresses = p.stackLocations(p.samples.stack[i]).map((l, depth) => p.address(l) - (depth === 0 ? 0n : 1n));
    if (addresses.length > 0) add(flat, addresses[0], v);
    for (const a of new Set(addresses)) add(cum, a, v);
  }
  return { total: p.total(t), flat, cum };
}

/** Every row of `theirs` (jeprof, truncated) is within 1 of ours, and ours has no row of 1 or more that jeprof lacks. */
function expectRows(what: string, ours: Map<bigint, number>, theirs: Map<bigint, number>): void {
  for (const [address, value] of theirs) {
    const mine = ours.get(address) ?? 0;
    expect(agrees(mine, value), `${what} 0x${address.toString(16)}: heapscope ${mine}, jeprof ${value}`).toBe(true);
  }
  for (const [address, value] of ours) {
    if (!theirs.has(address)) expect(Math.abs(value), `${what} 0x${address.toString(16)}: heapscope ${value}, not in jeprof`).toBeLessThan(1);
  }
}

describe.skipIf(!HAVE_CORPUS || !HAVE_JEPROF)('corpus jemalloc dumps against jeprof run on them', () => {
  for (const name of FILES) {
    it(`${name}: totals, flat by leaf address and cum by address, every sample type`, async () => {
      const path = join(CORPUS, 'jemalloc', name);
      const p = await loadSnapshot(path);
      const types = p.sampleTypes.map((t) => t.type);
      expect(types).toEqual(expect.arrayContaining(['inuse_space', 'inuse_objects']));
      const reports = await Promise.all(types.map((type) => jeprof(path, type)));
      types.forEach((type, i) => {
        const ours = byAddress(p, type);
        const theirs = reports[i];
        expect(agrees(ours.total, theirs.total), `${type} total: heapscope ${ours.total}, jeprof ${theirs.total}`).toBe(true);
        expect(theirs.cum.size).toBeGreaterThan(1);
        expectRows(`${type} flat`, ours.flat, theirs.flat);
        expectRows(`${type} cum`, ours.cum, theirs.cum);
      });
    });
  }
});
