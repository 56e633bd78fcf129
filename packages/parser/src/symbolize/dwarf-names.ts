/**
 * Qualified names of inlined functions, read from DWARF.
 *
 * Why: addr2line and llvm-symbolizer name an inlined frame by its DIE's
 * `DW_AT_linkage_name` when it has one, and by its bare `DW_AT_name`
 * otherwise (`allocate`, `_M_realloc_insert<hs::(anonymous namespace)::Point>`).
 * GCC writes no linkage name for functions with internal linkage — every
 * instantiation over a type in an anonymous namespace — so distinct
 * functions of distinct classes came out with one short name and merged into
 * one row. This module walks the DWARF tree itself: for an address, the chain
 * of `DW_TAG_subprogram` / `DW_TAG_inlined_subroutine` DIEs whose ranges hold
 * it, innermost first, each named as gdb names it: the mangled linkage name
 * where the DIE (or the declaration it points to by `DW_AT_abstract_origin` /
 * `DW_AT_specification`) has one, else the declaration's name prefixed with
 * its enclosing namespaces and classes (`std::vector<…>::_M_realloc_insert<…>`).
 *
 * Reads the ELF sections (inflating those compressed with SHF_COMPRESSED /
 * zlib) and hands them to dwarf-info.ts. docs/symbolization.md#inlined-frame-names.
 */
import { inflateSync } from 'node:zlib';
import { SHT_NOBITS, type ByteSource, type ElfInfo } from './elf-file.js';
import { looksMangled } from './external-tools.js';
import {
  DwarfError,
  parseInfo,
  Reader,
  TAG_CLASS,
  TAG_ENUMERATION,
  TAG_INLINED_SUBROUTINE,
  TAG_NAMESPACE,
  TAG_STRUCTURE,
  TAG_SUBPROGRAM,
  TAG_UNION,
  type Dies,
} from './dwarf-info.js';

export { DwarfError } from './dwarf-info.js';

const SHF_COMPRESSED = 0x800;
const ELFCOMPRESS_ZLIB = 1;

/** Tags whose DW_AT_name is a scope of the names declared inside them. */
const SCOPE_TAGS = new Set([TAG_CLASS, TAG_ENUMERATION, TAG_STRUCTURE, TAG_UNION, TAG_NAMESPACE, TAG_SUBPROGRAM]);

/** One function level at an address: its DWARF name and the name gdb would show. */
export interface DwarfFrame {
  /** The bare DW_AT_name of the function's declaration ('' when it has none). */
  shortName: string;
  /** The mangled linkage name when DWARF has one, else the scope-qualified name; '' when unnamed. */
  name: string;
}


/** Address → chain of named DWARF function levels, for one binary. */
export class DwarfNames {
  private readonly indexByOffset = new Map<number, number>();
  private readonly qualified = new Map<number, string>();
  /** Indexes of DW_TAG_subprogram DIEs that cover code. */
  private readonly functions: number[] = [];

  private constructor(
    private readonly dies: Dies,
    offsets: number[],
  ) {
    offsets.forEach((o, i) => this.indexByOffset.set(o, i));
    for (let i = 0; i < dies.tag.length; i++) if (dies.tag[i] === TAG_SUBPROGRAM && dies.ranges[i].length > 0) this.functions.push(i);
  }

