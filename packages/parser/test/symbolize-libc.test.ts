/**
 * Symbolization against the system's libc: malloc resolved from .dynsym,
 * and 30,000 distinct locations of one binary symbolized quickly.
 * Expected values come from binutils when present. Skipped, with a message
 * in the test title, when there is no libc at the usual path.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, type Mapping } from '@heapscope/parser';
import { readElfInfo, readElfSymbols, symbolize, withFileSource } from '../src/symbolize/index.js';
import { which, run, type NmSymbol, nm, symbol, execSegment, buildIdOf, PAGE, profileOf, framesAt, names } from './helpers/elf-tools.js';

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const haveLibc = existsSync(LIBC);

/** libc's executable segment and malloc's address: from binutils when present, else from the reader under test. */
async function libcFacts(): Promise<{ segment: { offset: number; vaddr: number; memSize: number }; malloc: number }> {
  if (which('nm') && which('readelf')) return { segment: execSegment(LIBC), malloc: symbol(LIBC, 'malloc', true).address };
  const info = await withFileSource(LIBC, readElfInfo);
  const table = await withFileSource(LIBC, (s) => readElfSymbols(s, info));
  let malloc = -1;
  for (let i = 0; i < table.length; i++) if (table.name(i) === 'malloc') malloc = table.startOf(i);
  const seg = info.segments.find((p) => p.type === 1 && (p.flags & 1) !== 0);
  if (!seg) throw new Error('no executable segment in libc');
  return { segment: { offset: seg.offset, vaddr: seg.vaddr, memSize: seg.memSize }, malloc };
}

const LIBC_BIAS = 0x7ffff7d80000n;

function libcMapping(segment: { offset: number; vaddr: number; memSize: number }): Mapping {
  return {
    start: LIBC_BIAS + BigInt(segment.vaddr - (segment.vaddr % PAGE)),
    limit: LIBC_BIAS + BigInt(Math.ceil((segment.vaddr + segment.memSize) / PAGE) * PAGE),
    fileOffset: BigInt(segment.offset - (segment.offset % PAGE)),
    path: LIBC,
    buildId: '',
    perms: 'r-xp',
  };
}

