/**
 * Function symbols of an ELF file (`.symtab`, else `.dynsym`), sorted by
 * address for binary search.
 *
 * Reads: the SHT_SYMTAB / SHT_DYNSYM sections, their linked string tables
 * and SHT_SYMTAB_SHNDX, of files opened with `elf-file.ts`. Layout of
 * Elf32_Sym / Elf64_Sym and the st_info/st_shndx encodings: System V gABI,
 * "Symbol Table" (https://www.sco.com/developers/gabi/latest/ch4.symtab.html),
 * STT_GNU_IFUNC from the GNU extensions (`man 5 elf`).
 */
import {
  EM_ARM,
  SHF_EXECINSTR,
  SHT_DYNSYM,
  SHT_NOBITS,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  cString,
  type ByteSource,
  type ElfInfo,
  type ElfSection,
} from './elf-file.js';

const STT_NOTYPE = 0;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const STB_LOCAL = 0;
const STB_WEAK = 2;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;

/** How far back a lookup looks for a sized symbol enclosing a nested one. */
const NESTED_SCAN = 64;

/**
 * A sorted, de-duplicated table of function symbols. Index `i` is a symbol;
 * `lookup` maps an ELF virtual address to the symbol that covers it.
 *
 * Invariants: `start` is strictly increasing (one symbol per address: the
 * best of the aliases there); a sized symbol covers `[start, start + size)`;
 * a zero-size symbol covers up to the next symbol or the end of its section.
 */
export class ElfSymbolTable {
  /** Number of symbols. */
  readonly length: number;
  /** Which tables contributed symbols (`symtab`, `dynsym`). */
  readonly tables: readonly string[];
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  private readonly sized: Uint8Array;
  private readonly nameTable: Uint8Array;
  private readonly nameOffset: Uint32Array;
  private readonly strtabs: readonly Buffer[];
  private readonly names: (string | undefined)[];
  /** Symbols with aliases, ascending; the names of `aliased[a]` are pool entries `aliasStart[a] .. aliasStart[a + 1]`. */
  private readonly aliased: Uint32Array;
  private readonly aliasStart: Uint32Array;
  private readonly aliasTable: Uint8Array;
  private readonly aliasOffset: Uint32Array;

  constructor(parts: {
    start: Float64Array;
    end: Float64Array;
    sized: Uint8Array;
    nameTable: Uint8Array;
    nameOffset: Uint32Array;
    strtabs: readonly Buffer[];
    tables: readonly string[];
    /** Every name of the symbols that have several (see {@link ElfSymbolTable.aliases}); none when absent. */
    aliases?: { symbol: Uint32Array; start: Uint32Array; table: Uint8Array; offset: Uint32Array };
  }) {
    this.length = parts.start.length;
    this.start = parts.start;
    this.end = parts.end;
    this.sized = parts.sized;
    this.nameTable = parts.nameTable;
    this.nameOffset = parts.nameOffset;
    this.strtabs = parts.strtabs;
    this.tables = parts.tables;
    this.names = new Array<string | undefined>(this.length);
    this.aliased = parts.aliases?.symbol ?? new Uint32Array(0);
    this.aliasStart = parts.aliases?.start ?? new Uint32Array(1);
    this.aliasTable = parts.aliases?.table ?? new Uint8Array(0);
    this.aliasOffset = parts.aliases?.offset ?? new Uint32Array(0);
  }

  /** A table without symbols. */
  static empty(): ElfSymbolTable {
    return new ElfSymbolTable({
      start: new Float64Array(0),
      end: new Float64Array(0),
      sized: new Uint8Array(0),
      nameTable: new Uint8Array(0),
      nameOffset: new Uint32Array(0),
      strtabs: [],
      tables: [],
    });
  }

  /**
   * The symbol covering `address` (an ELF virtual address), or -1. A sized
   * symbol that ends before `address` does not cover it: an address in the
   * gap after a function (padding, or a local function missing from a
   * stripped file's `.dynsym`) is left unresolved rather than blamed on the
   * exported function before it.
   */
  lookup(address: number): number {
    const { start, end, sized } = this;
    let low = 0;
    let high = this.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (start[mid] <= address) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    if (found < 0) return -1;
    if (address < end[found]) return found;
    // A sized symbol nested inside a bigger one (a local entry point, an
    // alias of a tail): the enclosing one still covers the address.
    const stop = Math.max(0, found - NESTED_SCAN);
    for (let j = found - 1; j >= stop; j--) {
      if (sized[j] === 1 && address < end[j]) return j;
    }
    return -1;
  }

  /** The address of symbol `i`. */
  startOf(i: number): number {
    return this.start[i];
  }

