/**
 * Short function names (short-names.ts): the forms C++ names take
 * (demangled by c++filt), names of other languages left alone, and distinct
 * names never sharing a short name — on a table here and on every name the
 * C++ fixture's dumps give.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnapshot, shortNames, symbolize } from '@heapscope/parser';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';

describe('short function names', () => {
  it('drop argument lists, template arguments, return types, qualifiers and clone suffixes', () => {
    const cases: [string, string][] = [
      ['hs::names_site(hs::Kept&, int)', 'hs::names_site'],
      ['std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_mutate(unsigned long, unsigned long, char const*, unsigned long)', 'std::__cxx11::basic_string::_M_mutate'],
      [
        'std::pair<std::__detail::_Node_iterator<std::pair<int const, int>, false, false>, bool> std::_Hashtable<int, std::pair<int const, int> >::_M_emplace<int&, int>(std::integral_constant<bool, true>, int&, int&&)',
        'std::_Hashtable::_M_emplace',
      ],
      ['hs::(anonymous namespace)::Polygon::grow(int)', 'hs::(anonymous namespace)::Polygon::grow'],
      ['_M_realloc_insert<hs::(anonymous namespace)::Point>', '_M_realloc_insert'],
      // Inlined frames named from DWARF's scopes (no argument list): shortened alike.
      [
        'std::vector<hs::(anonymous namespace)::Point, std::allocator<hs::(anonymous namespace)::Point> >::_M_realloc_insert<hs::(anonymous namespace)::Point>',
        'std::vector::_M_realloc_insert',
      ],
      ['std::allocator_traits<std::allocator<hs::(anonymous namespace)::Point> >::allocate', 'std::allocator_traits::allocate'],
      ['main::{lambda()#1}::operator()() const', 'main::{lambda()#1}::operator()'],
      ['thread<main(int, char**)::<lambda()> >', 'thread'],
      ['operator new(unsigned long)', 'operator new'],
      ['operator delete[](void*)', 'operator delete[]'],
      ['std::basic_ostream<char>& std::operator<< <std::char_traits<char> >(std::basic_ostream<char>&, char const*)', 'std::operator<<'],
      ['std::vector<int, std::allocator<int> >::operator[](unsigned long)', 'std::vector::operator[]'],
      ['std::function<void ()>::operator()() const', 'std::function::operator()'],
      ['hs::Shape::~Shape()', 'hs::Shape::~Shape'],
      ['hs::report_site(hs::Kept&) [clone .cold]', 'hs::report_site'],
      ['std::__cxx11::to_string[abi:cxx11](int)', 'std::__cxx11::to_string'],
      ['x<a->b>::f()', 'x::f'],
      // Not C++ (or nothing to shorten): unchanged.
      ['malloc', 'malloc'],
      ['main.(*T).method', 'main.(*T).method'],
      ['Ljava/io/FileOutputStream;::writeBytes', 'Ljava/io/FileOutputStream;::writeBytes'],
      ['libstdc++.so.6.0.30+0xa57ba', 'libstdc++.so.6.0.30+0xa57ba'],
      ['??', '??'],
    ];
    const names = shortNames(cases.map(([full]) => full));
    for (const [full, short] of cases) expect(names.get(full), full).toBe(short);
  });

  it('keep template arguments where the short names of distinct functions would be one, and everything for overloads', () => {
    const cases: [string, string][] = [
      ['void hs::fill_site<int>(std::vector<int>&, int)', 'hs::fill_site<int>'],
      ['void hs::fill_site<hs::Record>(std::vector<hs::Record>&, int)', 'hs::fill_site<hs::Record>'],
      ['std::__new_allocator<hs::Small>::allocate(unsigned long, void const*)', 'std::__new_allocator<hs::Small>::allocate'],
      ['std::__new_allocator<hs::Large>::allocate(unsigned long, void const*)', 'std::__new_allocator<hs::Large>::allocate'],
      ['foo(int)', 'foo(int)'],
      ['foo(double)', 'foo(double)'],
      ['hs::names_site(hs::Kept&, int)', 'hs::names_site'],
    ];
    const names = shortNames(cases.map(([full]) => full));
    for (const [full, short] of cases) expect(names.get(full), full).toBe(short);
    // A short name another function already has is not given to a second one.
    const taken = shortNames(['a::f<int>()', 'a::f<long>()', 'a::f<int>']);
    expect(new Set(taken.values()).size).toBe(3);
  });

  it('never give two of the C++ fixture\'s functions one name', async () => {
    const all: string[] = [];
    for (const dump of [join(FIXTURES, 'cxx', 'gperftools', 'cxx.0001.heap'), fixtureFile('cxx/jemalloc', /^jeprof\..*\.heap$/)]) {
      const { profile } = await symbolize(await loadSnapshot(dump), { symbolPaths: [join(FIXTURES, 'cxx', 'bin')] });
      for (let f = 0; f < profile.functions.length; f++) all.push(profile.strings[profile.functions.name[f]]);
    }
    const names = shortNames(all);
    const distinct = new Set(all);
    expect(distinct.size).toBeGreaterThan(100);
    expect(new Set(names.values()).size).toBe(distinct.size);
    // Inlined frames DWARF names only by their scopes (members of templates
    // over a type in an anonymous namespace) are shortened like the others,
    // and never to a bare member name.
    const point = 'std::vector<hs::(anonymous namespace)::Point, std::allocator<hs::(anonymous namespace)::Point> >::push_back';
    expect(distinct).toContain(point);
    expect(names.get(point)).toBe(point); // other vectors' push_back share `std::vector::push_back`: the template arguments stay
    expect(names.get('std::vector<hs::Small*, std::allocator<hs::Small*> >::push_back(hs::Small* const&)')).toBe('std::vector<hs::Small*, std::allocator<hs::Small*> >::push_back');
    expect([...names.values()].filter((n) => /^(allocate|_M_allocate|push_back|emplace_back)\b/.test(n))).toEqual([]);
    // Most of them lose something.
    expect([...names].filter(([full, short]) => short.length < full.length).length).toBeGreaterThan(distinct.size / 2);
  });
});
