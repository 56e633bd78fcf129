/**
 * Names of the frames perf named itself (fixtures/cxx/perf: the C++ workload
 * recorded with `--call-graph dwarf` and with `-g`). perf's names are bare
 * (no argument lists; inlined functions of a class in an anonymous namespace
 * by their DWARF name alone), it drops inline levels, and it lays a frame's
 * lines out in three ways (perf-frames.ts). Where heapscope can read the
 * binary, every frame is renamed by heapscope's own symbolizer — the names,
 * inline depth and order gdb gives, and the names the gperftools and
 * jemalloc dumps of the same program get; where it cannot, perf's names stay
 * (grouped per frame, innermost first) and one warning names the binary.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Symbolizer, loadSnapshot, symbolize, type HeapProfile } from '@heapscope/parser';
import { readInput, symbolizeInput, type LoadedInput } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { installed } from '@heapscope/testkit/reference-tools';
import { expectGdbNames, HAVE_GDB, namesOf } from './helpers/gdb-frames.js';

const BIN = join(FIXTURES, 'cxx', 'bin');
const capture = (name: string) => join(FIXTURES, 'cxx', 'perf', `cxx.${name}.perf.txt.gz`);
const JEMALLOC = fixtureFile('cxx/jemalloc', /^jeprof\..*\.heap$/);

const have = (command: string) => installed(command, ['--version']);
const TOOLS = (['llvm-symbolizer', 'addr2line'] as const).filter(have);

/** The capture recorded the checkout it was made in: our binaries are the mappings named `…/fixtures/cxx/bin/<file>`. */
function ourBinary(p: HeapProfile, loc: number): string | null {
  const m = p.locations.mapping[loc];
  if (m < 0) return null;
  const path = p.mappings[m].path;
  const file = join(BIN, path.slice(path.lastIndexOf('/') + 1));
  return path.includes('/fixtures/cxx/bin/') && existsSync(file) ? file : null;
}

const loaded = new Map<string, Promise<LoadedInput>>();
const read = (name: string) => {
  if (!loaded.has(name)) loaded.set(name, readInput(capture(name)));
  return loaded.get(name) as Promise<LoadedInput>;
};