  /** Reads the DWARF of an ELF file; null when it has no `.debug_info`. */
  static async read(source: ByteSource, info: ElfInfo): Promise<DwarfNames | null> {
    const section = async (name: string): Promise<Buffer | null> => {
      const s = info.sections.find((x) => x.name === name);
      if (!s || s.type === SHT_NOBITS || s.size === 0) return null;
      const bytes = await source.read(s.offset, s.size);
      if ((s.flags & SHF_COMPRESSED) === 0) return bytes;
      // The compression header (Elf32_Chdr / Elf64_Chdr): type, then the uncompressed size, which bounds the inflation.
      const r = new Reader(bytes, info.littleEndian);
      const type = r.u32();
      if (info.is64) r.pos += 4;
      const size = info.is64 ? r.u64() : r.u32();
      r.pos += info.is64 ? 8 : 4;
      if (type !== ELFCOMPRESS_ZLIB) throw new DwarfError(`${name}: compression type ${type} is not zlib`);
      const out = inflateSync(bytes.subarray(r.pos), { maxOutputLength: Math.max(1, size) });
      if (out.length !== size) throw new DwarfError(`${name}: inflates to ${out.length} bytes, its header says ${size}`);
      return out;
    };
    const debugInfo = await section('.debug_info');
    const debugAbbrev = await section('.debug_abbrev');
    if (!debugInfo || !debugAbbrev) return null;
    const names = ['.debug_str', '.debug_line_str', '.debug_str_offsets', '.debug_addr', '.debug_ranges', '.debug_rnglists'] as const;
    const extra = await Promise.all(names.map((n) => section(n)));
    const [str, lineStr, strOffsets, addr, ranges, rnglists] = extra;
    const dies: Dies = { tag: [], parent: [], end: [], name: [], linkage: [], origin: [], ranges: [] };
    const offsets: number[] = [];
    parseInfo({ info: debugInfo, abbrev: debugAbbrev, str, lineStr, strOffsets, addr, ranges, rnglists }, info.littleEndian, dies, offsets);
    return new DwarfNames(dies, offsets);
  }

  /**
   * The function levels covering file address `address`, innermost first
   * (the inlined functions, then the function they are inlined into); empty
   * when no DWARF function covers it.
   */
  frames(address: number): DwarfFrame[] {
    const d = this.dies;
    const covers = (i: number) => {
      const r = d.ranges[i];
      for (let k = 0; k < r.length; k += 2) if (address >= r[k] && address < r[k + 1]) return true;
      return false;
    };
    const outer = this.functions.find(covers);
    if (outer === undefined) return [];
    const chain = [outer];
    // Descend to the deepest inlined subroutine holding the address, level by
    // level; lexical blocks and other DIEs between levels are looked into, an
    // inlined subroutine elsewhere is skipped with its subtree.
    let scope = outer;
    for (let i = outer + 1; i < d.end[scope]; ) {
      if (d.tag[i] !== TAG_INLINED_SUBROUTINE) i++;
      else if (covers(i)) {
        chain.push(i);
        scope = i;
        i++;
      } else i = d.end[i];
    }
    return chain.reverse().map((i) => ({ shortName: this.shortName(i), name: this.functionName(i) }));
  }

  private declaration(i: number): number[] {
    // The DIE, then the DIEs it refers to (concrete → abstract → declaration).
    const seen: number[] = [i];
    for (let k = i; this.dies.origin[k] >= 0; ) {
      const next = this.indexByOffset.get(this.dies.origin[k]);
      if (next === undefined || seen.includes(next)) break;
      seen.push(next);
      k = next;
    }
    return seen;
  }

  private shortName(i: number): string {
    for (const k of this.declaration(i)) if (this.dies.name[k] !== null) return this.dies.name[k] as string;
    return '';
  }

  private functionName(i: number): string {
    const chain = this.declaration(i);
    // Only a mangled linkage name says more than the scopes: a C function's
    // linkage name is an assembler label (glibc's `__GI__dl_allocate_tls`),
    // an alias, not a better name.
    for (const k of chain) {
      const linkage = this.dies.linkage[k];
      if (linkage !== null && looksMangled(linkage)) return linkage;
    }
    const named = chain.find((k) => this.dies.name[k] !== null);
    return named === undefined ? '' : this.qualifiedName(named);
  }

  /** The DIE's name prefixed with its enclosing namespaces, classes and functions, as gdb prints it. */
  private qualifiedName(i: number): string {
    const known = this.qualified.get(i);
    if (known !== undefined) return known;
    const d = this.dies;
    const own = d.name[i] ?? (d.tag[i] === TAG_NAMESPACE ? '(anonymous namespace)' : '');
    let p = d.parent[i];
    while (p >= 0 && !SCOPE_TAGS.has(d.tag[p])) p = d.parent[p];
    let name = own;
    if (p >= 0) {
      // A member defined outside its class is a child of the unit with a
      // DW_AT_specification: its scope is the declaration's.
      const decl = this.declaration(p).find((k) => d.name[k] !== null || d.tag[k] === TAG_NAMESPACE);
      const scope = decl === undefined ? '' : this.qualifiedName(decl);
      if (scope !== '') name = `${scope}::${own}`;
    }
    this.qualified.set(i, name);
    return name;
  }
}