describe.skipIf(!haveLibc)(haveLibc ? 'symbolize against the system libc' : `symbolize against the system libc — SKIPPED: no ${LIBC}`, () => {
  it('resolves malloc from .dynsym', async () => {
    const { segment, malloc } = await libcFacts();
    const leaf = LIBC_BIAS + BigInt(malloc + 0x10);
    const p = profileOf([libcMapping(segment)], [[leaf]]);
    // debugDirs: [] so that an installed libc6-dbg does not stand in for .dynsym.
    const { profile, report } = await symbolize(p, { external: 'none', debugDirs: [] });
    // Aliases at malloc's address (`__libc_malloc`) lose to the public name.
    expect(names(framesAt(profile, leaf))).toEqual(['malloc']);
    expect(report.binaries[0]).toMatchObject({ file: LIBC, resolved: 1, symbolTables: ['dynsym'], debugFile: null });

    // With the default debug directory, a matching /usr/lib/debug/.build-id file is used when installed.
    const withDebug = await symbolize(p, { external: 'none' });
    expect(names(framesAt(withDebug.profile, leaf))).toEqual(['malloc']);
  });

  const libcDebug = (() => {
    if (!which('readelf') || !which('objdump') || !which('nm')) return null;
    const id = buildIdOf(LIBC);
    const path = `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
    return existsSync(path) ? path : null;
  })();

  /** Return addresses of every call instruction in `fn` (objdump on libc's code). */
  const callsIn = (fn: NmSymbol): number[] => {
    const text = run('objdump', ['-d', `--start-address=0x${fn.address.toString(16)}`, `--stop-address=0x${(fn.address + fn.size).toString(16)}`, LIBC]);
    const insns = [...text.matchAll(/^\s*([0-9a-f]+):\t(.*)$/gm)].map((m) => ({ address: parseInt(m[1], 16), text: m[2] }));
    return insns.flatMap((x, i) => (/\bcall\b/.test(x.text) && i + 1 < insns.length ? [insns[i + 1].address] : []));
  };

  it.skipIf(!libcDebug)(
    `collapses glibc's alias frames (a hidden alias "inlined" into its public name) with its debug info${libcDebug ? '' : ' — SKIPPED: no libc6-dbg, readelf, objdump or nm'}`,
    async () => {
      const debug = libcDebug as string;
      const { segment } = await libcFacts();
      const symbols = nm(debug);
      const cases = ['_IO_doallocbuf', '_IO_new_file_xsputn'].map((name) => {
        const fn = symbols.find((x) => x.name === name) as NmSymbol;
        // Every name glibc defines at the function's address: `__GI__IO_doallocbuf`, `_IO_file_xsputn@@GLIBC_2.2.5`, …
        const aliases = new Set(symbols.filter((x) => x.address === fn.address).map((x) => x.name.replace(/@.*$/, '')));
        return { fn, aliases, returns: callsIn(fn) };
      });
      // The raw DWARF answers hold alias pairs (what this test is about).
      if (which('llvm-symbolizer')) {
        const raw = run('llvm-symbolizer', [`--obj=${debug}`, '--no-demangle', ...cases.flatMap((c) => c.returns.map((a) => `0x${(a - 1).toString(16)}`))]);
        expect(raw).toMatch(/__GI__IO_doallocbuf\n[^\n]*\n_IO_doallocbuf\n/);
      }
      const addresses = cases.flatMap((c) => c.returns.map((a) => LIBC_BIAS + BigInt(a)));
      const p = profileOf([libcMapping(segment)], addresses.map((a) => [a]));
      const byTool = new Map<string, string[][]>();
      for (const external of (['addr2line', 'llvm-symbolizer'] as const).filter((t) => which(t) !== null)) {
        const { profile } = await symbolize(p, { external, demangle: 'none' });
        const all: string[][] = [];
        for (const c of cases) {
          for (const r of c.returns) {
            const frameNames = names(framesAt(profile, LIBC_BIAS + BigInt(r)));
            // One frame for the function itself, the outermost, named as the symbol table names it.
            expect(frameNames.filter((n) => c.aliases.has(n)), `${external} ${c.fn.name}+${r - c.fn.address}`).toHaveLength(1);
            expect(c.aliases.has(frameNames[frameNames.length - 1])).toBe(true);
            all.push(frameNames);
          }
        }
        byTool.set(external, all);
      }
      const [first, ...others] = [...byTool.values()];
      for (const other of others) expect(other).toEqual(first);
      // `_IO_doallocbuf` is the global name among its aliases; `__GI__IO_doallocbuf` is a hidden local one.
      expect(first.some((f) => f[f.length - 1] === '_IO_doallocbuf')).toBe(true);
      expect(first.flat()).not.toContain('__GI__IO_doallocbuf');
    },
  );

  it('symbolizes 30,000 distinct locations in one binary quickly', async () => {
    const { segment } = await libcFacts();
    const stacks: bigint[][] = [];
    const step = Math.floor(segment.memSize / 30_000);
    for (let i = 0; i < 30_000; i += 6) {
      const stack: bigint[] = [];
      for (let k = 0; k < 6; k++) stack.push(LIBC_BIAS + BigInt(segment.vaddr + (i + k) * step));
      stacks.push(stack);
    }
    const p = profileOf([libcMapping(segment)], stacks);
    expect(p.locations.length).toBe(30_000);
    const started = performance.now();
    const { profile, report } = await symbolize(p, { external: 'none', demangle: 'none', debugDirs: [] });
    const elapsedMs = performance.now() - started;
    expect(report.binaries[0].locations).toBe(30_000);
    // .dynsym only: addresses in libc's static functions stay unresolved.
    expect(report.binaries[0].resolved).toBeGreaterThan(1000);
    expect(report.binaries[0].resolved + report.binaries[0].unresolved).toBe(30_000);
    expect(checkIntegrity(profile)).toEqual([]);
    // Measured ~0.2 s; the bound leaves room for slow CI machines.
    expect(elapsedMs).toBeLessThan(3000);
  });
});
