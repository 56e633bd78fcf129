/**
 * Symbolization of the C++ fixture (fixtures/cxx): one program, dumped once
 * by gperftools and once by jemalloc with the same allocations at the same
 * addresses (ASLR off). Every frame of both dumps is a return address, the
 * leaf included; looked up at address − 1, each call site gets the same
 * names from both dumps, and binutils' addr2line, run here on the same
 * addresses, agrees with every leaf. Skipped, saying so, without addr2line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnapshot, symbolize, type HeapProfile } from '@heapscope/parser';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { expectGdbNames, HAVE_GDB, namesOf } from './helpers/gdb-frames.js';

const BIN = join(FIXTURES, 'cxx', 'bin');
/**
 * Whether a mapping's path names one of the fixture's binaries. The dumps
 * record the absolute path of the checkout they were made in, so match by the
 * directory's tail and the file's name, never by this checkout's path.
 */
const isOurBinary = (path: string): boolean => path.includes('/fixtures/cxx/bin/') && existsSync(join(BIN, path.slice(path.lastIndexOf('/') + 1)));
const GPERFTOOLS = fixtureFile('cxx/gperftools', /^cxx\.0001\.heap$/);
const JEMALLOC = fixtureFile('cxx/jemalloc', /^jeprof\..*\.heap$/);

function have(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const HAVE_ADDR2LINE = have('addr2line');

/**
 * Whether this machine's glibc is the one the dumps were made with
 * (fixtures/cxx/README.md records its Debian version): the dumps give libc's
 * path, not its build id, so its frames name the right code only then.
 */
const SAME_GLIBC = (() => {
  const recorded = /glibc (\S+),/.exec(readFileSync(join(FIXTURES, 'cxx', 'README.md'), 'utf8'))?.[1];
  try {
    return recorded !== undefined && execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'libc6'], { encoding: 'utf8' }) === recorded;
  } catch {
    return false;
  }
})();
const TOOLS = (['llvm-symbolizer', 'addr2line'] as const).filter(have);

/** Whether a location lies in one of the allocators' own libraries (jemalloc keeps 4 frames of its own, and its operator new, at the leaf). */
function inAllocator(p: HeapProfile, loc: number): boolean {
  const m = p.locations.mapping[loc];
  return m >= 0 && /\/lib(jemalloc|tcmalloc)[^/]*$/.test(p.mappings[m].path);
}

/**
 * Allocated objects per call site, a site being the names of every frame
 * (inlined ones included) from the first frame outside the allocator to the
 * root. Only sites of the workload's own functions (`hs::…`): the two
 * allocators' start-up rows differ (jemalloc's dlsym succeeds, gperftools'
 * fails and allocates an error message).
 */
async function sites(path: string, external: 'llvm-symbolizer' | 'addr2line'): Promise<Map<string, number>> {
  const { profile: p } = await symbolize(await loadSnapshot(path), { symbolPaths: [BIN], external });
  const objects = p.samples.values[p.sampleTypeIndex('alloc_objects')];
  const out = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const locations = p.stackLocations(p.samples.stack[i]);
    let first = 0;
    while (first < locations.length && inAllocator(p, locations[first])) first++;
    const names = locations.slice(first).flatMap((l) => namesOf(p, l));
    if (!names.some((n) => n.startsWith('hs::'))) continue;
    const key = names.join(' <- ');
    out.set(key, (out.get(key) ?? 0) + objects[i]);
  }
  // heap_v2/1 is unsampled with R = 1, which scales counts by 1 + ~1e-14.
  for (const [key, value] of out) out.set(key, Math.round(value));
  return out;
}