  /**
   * Every name at symbol `i`'s address, without `@VERSION` suffixes, its own
   * ({@link name}) included: glibc's `_IO_doallocbuf` and
   * `__GI__IO_doallocbuf`, a C++ constructor's C1 and C2 names. Just
   * `[name(i)]` for a symbol without aliases.
   */
  aliases(i: number): string[] {
    const { aliased } = this;
    let low = 0;
    let high = aliased.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (aliased[mid] < i) low = mid + 1;
      else if (aliased[mid] > i) high = mid - 1;
      else {
        const out: string[] = [];
        for (let k = this.aliasStart[mid]; k < this.aliasStart[mid + 1]; k++) {
          out.push(stripVersion(cString(this.strtabs[this.aliasTable[k]], this.aliasOffset[k])));
        }
        return out;
      }
    }
    return [this.name(i)];
  }

  /** The raw (possibly mangled) name of symbol `i`, without a `@VERSION` suffix. */
  name(i: number): string {
    let name = this.names[i];
    if (name === undefined) {
      name = stripVersion(cString(this.strtabs[this.nameTable[i]], this.nameOffset[i]));
      this.names[i] = name;
    }
    return name;
  }
}

/** `memcpy@GLIBC_2.2.5`, `foo@@VERS_1` → `memcpy`, `foo`. Mangled names never contain `@`. */
function stripVersion(name: string): string {
  const at = name.indexOf('@');
  return at > 0 ? name.slice(0, at) : name;
}

/** Reads and indexes the function symbols of `info`: its `.symtab`, or its `.dynsym` when stripped. */
export async function readElfSymbols(source: ByteSource, info: ElfInfo): Promise<ElfSymbolTable> {
  const { sections, is64 } = info;
  const le = info.littleEndian;
  const entryMin = is64 ? 24 : 16;
  // `.symtab` holds every symbol of `.dynsym` and more (the linker writes
  // both from one table; strip removes `.symtab` whole), so `.dynsym` is
  // read only when there is no `.symtab` — as nm and addr2line do. Reading
  // both would double the work for nothing but duplicate aliases.
  const all = sections.map((s, index) => ({ s, index })).filter(({ s }) => s.type !== SHT_NOBITS && s.size > 0);
  const symtab = all.filter(({ s }) => s.type === SHT_SYMTAB);
  const tables = symtab.length > 0 ? symtab : all.filter(({ s }) => s.type === SHT_DYNSYM);
  if (tables.length === 0) return ElfSymbolTable.empty();

  // Per-section facts, as arrays: the loop below runs once per symbol.
  const sectionCode = new Uint8Array(sections.length);
  const sectionEndOf = new Float64Array(sections.length);
  sections.forEach((sec, i) => {
    sectionCode[i] = (sec.flags & SHF_EXECINSTR) !== 0 ? 1 : 0;
    sectionEndOf[i] = sec.type !== SHT_NOBITS && sec.size > 0 ? sec.addr + sec.size : Infinity;
  });

  let capacity = 0;
  for (const { s } of tables) capacity += Math.floor(s.size / Math.max(entryMin, s.entSize));
  const out: Collected = {
    value: new Float64Array(capacity),
    size: new Float64Array(capacity),
    rank: new Uint8Array(capacity),
    table: new Uint8Array(capacity),
    nameOff: new Uint32Array(capacity),
    sectionEnd: new Float64Array(capacity),
  };
  const strtabs: Buffer[] = [];
  const names: string[] = [];
  let count = 0;
  const thumb = info.machine === EM_ARM;

  for (const { s, index } of tables) {
    const strSection: ElfSection | undefined = sections[s.link];
    if (!strSection || strSection.type !== SHT_STRTAB || strSection.size === 0) continue;
    const entSize = Math.max(entryMin, s.entSize);
    const symbols = await source.read(s.offset, s.size);
    const strtab = await source.read(strSection.offset, strSection.size);
    const xindex = sections.find((x) => x.type === SHT_SYMTAB_SHNDX && x.link === index);
    const shndxTable = xindex ? await source.read(xindex.offset, xindex.size) : undefined;
    const tableId = strtabs.length;
    strtabs.push(strtab);
    names.push(s.type === SHT_SYMTAB ? 'symtab' : 'dynsym');

    count = collect(out, count, {
      symbols,
      strtab,
      shndxTable: shndxTable ?? null,
      tableId,
      entSize,
      is64,
      le,
      thumb,
      sectionCount: sections.length,
      sectionCode,
      sectionEndOf,
    });
  }

  return build(out, count, strtabs, names);
}

