/**
 * Short function names (`--short-names`): C++ names without their argument
 * lists, template arguments and return types, as jeprof and pprof show them
 * by default (`std::__new_allocator<hs::Large>::allocate(unsigned long,
 * void const*)` → `std::__new_allocator::allocate`), while distinct
 * functions stay distinct: where two functions would get one short name,
 * they keep their template arguments (`hs::fill_site<int>`,
 * `hs::fill_site<hs::Record>`), and where that is not enough either
 * (overloads), their full names.
 *
 * Unlike jeprof and pprof, `(anonymous namespace)` is kept (they print
 * `hs::::Polygon::grow`), and a lambda keeps its `{lambda()#1}` /
 * `<lambda()>` scope name.
 */
import { StringTable } from '../model/string-table.js';
import type { HeapProfile } from '../model/profile.js';

/** How much of a name is kept: `Short`, no argument lists, template arguments or return type; `Templates`, the template arguments stay. */
const Keep = { Short: 0, Templates: 1 } as const;
type Keep = (typeof Keep)[keyof typeof Keep];

const ANONYMOUS = '(anonymous namespace)';

/**
 * Whether `name` reads as a demangled C++ name (pprof's test, and a free
 * function with its argument list): Go (`main.(*T).m`) and plain C names are
 * left alone.
 */
function looksLikeCxx(name: string): boolean {
  if (name.includes('.<')) return false; // Java's `Class.<init>`
  return name.includes('::') || name.includes('<') || /^[^.(]+\(.*\)/.test(name);
}

function isIdentifierChar(c: string): boolean {
  return /[\w$~]/.test(c);
}

/** The index after the group that opens at `i` (`(`, `<`, `[` or `{`), or the name's length when it is not closed. */
function closing(name: string, i: number): number {
  let depth = 0;
  for (let k = i; k < name.length; k++) {
    const c = name[k];
    if (c === '(' || c === '<' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === '>' || c === ']' || c === '}') {
      // `->` inside a template argument is an operator, not a bracket.
      if (c === '>' && name[k - 1] === '-') continue;
      if (--depth === 0) return k + 1;
    }
  }
  return name.length;
}

/** The operator token starting at `i` (just after `operator`): `()`, `<<`, ` new[]`, ` bool`, …. */
function operatorToken(name: string, i: number): string {
  if (name.startsWith('()', i)) return '()';
  if (name.startsWith('[]', i)) return '[]';
  let k = i;
  if (name[k] === ' ') {
    // `operator new`, `operator delete[]`, a conversion `operator bool`.
    k++;
    while (k < name.length && isIdentifierChar(name[k])) k++;
    if (name.startsWith('[]', k)) k += 2;
    return name.slice(i, k);
  }
  while (k < name.length && '+-*/%^&|~!=<>,'.includes(name[k])) k++;
  return name.slice(i, k);
}

/** `name` shortened to `keep`; the name itself when it is not C++ or nothing would be left. */
function shorten(name: string, keep: Keep): string {
  if (!looksLikeCxx(name)) return name;
  let out = '';
  let i = 0;
  while (i < name.length) {
    const c = name[i];
    if (isIdentifierChar(c)) {
      let k = i;
      while (k < name.length && isIdentifierChar(name[k])) k++;
      const word = name.slice(i, k);
      out += word;
      i = k;
      if (word === 'operator') {
        const token = operatorToken(name, i);
        out += token;
        i += token.length;
      }
      continue;
    }
    if (c === '(') {
      if (name.startsWith(ANONYMOUS, i)) {
        out += ANONYMOUS;
        i += ANONYMOUS.length;
        continue;
      }
      // An argument list. After a scope's own (`main(int, char**)::<lambda()>`) the name goes on.
      i = closing(name, i);
      if (!name.startsWith('::', i)) break; // the rest is `const`, `&&`, `[clone .cold]`
      continue;
    }
    if (c === '<') {
      const end = closing(name, i);
      if (name.startsWith('<lambda', i)) out += '<lambda>';
      else if (keep === Keep.Templates) out += name.slice(i, end);
      i = end;
      continue;
    }
    if (c === '{') {
      // `{lambda()#1}`, `{unnamed type#1}`: a scope's name, kept whole.
      const end = closing(name, i);
      out += name.slice(i, end);
      i = end;
      continue;
    }
    if (c === '[') {
      i = closing(name, i); // `[abi:cxx11]`, `[clone .cold]`
      continue;
    }
    if (c === ' ') {
      // A space before a name ends a return type (`void hs::fill_site<int>(…)`).
      const next = name[i + 1] ?? '';
      if (isIdentifierChar(next) || next === ':') out = '';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  out = out.replace(/^[&*]+/, '');
  return out === '' || out.endsWith('::') ? name : out;
}

/**
 * The short name of each of `names` (see the top of this file): a map from
 * every name to its short form, chosen over all of them at once so that
 * distinct names never share a short name.
 */
export function shortNames(names: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  const later: string[] = [];
  for (const [s, list] of groupBy(new Set(names), (name) => shorten(name, Keep.Short))) {
    if (list.length === 1) {
      out.set(list[0], s);
      taken.add(s);
    } else later.push(...list);
  }
  // Colliding names keep their template arguments, then, if they still collide, everything.
  for (const [s, list] of groupBy(later, (name) => shorten(name, Keep.Templates))) {
    const unique = list.length === 1 && !taken.has(s);
    for (const name of list) out.set(name, unique ? s : name);
  }
  return out;
}

/** `names` grouped by `key`, in order of first appearance. */
function groupBy(names: Iterable<string>, key: (name: string) => string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const k = key(name);
    const list = groups.get(k);
    if (list) list.push(name);
    else groups.set(k, [name]);
  }
  return groups;
}

/** `profile` with its function names replaced by `names` (from {@link shortNames}); system names stay. */
export function withFunctionNames(profile: HeapProfile, names: ReadonlyMap<string, string>): HeapProfile {
  const { functions: f, strings } = profile;
  const table = StringTable.from(strings);
  const name = Int32Array.from(f.name, (id) => {
    const renamed = names.get(strings[id]);
    return renamed === undefined ? id : table.intern(renamed);
  });
  return profile.with({ strings: table.strings, functions: { ...f, name } });
}