describe('C++ fixture symbolization', () => {
  for (const tool of TOOLS) {
    it(`names every call site alike in the gperftools and the jemalloc dump (${tool})`, async () => {
      const fromGperftools = await sites(GPERFTOOLS, tool);
      const fromJemalloc = await sites(JEMALLOC, tool);
      expect(fromGperftools.size).toBeGreaterThan(20);
      expect([...fromGperftools.entries()].sort()).toEqual([...fromJemalloc.entries()].sort());
      // The code after the call is not the call site (what a lookup at the
      // return address itself gives for the leaf: google-pprof prints these).
      const leaves = [...fromGperftools.keys()].map((k) => k.split(' <- ')[0]);
      expect(leaves.filter((n) => /::size\(\) const$|::_M_local_data\(\)$|::_M_capacity\(/.test(n))).toEqual([]);
      expect(leaves).toContain('std::__new_allocator<hs::Large>::allocate(unsigned long, void const*)');
    });
  }

  it.skipIf(!HAVE_ADDR2LINE)(`agrees with addr2line -i at address − 1 for every leaf in our binaries${HAVE_ADDR2LINE ? '' : ' (skipped: no addr2line)'}`, async () => {
    const { profile: p } = await symbolize(await loadSnapshot(GPERFTOOLS), { symbolPaths: [BIN] });
    const leaves = new Set<number>();
    for (let i = 0; i < p.samples.length; i++) {
      const s = p.samples.stack[i];
      if (s > 0) leaves.add(p.stacks.location[s]);
    }
    let compared = 0;
    for (const loc of leaves) {
      const mapping = p.mappings[p.locations.mapping[loc]];
      if (!mapping || !isOurBinary(mapping.path)) continue;
      // Both files are PIEs whose code is mapped at file offset = virtual address.
      const fileAddress = p.address(loc) - mapping.start + mapping.fileOffset - 1n;
      const file = join(BIN, mapping.path.slice(mapping.path.lastIndexOf('/') + 1));
      const out = execFileSync('addr2line', ['-f', '-i', '-C', '-e', file, `0x${fileAddress.toString(16)}`], { encoding: 'utf8' }).trim().split('\n');
      const theirs: { name: string; where: string }[] = [];
      for (let k = 0; k + 1 < out.length; k += 2) {
        theirs.push({ name: out[k], where: out[k + 1].replace(/ \(discriminator \d+\)$/, '').replace(/^.*\//, '') });
      }
      const { lineStart, lineFunction, lineNumber } = p.locations;
      const ours = [];
      for (let k = lineStart[loc]; k < lineStart[loc + 1]; k++) {
        const f = lineFunction[k];
        const path = p.strings[p.functions.fileName[f]];
        ours.push({ name: p.strings[p.functions.name[f]], where: `${path.slice(path.lastIndexOf('/') + 1)}:${lineNumber[k]}` });
      }
      const at = `${mapping.path}+0x${fileAddress.toString(16)}`;
      expect(ours.map((f) => f.where), at).toEqual(theirs.map((f) => f.where));
      const outermost = ours[ours.length - 1].name;
      theirs.forEach((t, k) => {
        const mine = ours[k].name;
        // binutils' two habits where DWARF has no linkage name (a class in an
        // anonymous namespace, a lambda): it names such an inlined innermost
        // frame after the ELF symbol of the whole function, and the
        // outermost frame by its bare name.
        if (k === 0 && theirs.length > 1 && t.name === outermost) return;
        if (k === theirs.length - 1 && !t.name.includes('::') && mine !== t.name) {
          expect(mine, at).toContain(`::${t.name}(`);
          return;
        }
        // An inlined frame binutils names by its bare DWARF name (`allocate`)
        // has its class and namespace scope here (compared with gdb below).
        if (k < theirs.length - 1 && mine !== t.name) {
          expect(mine.endsWith(`::${t.name}`), `${at}: ${mine} for ${t.name}`).toBe(true);
          return;
        }
        expect(mine, at).toBe(t.name);
      });
      compared++;
    }
    expect(compared).toBeGreaterThan(15);
  });

  it.skipIf(TOOLS.length < 2)(`names every location of our binaries alike with llvm-symbolizer and addr2line${TOOLS.length < 2 ? ' (skipped: needs both)' : ''}`, async () => {
    const p = await loadSnapshot(GPERFTOOLS);
    const frames = async (external: 'llvm-symbolizer' | 'addr2line') => {
      const { profile } = await symbolize(p, { symbolPaths: [BIN], external });
      return Array.from({ length: profile.locations.length }, (_, l) => namesOf(profile, l));
    };
    const llvm = await frames('llvm-symbolizer');
    const binutils = await frames('addr2line');
    let compared = 0;
    let fewer = 0;
    for (let l = 0; l < p.locations.length; l++) {
      const mapping = p.mappings[p.locations.mapping[l]];
      if (!mapping || !isOurBinary(mapping.path)) continue;
      const [a, b] = [llvm[l], binutils[l]];
      if (b.length < a.length) {
        // binutils lost an inlined frame whose DWARF name it did not find (a lambda's).
        fewer++;
        continue;
      }
      // `??`: binutils had no name for an inlined member of a class in an anonymous namespace.
      expect(b.map((n, k) => (n === '??' ? a[k] : n)), p.addressHex(l)).toEqual(a);
      compared++;
    }
    expect(compared).toBeGreaterThan(30);
    expect(fewer).toBeLessThanOrEqual(2);
    // The function itself gets its linkage name (the ELF symbol's) from both,
    // where DWARF only has the bare name `grow` (a class in an anonymous namespace).
    for (const names of [llvm, binutils]) {
      expect(names.some((f) => f[f.length - 1] === 'hs::(anonymous namespace)::Polygon::grow(int)')).toBe(true);
      expect(names.some((f) => f[f.length - 1] === 'grow')).toBe(false);
    }
    // Inlined frames keep the linkage names DWARF has: two classes' allocate stay apart.
    for (const names of [llvm, binutils]) {
      const inner = new Set(names.map((f) => f[0]));
      expect(inner).toContain('std::__new_allocator<hs::Small>::allocate(unsigned long, void const*)');
      expect(inner).toContain('std::__new_allocator<hs::Large>::allocate(unsigned long, void const*)');
    }
  });

  for (const tool of TOOLS) {
    it.skipIf(!HAVE_GDB)(`names every frame of our binaries, inlined ones included, with gdb's scope-qualified names (${tool})${HAVE_GDB ? '' : ' (skipped: no gdb)'}`, async () => {
      let compared = 0;
      let qualifiedInlined = 0;
      let lost = 0;
      for (const dump of [GPERFTOOLS, JEMALLOC]) {
        const { profile: p } = await symbolize(await loadSnapshot(dump), { symbolPaths: [BIN], external: tool });
        const placeOf = (l: number) => {
          const mapping = p.mappings[p.locations.mapping[l]];
          if (!mapping || !isOurBinary(mapping.path)) return null;
          return { file: join(BIN, mapping.path.slice(mapping.path.lastIndexOf('/') + 1)), address: p.address(l) - mapping.start + mapping.fileOffset - 1n };
        };
        const done = expectGdbNames(p, tool, placeOf, (l, gdb) => {
          const depth = p.locations.lineStart[l + 1] - p.locations.lineStart[l];
          for (let k = 0; k < depth - 1; k++) if (gdb[k].includes('(anonymous namespace)::Point> >::')) qualifiedInlined++;
        });
        compared += done.compared;
        lost += done.lost;
      }
      expect(compared).toBeGreaterThan(60);
      expect(lost).toBeLessThanOrEqual(4);
      // The vector<Point> growth path: allocate, allocate, _M_allocate, _M_realloc_insert, emplace_back, push_back — in both dumps.
      expect(qualifiedInlined).toBeGreaterThanOrEqual(2 * 5);
    });
  }

  it.skipIf(!SAME_GLIBC)(`names glibc stdio frames once each: no alias pairs in the report_site stack${SAME_GLIBC ? '' : ' (skipped: this glibc is not the one the dumps were made with)'}`, async () => {
    for (const dump of [GPERFTOOLS, JEMALLOC]) {
      const { profile: p } = await symbolize(await loadSnapshot(dump), { symbolPaths: [BIN] });
      const stacks = [];
      for (let i = 0; i < p.samples.length; i++) {
        const names = p.stackLocations(p.samples.stack[i]).flatMap((l) => namesOf(p, l));
        if (names.includes('hs::report_site(hs::Kept&)') && names.some((n) => n.includes('doalloc'))) stacks.push(names);
      }
      expect(stacks, dump).toHaveLength(1);
      const names = stacks[0];
      // One frame per function: glibc's DWARF gave `__GI__IO_doallocbuf` in `_IO_doallocbuf`.
      expect(names).toContain('_IO_doallocbuf');
      expect(names.filter((n) => /^(__GI_)?_IO_doallocbuf$/.test(n))).toHaveLength(1);
      expect(names.filter((n) => /_IO_(new_)?file_xsputn$/.test(n))).toHaveLength(1);
      names.forEach((n, k) => expect(n === names[k + 1], `${n} twice in a row`).toBe(false));
    }
  });
});