/** Sorts the candidates, keeps the best symbol per address and computes each one's extent. */
function build(out: Collected, count: number, strtabs: Buffer[], names: string[]): ElfSymbolTable {
  const { value, size, rank, table, nameOff, sectionEnd } = out;
  // Sort by address. Why not a comparator: sorting 10^5..10^6 indices with
  // one costs far more than this: the indices of each address are found by
  // a native sort of the addresses and a stable counting pass.
  const order = sortByValue(value, count);

  // One symbol per address; the other names at an address are kept as its aliases.
  const chosen = new Uint32Array(count);
  const aliasSymbol: number[] = [];
  const aliasStart: number[] = [0];
  const aliasTable: number[] = [];
  const aliasOffset: number[] = [];
  let n = 0;
  for (let i = 0; i < count; ) {
    let j = i + 1;
    while (j < count && value[order[j]] === value[order[i]]) j++;
    let best = order[i];
    for (let k = i + 1; k < j; k++) {
      const c = order[k];
      if (rank[c] > rank[best] || (rank[c] === rank[best] && preferName(strtabs, table, nameOff, c, best))) best = c;
    }
    if (j - i > 1) {
      aliasSymbol.push(n);
      for (let k = i; k < j; k++) {
        aliasTable.push(table[order[k]]);
        aliasOffset.push(nameOff[order[k]]);
      }
      aliasStart.push(aliasTable.length);
    }
    chosen[n++] = best;
    i = j;
  }

  const outStart = new Float64Array(n);
  const outEnd = new Float64Array(n);
  const outSized = new Uint8Array(n);
  const outTable = new Uint8Array(n);
  const outName = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const c = chosen[k];
    outStart[k] = value[c];
    outTable[k] = table[c];
    outName[k] = nameOff[c];
    if (size[c] > 0) {
      outSized[k] = 1;
      outEnd[k] = value[c] + size[c];
    } else {
      // A zero-size symbol reaches to the next symbol, within its section.
      const next = k + 1 < n ? value[chosen[k + 1]] : Infinity;
      const limit = Math.min(next, sectionEnd[c]);
      outEnd[k] = limit === Infinity ? value[c] : limit;
    }
  }
  return new ElfSymbolTable({
    start: outStart,
    end: outEnd,
    sized: outSized,
    nameTable: outTable,
    nameOffset: outName,
    strtabs,
    tables: names,
    aliases: {
      symbol: Uint32Array.from(aliasSymbol),
      start: Uint32Array.from(aliasStart),
      table: Uint8Array.from(aliasTable),
      offset: Uint32Array.from(aliasOffset),
    },
  });
}

/** Candidate symbols gathered from the tables, in file order. */
interface Collected {
  value: Float64Array;
  size: Float64Array;
  rank: Uint8Array;
  table: Uint8Array;
  nameOff: Uint32Array;
  sectionEnd: Float64Array;
}

/**
 * Appends the function symbols of one symbol table to `out` from index
 * `count`; returns the new count. A plain function (not async) so the loop
 * over every symbol gets optimized.
 */
function collect(
  out: Collected,
  count: number,
  t: {
    symbols: Buffer;
    strtab: Buffer;
    shndxTable: Buffer | null;
    tableId: number;
    entSize: number;
    is64: boolean;
    le: boolean;
    thumb: boolean;
    sectionCount: number;
    sectionCode: Uint8Array;
    sectionEndOf: Float64Array;
  },
): number {
  const { symbols, strtab, entSize, is64, le, thumb, sectionCode, sectionEndOf, sectionCount, tableId } = t;
  const { value, size, rank, table, nameOff, sectionEnd } = out;
  const view = new DataView(symbols.buffer, symbols.byteOffset, symbols.byteLength);
  const shndxView = t.shndxTable ? new DataView(t.shndxTable.buffer, t.shndxTable.byteOffset, t.shndxTable.byteLength) : null;
  const n = Math.floor(symbols.length / entSize);
  for (let i = 1; i < n; i++) {
    const o = i * entSize;
    // Elf64_Sym: name, info, other, shndx, value, size. Elf32_Sym: name, value, size, info, other, shndx.
    const stName = view.getUint32(o, le);
    const stInfo = symbols[o + (is64 ? 4 : 12)];
    let shndx = view.getUint16(o + (is64 ? 6 : 14), le);
    const type = stInfo & 0xf;
    if (stName === 0 || stName >= strtab.length || shndx === SHN_UNDEF) continue;
    if (type !== STT_FUNC && type !== STT_GNU_IFUNC && type !== STT_NOTYPE) continue;
    let stValue: number;
    let stSize: number;
    if (is64) {
      stValue = le
        ? view.getUint32(o + 12, true) * 0x100000000 + view.getUint32(o + 8, true)
        : view.getUint32(o + 8, false) * 0x100000000 + view.getUint32(o + 12, false);
      stSize = le
        ? view.getUint32(o + 20, true) * 0x100000000 + view.getUint32(o + 16, true)
        : view.getUint32(o + 16, false) * 0x100000000 + view.getUint32(o + 20, false);
    } else {
      stValue = view.getUint32(o + 4, le);
      stSize = view.getUint32(o + 8, le);
    }
    const bind = stInfo >> 4;
    if (shndx === SHN_XINDEX && shndxView && i * 4 + 4 <= shndxView.byteLength) shndx = shndxView.getUint32(i * 4, le);
    const regular = (shndx < SHN_LORESERVE || shndx > SHN_XINDEX) && shndx < sectionCount;
    if (type === STT_NOTYPE) {
      // Untyped labels count only inside code (hand-written assembly entry
      // points such as glibc's memcpy variants), never mapping symbols
      // (`$x`, `$t`, `$d` on ARM/RISC-V) or assembler-local `.L` labels.
      if (!regular || sectionCode[shndx] === 0) continue;
      const first = strtab[stName];
      if (first === 0x24 /* $ */ || (first === 0x2e /* . */ && strtab[stName + 1] === 0x4c) /* .L */) continue;
    } else if (thumb) {
      stValue -= stValue % 2; // Thumb entry points have bit 0 set.
    }

    value[count] = stValue;
    size[count] = stSize;
    // Preference among aliases at one address: sized, then unversioned (glibc's
    // `__libc_start_main@GLIBC_2.2.5` is a compatibility alias of the
    // `__libc_start_main_impl` that jeprof names), then typed as a function,
    // then global over weak over local.
    rank[count] =
      (stSize > 0 ? 16 : 0) +
      (hasVersion(strtab, stName) ? 0 : 8) +
      (type !== STT_NOTYPE ? 4 : 0) +
      (bind === STB_LOCAL ? 0 : bind === STB_WEAK ? 1 : 2);
    table[count] = tableId;
    nameOff[count] = stName;
    sectionEnd[count] = regular ? sectionEndOf[shndx] : Infinity;
    count++;
  }
  return count;
}