describe('perf captures of the C++ workload: frames named by heapscope, not by perf', () => {
  for (const name of ['dwarf', 'fp']) {
    for (const tool of TOOLS) {
      it.skipIf(!HAVE_GDB)(`names every frame of our binaries in cxx.${name}, inlined ones included, as gdb does (${tool})${HAVE_GDB ? '' : ' (skipped: no gdb)'}`, async () => {
        const input = await read(name);
        const before = input.profile;
        const exact = new Set(before.meta.producerNames?.exactLocations);
        expect(before.meta.producerNames?.producer).toBe('perf');
        const { profile: p, report } = await symbolize(before, { symbolPaths: [BIN], external: tool });
        expect(p.meta.producerNames).toBeUndefined();
        expect(report.producer).toBe('perf');
        let perfWrong = 0;
        let deeper = 0;
        // perf prints file offsets, which are the virtual addresses of both PIEs' code.
        const placeOf = (l: number) => {
          const file = ourBinary(p, l);
          return file && { file, address: p.address(l) - (exact.has(l) ? 0n : 1n) };
        };
        const { compared, lost } = expectGdbNames(p, tool, placeOf, (l, gdb) => {
          const perf = namesOf(before, l);
          // What perf said: a bare name where gdb's has scope, or another depth.
          if (perf.length !== gdb.length || perf.some((n, k) => !gdb[k].includes(n))) perfWrong++;
          if (namesOf(p, l).length > perf.length) deeper++;
        });
        expect(compared).toBeGreaterThan(name === 'dwarf' ? 60 : 15);
        expect(lost).toBeLessThanOrEqual(4);
        // Frames perf named otherwise than gdb were there to rename, and frames perf printed without their inlined functions got them.
        expect(perfWrong).toBeGreaterThan(0);
        expect(deeper).toBeGreaterThan(0);
      });
    }
  }

  it('gives each call site the names the jemalloc dump of the same program gets (cxx.dwarf: complete stacks)', async () => {
    /** Allocated objects per call site, as cxx-symbolize.test.ts counts them, from the first frame outside the allocator. */
    const sites = (p: HeapProfile, inAllocator: (loc: number) => boolean) => {
      const objects = p.samples.values[p.sampleTypeIndex('alloc_objects')];
      const out = new Map<string, number>();
      for (let i = 0; i < p.samples.length; i++) {
        const locations = p.stackLocations(p.samples.stack[i]);
        let first = 0;
        while (first < locations.length && inAllocator(locations[first])) first++;
        const names = locations.slice(first).flatMap((l) => namesOf(p, l));
        if (!names.some((n) => n.startsWith('hs::'))) continue;
        const key = names.join(' <- ');
        out.set(key, Math.round((out.get(key) ?? 0) + objects[i]));
      }
      return out;
    };
    const { profile: dump } = await symbolize(await loadSnapshot(JEMALLOC), { symbolPaths: [BIN] });
    const { profile: perf } = await symbolize((await read('dwarf')).profile, { symbolPaths: [BIN] });
    const mappingPath = (p: HeapProfile, loc: number) => (p.locations.mapping[loc] >= 0 ? p.mappings[p.locations.mapping[loc]].path : '');
    // jemalloc's own frames and its operator new; under perf, glibc's malloc is called by libstdc++'s operator new.
    const fromDump = sites(dump, (l) => /\/libjemalloc[^/]*$/.test(mappingPath(dump, l)));
    const fromPerf = sites(perf, (l) => /\/libstdc\+\+[^/]*$/.test(mappingPath(perf, l)) && namesOf(perf, l).every((n) => n.startsWith('operator new')));
    expect(fromDump.size).toBeGreaterThan(20);
    expect([...fromPerf.entries()].sort()).toEqual([...fromDump.entries()].sort());
  });

  describe('where the binary cannot be read', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'heapscope-perf-names-'));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it("keeps perf's names, one location per frame with its inlined lines innermost first, and warns once", async () => {
      // The program without its shared library.
      copyFileSync(join(BIN, 'cxx-workload'), join(scratch, 'cxx-workload'));
      const input = await read('dwarf');
      const { profile: p, symbolization } = await symbolizeInput(input, new Symbolizer(), [scratch]);
      const warnings = p.meta.warnings.filter((w) => `${w.message} ${(w.details ?? []).join(' ')}`.includes('libhsshapes.so'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0].message).toMatch(/^binary not found, \d+ locations keep perf's names \(give the file with --symbols\)$/);
      expect(warnings[0].details).toEqual([expect.stringMatching(/^\S*\/fixtures\/cxx\/bin\/libhsshapes\.so \((\d+) locations, \1 keeping perf's names\)$/)]);
      const missing = symbolization?.missing.find((b) => b.path.endsWith('/libhsshapes.so'));
      expect(missing?.producerNamed).toBe(missing?.locations);
      // perf printed this frame's function first and its inlined functions after it (perf-frames.ts, layout 2).
      const grow = [];
      for (let l = 0; l < p.locations.length; l++) {
        const names = namesOf(p, l);
        if (names.at(-1) === 'hs::(anonymous namespace)::Polygon::grow' && names.length > 1) grow.push(names);
      }
      expect(grow.length).toBeGreaterThan(0);
      for (const names of grow) {
        expect(names[0], names.join(' < ')).toMatch(/^(allocate|deallocate)$/);
        expect(names.filter((n) => n === 'grow' || n.endsWith('::grow'))).toHaveLength(1);
      }
      // The program's own frames are renamed all the same.
      const names = new Set<string>();
      for (let l = 0; l < p.locations.length; l++) for (const n of namesOf(p, l)) names.add(n);
      expect(names).toContain('hs::names_site(hs::Kept&, int)');
      expect(names).not.toContain('hs::names_site');
    });
  });

  it.skipIf(!have('strip'))(`keeps perf's inlined frames where heapscope finds the binary but not its DWARF${have('strip') ? '' : ' (skipped: no strip)'}`, async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'heapscope-perf-names-'));
    try {
      copyFileSync(join(BIN, 'cxx-workload'), join(scratch, 'cxx-workload'));
      execFileSync('strip', ['--strip-debug', '-o', join(scratch, 'libhsshapes.so'), join(BIN, 'libhsshapes.so')]);
      const { profile: p, report } = await symbolize((await read('dwarf')).profile, { symbolPaths: [scratch] });
      expect(report.binaries.find((b) => b.path.endsWith('/libhsshapes.so'))?.external).toBeNull();
      const inShapes = (l: number) => p.locations.mapping[l] >= 0 && p.mappings[p.locations.mapping[l]].path.endsWith('/libhsshapes.so');
      let kept = 0;
      let renamed = 0;
      for (let l = 0; l < p.locations.length; l++) {
        if (!inShapes(l)) continue;
        const names = namesOf(p, l);
        if (names.length > 1) {
          // perf's chain (its names have no argument lists): the symbol table alone has one frame to give.
          expect(names.some((n) => n.endsWith(')')), names.join(' < ')).toBe(false);
          kept++;
        } else if (names[0].endsWith(')')) renamed++;
      }
      expect(kept).toBeGreaterThan(0);
      // A frame perf named with one line gets the symbol table's name, as a dump's frame would.
      expect(renamed).toBeGreaterThan(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("keeps perf's names, and says so, where the file at the binary's path is another program (perf text has no build ids)", async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'heapscope-perf-names-'));
    try {
      // The C workload under the C++ program's name: a file that is there, but not the one perf read.
      copyFileSync(join(FIXTURES, 'bin', 'workload'), join(scratch, 'cxx-workload'));
      copyFileSync(join(BIN, 'libhsshapes.so'), join(scratch, 'libhsshapes.so'));
      const input = await read('dwarf');
      const { profile: p } = await symbolizeInput(input, new Symbolizer(), [scratch]);
      const before = input.profile;
      const inProgram = (l: number) => p.locations.mapping[l] >= 0 && p.mappings[p.locations.mapping[l]].path.endsWith('/cxx-workload');
      let kept = 0;
      for (let l = 0; l < p.locations.length; l++) {
        if (!inProgram(l) || namesOf(before, l).length === 0) continue;
        expect(namesOf(p, l), p.addressHex(l)).toEqual(namesOf(before, l));
        kept++;
      }
      expect(kept).toBeGreaterThan(20);
      const warnings = p.meta.warnings.map((w) => w.message).filter((m) => m.includes("keep perf's names: its symbols are elsewhere"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/\/cxx-workload: \d+ locations? keep perf's names: its symbols are elsewhere in this file \(another build of \S+\/fixtures\/cxx\/bin\/cxx-workload\?\)$/);
      // The library, the right file, is renamed all the same.
      const names = new Set<string>();
      for (let l = 0; l < p.locations.length; l++) for (const n of namesOf(p, l)) names.add(n);
      expect(names).toContain('hs::(anonymous namespace)::Polygon::grow(int)');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("keeps perf's names without symbolization, with each frame's inlined lines in one location (all three layouts)", async () => {
    const p = (await read('dwarf')).profile;
    const frames = new Map<string, string[]>();
    for (let l = 0; l < p.locations.length; l++) frames.set(`${p.locations.mapping[l] >= 0 ? p.mappings[p.locations.mapping[l]].path.replace(/^.*\//, '') : '-'}+0x${p.address(l).toString(16)}`, namesOf(p, l));
    // Layout 1: the inlined lines, then the function's line.
    expect(frames.get('cxx-workload+0x2c40')).toEqual(['std::__new_allocator<hs::Small>::allocate', 'hs::Pool<hs::Small>::take', 'hs::small_objects_site']);
    // Layout 2: the function's line first; its last inlined line is the function again (`grow`), and goes.
    expect(frames.get('libhsshapes.so+0x1368')).toEqual([
      'allocate',
      '_M_allocate',
      '_M_realloc_insert<hs::(anonymous namespace)::Point>',
      'emplace_back<hs::(anonymous namespace)::Point>',
      'push_back',
      'hs::(anonymous namespace)::Polygon::grow',
    ]);
    // Layout 3: inlined lines only, no dso: one location without a mapping.
    expect(frames.get('-+0x197f')).toEqual([
      'std::__new_allocator<double>::allocate',
      'std::allocator_traits<std::allocator<double> >::allocate',
      'std::_Vector_base<double, std::allocator<double> >::_M_allocate',
      'std::vector<double, std::allocator<double> >::reserve',
      'grow',
    ]);
    // Its caller is the next frame perf printed (layout 2's inlined lines standing alone made them callers, and `grow` its own caller).
    let callers = 0;
    for (let s = 1; s < p.stacks.length; s++) {
      const parent = p.stacks.parent[s];
      if (parent > 0 && p.addressHex(p.stacks.location[s]) === '0x1368' && namesOf(p, p.stacks.location[s]).at(-1) === 'hs::(anonymous namespace)::Polygon::grow') {
        expect(namesOf(p, p.stacks.location[parent])).toEqual(['hs::shapes_site']);
        callers++;
      }
    }
    expect(callers).toBeGreaterThan(0);
  });
});
