/**
 * Inlined frames' names from DWARF (dwarf-names.ts, reconcile.ts's
 * qualifyInlined): the DWARF walk on the C++ fixture's shared library, each
 * level named as gdb names it (the gdb comparison over every frame of both
 * dumps is in cxx-symbolize.test.ts), and the rules for when an external
 * tool's name is replaced, one case per rule.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElfInfo, withFileSource } from '@heapscope/parser';
import { FIXTURES } from '@heapscope/testkit/paths';
import { DwarfNames } from '../src/symbolize/dwarf-names.js';
import { qualifyInlined } from '../src/symbolize/reconcile.js';

const SHAPES = join(FIXTURES, 'cxx', 'bin', 'libhsshapes.so');
const POINT = 'hs::(anonymous namespace)::Point';

describe('inlined frames named from DWARF', () => {
  it('walks the inline chain at an address of the fixture library (compressed DWARF 5), innermost first', async () => {
    const dwarf = await withFileSource(SHAPES, async (source) => DwarfNames.read(source, await readElfInfo(source)));
    expect(dwarf).not.toBeNull();
    // Polygon::grow's call of operator new, six functions inlined (addr2line -i: 7 frames).
    const frames = (dwarf as DwarfNames).frames(0x1368);
    expect(frames.map((f) => f.shortName)).toEqual(['allocate', 'allocate', '_M_allocate', `_M_realloc_insert<${POINT}>`, `emplace_back<${POINT}>`, 'push_back', 'grow']);
    expect(frames.map((f) => f.name)).toEqual([
      `std::__new_allocator<${POINT}>::allocate`,
      `std::allocator_traits<std::allocator<${POINT}> >::allocate`,
      `std::_Vector_base<${POINT}, std::allocator<${POINT}> >::_M_allocate`,
      `std::vector<${POINT}, std::allocator<${POINT}> >::_M_realloc_insert<${POINT}>`,
      `std::vector<${POINT}, std::allocator<${POINT}> >::emplace_back<${POINT}>`,
      `std::vector<${POINT}, std::allocator<${POINT}> >::push_back`,
      `hs::(anonymous namespace)::Polygon::grow`,
    ]);
    // Where DWARF has a linkage name, that (mangled) name is the answer.
    expect((dwarf as DwarfNames).frames(0x197f)[0].name).toBe('_ZNSt15__new_allocatorIdE8allocateEmPKv');
    // No function there: no frames.
    expect((dwarf as DwarfNames).frames(0)).toEqual([]);
  });

  it('replaces only bare or unknown inlined names, level by level, never the function itself', () => {
    const f = (name: string) => ({ name, file: 'x.h', line: 1 });
    const dwarf = [
      { shortName: 'allocate', name: 'std::A<P>::allocate' },
      { shortName: 'push_back', name: 'std::V<P>::push_back' },
      { shortName: 'helper', name: '_ZN2hs6helperEv' },
      { shortName: 'grow', name: 'hs::Polygon::grow' },
    ];
    // A bare name, addr2line's `??`, a bare name with a linkage name (mangled: demangled later); the outermost stays.
    expect(qualifyInlined([f('allocate'), f('??'), f('helper'), f('_ZN2hs7Polygon4growEi')], dwarf).map((x) => x.name)).toEqual([
      'std::A<P>::allocate',
      'std::V<P>::push_back',
      '_ZN2hs6helperEv',
      '_ZN2hs7Polygon4growEi',
    ]);
    // A name that is not the DIE's short name (the tool saw another function), or already mangled: kept.
    const kept = [f('other'), f('_ZN3std1V9push_backEv'), f('helper'), f('grow')];
    expect(qualifyInlined(kept, dwarf).map((x) => x.name)).toEqual(['other', '_ZN3std1V9push_backEv', '_ZN2hs6helperEv', 'grow']);
    // Chains of different depth (aliases collapsed, DWARF not covering): the tool's names stay.
    const short = [f('allocate'), f('grow')];
    expect(qualifyInlined(short, dwarf)).toBe(short);
    // File and line stay with the frame.
    expect(qualifyInlined([f('allocate'), f('b'), f('c'), f('d')], dwarf)[0]).toEqual({ name: 'std::A<P>::allocate', file: 'x.h', line: 1 });
  });
});