/**
 * Indices `0..count-1` ordered by `value` (ties in index order): an LSD
 * radix sort over four 16-bit digits of the address, skipping digits that
 * are the same for every symbol. Why: a comparator sort of 10^5..10^6
 * indices costs tens of milliseconds more, once per binary.
 */
function sortByValue(value: Float64Array, count: number): Uint32Array {
  const lo = new Uint32Array(count);
  const hi = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const v = value[i];
    hi[i] = Math.floor(v / 0x100000000);
    lo[i] = v - hi[i] * 0x100000000;
  }
  let order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let spare = new Uint32Array(count);
  const counts = new Uint32Array(0x10000);
  for (const [word, shift] of [
    [lo, 0],
    [lo, 16],
    [hi, 0],
    [hi, 16],
  ] as const) {
    counts.fill(0);
    for (let i = 0; i < count; i++) counts[(word[i] >>> shift) & 0xffff]++;
    if (count === 0 || counts[(word[0] >>> shift) & 0xffff] === count) continue;
    let sum = 0;
    for (let d = 0; d < 0x10000; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < count; i++) {
      const index = order[i];
      spare[counts[(word[index] >>> shift) & 0xffff]++] = index;
    }
    [order, spare] = [spare, order];
  }
  return order;
}

/**
 * True when symbol `a`'s name is the better display name for an address
 * than `b`'s (aliases: `malloc` / `__libc_malloc`, `free` / `cfree`): fewest
 * leading underscores, then shortest, then byte order (deterministic).
 * Compares the string-table bytes: only the chosen name is ever decoded.
 */
function preferName(
  strtabs: readonly Buffer[],
  table: Uint8Array,
  nameOff: Uint32Array,
  a: number,
  b: number,
): boolean {
  const ta = strtabs[table[a]];
  const tb = strtabs[table[b]];
  const oa = nameOff[a];
  const ob = nameOff[b];
  let ua = 0;
  while (ta[oa + ua] === 95) ua++;
  let ub = 0;
  while (tb[ob + ub] === 95) ub++;
  if (ua !== ub) return ua < ub;
  const la = nameEnd(ta, oa) - oa;
  const lb = nameEnd(tb, ob) - ob;
  if (la !== lb) return la < lb;
  for (let i = 0; i < la; i++) {
    if (ta[oa + i] !== tb[ob + i]) return ta[oa + i] < tb[ob + i];
  }
  return false;
}

/** Whether a .symtab name carries a `@VERSION` / `@@VERSION` suffix. */
function hasVersion(strtab: Buffer, offset: number): boolean {
  return nameEnd(strtab, offset) < strtab.indexOf(0, offset);
}

/** End of a name without its `@VERSION` suffix. */
function nameEnd(strtab: Buffer, offset: number): number {
  let end = offset;
  while (end < strtab.length && strtab[end] !== 0) {
    if (strtab[end] === 0x40 /* @ */ && end > offset) return end;
    end++;
  }
  return end;
}
