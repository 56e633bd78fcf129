/**
 * gdb as the reference for inlined frames' names: unlike addr2line and
 * llvm-symbolizer, which print an inlined function's bare DWARF name where
 * it has no linkage name (`allocate`), gdb names every function block with
 * its class and namespace scope (`std::__new_allocator<…>::allocate`).
 * For each file address, the names of the function blocks around it,
 * innermost (inlined) first, from gdb's Python API (`gdb.block_for_pc`, then
 * each block's `superblock`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { HeapProfile } from '@heapscope/parser';

/** Whether gdb with Python scripting is installed. */
export const HAVE_GDB = (() => {
  try {
    return execFileSync('gdb', ['-batch', '-nx', '-ex', 'python print("py-ok")'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('py-ok');
  } catch {
    return false;
  }
})();

const SCRIPT = `
import gdb, os
for line in open(os.environ["HS_ADDRESSES"]):
    b = gdb.block_for_pc(int(line, 16))
    names = []
    while b is not None:
        if b.function is not None:
            names.append(b.function.print_name)
        b = b.superblock
    print("@" + line.strip() + "\\t" + "\\t".join(names))
`;

/** gdb's function names at each of `addresses` (file addresses of `binary`), innermost first. */
export function gdbFrames(binary: string, addresses: readonly bigint[]): Map<bigint, string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'heapscope-gdb-'));
  try {
    writeFileSync(join(dir, 'chain.py'), SCRIPT);
    writeFileSync(join(dir, 'addresses'), addresses.map((a) => `0x${a.toString(16)}\n`).join(''));
    const out = execFileSync('gdb', ['-batch', '-nx', '-ex', `file ${binary}`, '-x', join(dir, 'chain.py')], {
      encoding: 'utf8',
      env: { ...process.env, HS_ADDRESSES: join(dir, 'addresses') },
    });
    const frames = new Map<bigint, string[]>();
    for (const line of out.split('\n')) {
      if (!line.startsWith('@')) continue;
      const [address, ...names] = line.slice(1).split('\t');
      frames.set(BigInt(address), names.filter((n) => n !== ''));
    }
    if (frames.size !== new Set(addresses).size) throw new Error(`gdb answered ${frames.size} of ${addresses.length} addresses of ${binary}`);
    return frames;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The function names of a location, innermost (inlined) first. */
export function namesOf(p: HeapProfile, loc: number): string[] {
  const { lineStart, lineFunction } = p.locations;
  const out: string[] = [];
  for (let k = lineStart[loc]; k < lineStart[loc + 1]; k++) out.push(p.strings[p.functions.name[lineFunction[k]]]);
  return out;
}

/** What {@link expectGdbNames} compared. */
export interface GdbComparison {
  /** Locations whose every frame has gdb's name. */
  compared: number;
  /** Locations where binutils' addr2line lost a frame gdb has (an inlined lambda's). */
  lost: number;
}

/**
 * Expects every location of `p` that `placeOf` puts in a binary (its file
 * and the file address to look up) to have gdb's function blocks there,
 * innermost first: the same depth and, level by level, the same name
 * (gdb leaves out a template function's return type and gives `main` its
 * argument list). Only addr2line may have a frame less (`tool`); where gdb
 * has no block (crt1's `_start`), the symbol table's name. `visit` sees
 * each location compared, with gdb's names.
 */
export function expectGdbNames(
  p: HeapProfile,
  tool: string,
  placeOf: (loc: number) => { file: string; address: bigint } | null,
  visit: (loc: number, gdb: readonly string[], at: string) => void = () => {},
): GdbComparison {
  const byFile = new Map<string, Map<bigint, number[]>>();
  for (let l = 0; l < p.locations.length; l++) {
    const place = placeOf(l);
    if (!place) continue;
    const locs = byFile.get(place.file) ?? new Map<bigint, number[]>();
    byFile.set(place.file, locs);
    locs.set(place.address, [...(locs.get(place.address) ?? []), l]);
  }
  const result: GdbComparison = { compared: 0, lost: 0 };
  for (const [file, locs] of byFile) {
    const reference = gdbFrames(file, [...locs.keys()]);
    for (const [address, ls] of locs) {
      const theirs = reference.get(address) as string[];
      for (const l of ls) {
        const ours = namesOf(p, l);
        const at = `${file}+0x${address.toString(16)}: ${ours.join(' < ')}`;
        if (theirs.length === 0) {
          expect(ours, at).toEqual(['_start']);
          continue;
        }
        if (ours.length !== theirs.length) {
          expect(tool, at).toBe('addr2line');
          result.lost++;
          continue;
        }
        ours.forEach((mine, k) => {
          const gdb = theirs[k];
          const same = mine === gdb || mine.endsWith(` ${gdb}`) || gdb.startsWith(`${mine}(`);
          expect(same, `${at}\n  depth ${k}: ours ${mine}\n  gdb: ${gdb}`).toBe(true);
        });
        visit(l, theirs, at);
        result.compared++;
      }
    }
  }
  return result;
}
