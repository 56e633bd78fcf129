/**
 * A reader of DWARF's `.debug_info` for the one question dwarf-names.ts
 * asks: which DIEs there are, their tags, names, linkage names, the DIE each
 * refers to (`DW_AT_abstract_origin` / `DW_AT_specification`), their parents
 * and the code ranges of functions and inlined subroutines.
 *
 * Reads DWARF 4 and 5, 32- and 64-bit DWARF, compile and partial units
 * (type, skeleton and split units are skipped), every attribute form (those
 * not needed are skipped by size), strings from `.debug_str`,
 * `.debug_line_str` and `.debug_str_offsets`, addresses from `.debug_addr`,
 * ranges from `.debug_ranges` (DWARF 4) and `.debug_rnglists` (DWARF 5).
 * Format: the DWARF 5 standard, sections 2.17 (code addresses and ranges),
 * 7.5 (unit headers, abbreviations, forms), 7.25 (range lists).
 */


// Tags.
/** `DW_TAG_class_type`. */
export const TAG_CLASS = 0x02;
/** `DW_TAG_enumeration_type`. */
export const TAG_ENUMERATION = 0x04;
/** `DW_TAG_structure_type`. */
export const TAG_STRUCTURE = 0x13;
/** `DW_TAG_union_type`. */
export const TAG_UNION = 0x17;
/** `DW_TAG_inlined_subroutine`. */
export const TAG_INLINED_SUBROUTINE = 0x1d;
/** `DW_TAG_subprogram`. */
export const TAG_SUBPROGRAM = 0x2e;
/** `DW_TAG_namespace`. */
export const TAG_NAMESPACE = 0x39;

// Attributes.
const AT_NAME = 0x03;
const AT_LOW_PC = 0x11;
const AT_HIGH_PC = 0x12;
const AT_ABSTRACT_ORIGIN = 0x31;
const AT_SPECIFICATION = 0x47;
const AT_RANGES = 0x55;
const AT_LINKAGE_NAME = 0x6e;
const AT_STR_OFFSETS_BASE = 0x72;
const AT_ADDR_BASE = 0x73;
const AT_RNGLISTS_BASE = 0x74;
const AT_MIPS_LINKAGE_NAME = 0x2007;

// Forms.
const FORM_ADDR = 0x01;
const FORM_BLOCK2 = 0x03;
const FORM_BLOCK4 = 0x04;
const FORM_DATA2 = 0x05;
const FORM_DATA4 = 0x06;
const FORM_DATA8 = 0x07;
const FORM_STRING = 0x08;
const FORM_BLOCK = 0x09;
const FORM_BLOCK1 = 0x0a;
const FORM_DATA1 = 0x0b;
const FORM_FLAG = 0x0c;
const FORM_SDATA = 0x0d;
const FORM_STRP = 0x0e;
const FORM_UDATA = 0x0f;
const FORM_REF_ADDR = 0x10;
const FORM_REF1 = 0x11;
const FORM_REF2 = 0x12;
const FORM_REF4 = 0x13;
const FORM_REF8 = 0x14;
const FORM_REF_UDATA = 0x15;
const FORM_INDIRECT = 0x16;
const FORM_SEC_OFFSET = 0x17;
const FORM_EXPRLOC = 0x18;
const FORM_FLAG_PRESENT = 0x19;
const FORM_STRX = 0x1a;
const FORM_ADDRX = 0x1b;
const FORM_REF_SUP4 = 0x1c;
const FORM_STRP_SUP = 0x1d;
const FORM_DATA16 = 0x1e;
const FORM_LINE_STRP = 0x1f;
const FORM_REF_SIG8 = 0x20;
const FORM_IMPLICIT_CONST = 0x21;
const FORM_LOCLISTX = 0x22;
const FORM_RNGLISTX = 0x23;
const FORM_REF_SUP8 = 0x24;
const FORM_STRX1 = 0x25;
const FORM_STRX4 = 0x28;
const FORM_ADDRX1 = 0x29;
const FORM_ADDRX4 = 0x2c;
const FORM_GNU_ADDR_INDEX = 0x1f01;
const FORM_GNU_STR_INDEX = 0x1f02;
const FORM_GNU_REF_ALT = 0x1f20;
const FORM_GNU_STRP_ALT = 0x1f21;

/** The ranges of a DIE that covers no code (shared: most DIEs). */
const NO_RANGES: number[] = [];

/** Thrown for DWARF this reader cannot walk; the caller keeps the external tool's names. */
export class DwarfError extends Error {
  override readonly name = 'DwarfError';
}


/** A cursor over one section. */
export class Reader {
  pos = 0;
  constructor(
    readonly b: Buffer,
    readonly le: boolean,
  ) {}

  u8(): number {
    return this.b[this.pos++];
  }

  /** An unsigned field of 1 to 4 bytes in the file's byte order. */
  uint(size: number): number {
    const v = this.le ? this.b.readUIntLE(this.pos, size) : this.b.readUIntBE(this.pos, size);
    this.pos += size;
    return v;
  }

  u16(): number {
    return this.uint(2);
  }

  u32(): number {
    return this.uint(4);
  }

  /** Exact below 2^53: every offset and user-space address. */
  u64(): number {
    const first = this.u32();
    const second = this.u32();
    return this.le ? second * 0x100000000 + first : first * 0x100000000 + second;
  }

  sized(size: number): number {
    if (size >= 1 && size <= 4) return this.uint(size);
    if (size === 8) return this.u64();
    throw new DwarfError(`unsupported field size ${size}`);
  }

  uleb(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.b[this.pos++];
      if (byte === undefined) throw new DwarfError('LEB128 past the end of a section');
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return result;
    }
  }

  sleb(): number {
    let result = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = this.b[this.pos++];
      if (byte === undefined) throw new DwarfError('LEB128 past the end of a section');
      result += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return byte & 0x40 ? result - scale : result;
  }

  /** Moves past `length` bytes (read the length first: `pos += read()` would add to the old position). */
  skip(length: number): void {
    this.pos += length;
  }

  /** The NUL-terminated string at `offset`. */
  at(offset: number): string {
    this.pos = offset;
    return this.cstring();
  }

  cstring(): string {
    const end = this.b.indexOf(0, this.pos);
    if (end < 0) throw new DwarfError('unterminated string');
    const s = this.b.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
}

interface Abbrev {
  tag: number;
  hasChildren: boolean;
  /** attribute, form, implicit constant — in triples. */
  specs: number[];
}

/** The DIEs dwarf-names.ts needs, as columns indexed by DIE number (document order). */
export interface Dies {
  tag: number[];
  parent: number[];
  /** Index one past the DIE's last descendant. */
  end: number[];
  name: (string | null)[];
  linkage: (string | null)[];
  /** .debug_info offset of the DW_AT_abstract_origin or DW_AT_specification target, or -1. */
  origin: number[];
  /** [lo, hi) pairs, empty when the DIE covers no code. */
  ranges: number[][];
}

/** The DWARF sections, uncompressed; null where the file has none. */
export interface Sections {
  info: Buffer;
  abbrev: Buffer;
  str: Buffer | null;
  lineStr: Buffer | null;
  strOffsets: Buffer | null;
  addr: Buffer | null;
  ranges: Buffer | null;
  rnglists: Buffer | null;
}

function readAbbrevs(abbrev: Buffer, offset: number, le: boolean): Map<number, Abbrev> {
  const r = new Reader(abbrev, le);
  r.pos = offset;
  const out = new Map<number, Abbrev>();
  for (;;) {
    const code = r.uleb();
    if (code === 0) return out;
    const tag = r.uleb();
    const hasChildren = r.u8() !== 0;
    const specs: number[] = [];
    for (;;) {
      const at = r.uleb();
      const form = r.uleb();
      if (at === 0 && form === 0) break;
      specs.push(at, form, form === FORM_IMPLICIT_CONST ? r.sleb() : 0);
    }
    out.set(code, { tag, hasChildren, specs });
  }
}

/** A raw attribute value: a number, a string, or an index still to resolve. */
type Raw = { kind: 'n'; v: number; address?: boolean } | { kind: 's'; v: string } | { kind: 'strx' | 'addrx' | 'rnglistx'; v: number };

/**
 * Appends every DIE of the compile and partial units of `s.info` to `dies`
 * (and its `.debug_info` offset to `offsets`); throws {@link DwarfError} on
 * DWARF it cannot walk.
 */
export function parseInfo(s: Sections, le: boolean, dies: Dies, offsets: number[]): void {
  const r = new Reader(s.info, le);
  const abbrevCache = new Map<number, Map<number, Abbrev>>();
  while (r.pos < s.info.length) {
    const unitStart = r.pos;
    let length = r.u32();
    let offsetSize = 4;
    if (length === 0xffffffff) {
      length = r.u64();
      offsetSize = 8;
    }
    const unitEnd = r.pos + length;
    const version = r.u16();
    let unitType = 1; // DW_UT_compile
    let abbrevOffset: number;
    let addressSize: number;
    if (version >= 5) {
      unitType = r.u8();
      addressSize = r.u8();
      abbrevOffset = r.sized(offsetSize);
    } else if (version >= 2) {
      abbrevOffset = r.sized(offsetSize);
      addressSize = r.u8();
    } else throw new DwarfError(`DWARF version ${version} at .debug_info+0x${unitStart.toString(16)}`);
    // Only compile and partial units hold code; type and skeleton/split units are skipped.
    if (unitType !== 1 && unitType !== 3) {
      r.pos = unitEnd;
      continue;
    }
    let abbrevs = abbrevCache.get(abbrevOffset);
    if (!abbrevs) {
      abbrevs = readAbbrevs(s.abbrev, abbrevOffset, le);
      abbrevCache.set(abbrevOffset, abbrevs);
    }
    parseUnit(r, unitStart, unitEnd, { version, offsetSize, addressSize, abbrevs, s, le }, dies, offsets);
    r.pos = unitEnd;
  }
}

interface UnitContext {
  version: number;
  offsetSize: number;
  addressSize: number;
  abbrevs: Map<number, Abbrev>;
  s: Sections;
  le: boolean;
}

function readForm(r: Reader, form: number, implicit: number, unitStart: number, u: UnitContext): Raw | null {
  switch (form) {
    case FORM_ADDR:
      return { kind: 'n', v: r.sized(u.addressSize), address: true };
    case FORM_DATA1:
    case FORM_FLAG:
      return { kind: 'n', v: r.u8() };
    case FORM_DATA2:
      return { kind: 'n', v: r.u16() };
    case FORM_DATA4:
      return { kind: 'n', v: r.u32() };
    case FORM_DATA8:
      return { kind: 'n', v: r.u64() };
    case FORM_DATA16:
    case FORM_REF_SIG8:
      r.pos += form === FORM_DATA16 ? 16 : 8;
      return null;
    case FORM_SDATA:
      return { kind: 'n', v: r.sleb() };
    case FORM_UDATA:
      return { kind: 'n', v: r.uleb() };
    case FORM_STRING:
      return { kind: 's', v: r.cstring() };
    case FORM_STRP:
    case FORM_LINE_STRP: {
      const at = r.sized(u.offsetSize);
      const table = form === FORM_STRP ? u.s.str : u.s.lineStr;
      return table ? { kind: 's', v: new Reader(table, u.le).at(at) } : null;
    }
    case FORM_STRP_SUP:
    case FORM_GNU_STRP_ALT:
    case FORM_GNU_REF_ALT:
    case FORM_SEC_OFFSET:
      return { kind: 'n', v: r.sized(u.offsetSize) };
    case FORM_REF_ADDR:
      return { kind: 'n', v: r.sized(u.version <= 2 ? u.addressSize : u.offsetSize) };
    case FORM_REF1:
      return { kind: 'n', v: unitStart + r.u8() };
    case FORM_REF2:
      return { kind: 'n', v: unitStart + r.u16() };
    case FORM_REF4:
      return { kind: 'n', v: unitStart + r.u32() };
    case FORM_REF8:
      return { kind: 'n', v: unitStart + r.u64() };
    case FORM_REF_UDATA:
      return { kind: 'n', v: unitStart + r.uleb() };
    case FORM_REF_SUP4:
      r.pos += 4;
      return null;
    case FORM_REF_SUP8:
      r.pos += 8;
      return null;
    case FORM_BLOCK1:
      r.skip(r.u8());
      return null;
    case FORM_BLOCK2:
      r.skip(r.u16());
      return null;
    case FORM_BLOCK4:
      r.skip(r.u32());
      return null;
    case FORM_BLOCK:
    case FORM_EXPRLOC:
      r.skip(r.uleb());
      return null;
    case FORM_FLAG_PRESENT:
      return { kind: 'n', v: 1 };
    case FORM_IMPLICIT_CONST:
      return { kind: 'n', v: implicit };
    case FORM_STRX:
    case FORM_GNU_STR_INDEX:
      return { kind: 'strx', v: r.uleb() };
    case FORM_ADDRX:
    case FORM_GNU_ADDR_INDEX:
      return { kind: 'addrx', v: r.uleb() };
    case FORM_LOCLISTX:
      r.uleb();
      return null;
    case FORM_RNGLISTX:
      return { kind: 'rnglistx', v: r.uleb() };
    case FORM_INDIRECT:
      return readForm(r, r.uleb(), implicit, unitStart, u);
    default:
      if (form >= FORM_STRX1 && form <= FORM_STRX4) return { kind: 'strx', v: r.sized(form - FORM_STRX1 + 1) };
      if (form >= FORM_ADDRX1 && form <= FORM_ADDRX4) return { kind: 'addrx', v: r.sized(form - FORM_ADDRX1 + 1) };
      throw new DwarfError(`unknown attribute form 0x${form.toString(16)} at .debug_info+0x${r.pos.toString(16)}`);
  }
}

function parseUnit(r: Reader, unitStart: number, unitEnd: number, u: UnitContext, dies: Dies, offsets: number[]): void {
  // Per-unit bases (DWARF 5), read from the unit DIE; GCC's DWARF 4 defaults.
  let strOffsetsBase = 8;
  let addrBase = 8;
  let rnglistsBase = 0;
  let baseAddress = 0;
  const stack: number[] = [];
  const pendingRanges: { die: number; low: Raw | null; high: Raw | null; ranges: Raw | null }[] = [];
  const resolveString = (v: Raw | null): string | null => {
    if (v === null) return null;
    if (v.kind === 's') return v.v;
    if (v.kind === 'strx' && u.s.strOffsets && u.s.str) {
      const o = new Reader(u.s.strOffsets, u.le);
      o.pos = strOffsetsBase + v.v * u.offsetSize;
      return new Reader(u.s.str, u.le).at(o.sized(u.offsetSize));
    }
    return null;
  };
  let first = true;
  while (r.pos < unitEnd) {
    const offset = r.pos;
    const code = r.uleb();
    if (code === 0) {
      const closed = stack.pop();
      if (closed !== undefined) dies.end[closed] = dies.tag.length;
      continue;
    }
    const abbrev = u.abbrevs.get(code);
    if (!abbrev) throw new DwarfError(`unknown abbreviation ${code} at .debug_info+0x${offset.toString(16)}`);
    let name: Raw | null = null;
    let linkage: Raw | null = null;
    let origin = -1;
    let low: Raw | null = null;
    let high: Raw | null = null;
    let ranges: Raw | null = null;
    const { specs } = abbrev;
    for (let k = 0; k < specs.length; k += 3) {
      const v = readForm(r, specs[k + 1], specs[k + 2], unitStart, u);
      switch (specs[k]) {
        case AT_NAME:
          name = v;
          break;
        case AT_LINKAGE_NAME:
        case AT_MIPS_LINKAGE_NAME:
          linkage = v;
          break;
        case AT_ABSTRACT_ORIGIN:
        case AT_SPECIFICATION:
          // An alternate-file reference (DW_FORM_GNU_ref_alt) points elsewhere: not followed.
          if (v?.kind === 'n' && specs[k + 1] !== FORM_GNU_REF_ALT) origin = v.v;
          break;
        case AT_LOW_PC:
          low = v;
          break;
        case AT_HIGH_PC:
          high = v;
          break;
        case AT_RANGES:
          ranges = v;
          break;
        case AT_STR_OFFSETS_BASE:
          if (first && v?.kind === 'n') strOffsetsBase = v.v;
          break;
        case AT_ADDR_BASE:
          if (first && v?.kind === 'n') addrBase = v.v;
          break;
        case AT_RNGLISTS_BASE:
          if (first && v?.kind === 'n') rnglistsBase = v.v;
          break;
      }
    }
    const index = dies.tag.length;
    offsets.push(offset);
    dies.tag.push(abbrev.tag);
    dies.parent.push(stack.length > 0 ? stack[stack.length - 1] : -1);
    dies.end.push(index + 1);
    dies.name.push(resolveString(name));
    dies.linkage.push(resolveString(linkage));
    dies.origin.push(origin);
    dies.ranges.push(NO_RANGES);
    if (abbrev.tag === TAG_SUBPROGRAM || abbrev.tag === TAG_INLINED_SUBROUTINE) pendingRanges.push({ die: index, low, high, ranges });
    if (first) {
      first = false;
      const addresses = new AddressResolver(u, addrBase);
      const lowPc = low === null ? null : addresses.get(low);
      if (lowPc !== null) baseAddress = lowPc;
    }
    if (abbrev.hasChildren) stack.push(index);
  }
  for (const closed of stack) dies.end[closed] = dies.tag.length;
  const addresses = new AddressResolver(u, addrBase);
  for (const p of pendingRanges) {
    dies.ranges[p.die] = codeRanges(p, addresses, u, baseAddress, rnglistsBase);
  }
}

/** Addresses from `DW_FORM_addr` or an index into `.debug_addr`. */
class AddressResolver {
  constructor(
    private readonly u: UnitContext,
    private readonly base: number,
  ) {}

  get(v: Raw): number | null {
    if (v.kind === 'n') return v.v;
    if (v.kind !== 'addrx' || !this.u.s.addr) return null;
    const r = new Reader(this.u.s.addr, this.u.le);
    r.pos = this.base + v.v * this.u.addressSize;
    return r.sized(this.u.addressSize);
  }
}

function codeRanges(
  p: { low: Raw | null; high: Raw | null; ranges: Raw | null },
  addresses: AddressResolver,
  u: UnitContext,
  base: number,
  rnglistsBase: number,
): number[] {
  if (p.low !== null && p.high !== null) {
    const lo = addresses.get(p.low);
    if (lo === null) return [];
    // DWARF 4+: a constant DW_AT_high_pc is the size; an address is the end.
    const isAddress = p.high.kind === 'addrx' || (p.high.kind === 'n' && p.high.address === true);
    const hi = isAddress ? addresses.get(p.high) : p.high.kind === 'n' ? lo + p.high.v : null;
    return hi === null ? [] : [lo, hi];
  }
  if (p.ranges === null) return [];
  if (u.version < 5) return u.s.ranges && p.ranges.kind === 'n' ? rangeList(u.s.ranges, p.ranges.v, u, base) : [];
  if (!u.s.rnglists) return [];
  let offset: number;
  if (p.ranges.kind === 'rnglistx') {
    const r = new Reader(u.s.rnglists, u.le);
    r.pos = rnglistsBase + p.ranges.v * u.offsetSize;
    offset = rnglistsBase + r.sized(u.offsetSize);
  } else if (p.ranges.kind === 'n') offset = p.ranges.v;
  else return [];
  return rngList(u.s.rnglists, offset, u, base, addresses);
}

/** A DWARF 4 `.debug_ranges` list. */
function rangeList(section: Buffer, offset: number, u: UnitContext, unitBase: number): number[] {
  const r = new Reader(section, u.le);
  r.pos = offset;
  const out: number[] = [];
  const all = u.addressSize === 8 ? 0xffffffffffffffff : 0xffffffff;
  let base = unitBase;
  while (r.pos + 2 * u.addressSize <= section.length) {
    const a = r.sized(u.addressSize);
    const b = r.sized(u.addressSize);
    if (a === 0 && b === 0) break;
    if (a === all) base = b;
    else out.push(base + a, base + b);
  }
  return out;
}

/** A DWARF 5 `.debug_rnglists` list. */
function rngList(section: Buffer, offset: number, u: UnitContext, unitBase: number, addresses: AddressResolver): number[] {
  const r = new Reader(section, u.le);
  r.pos = offset;
  const out: number[] = [];
  let base = unitBase;
  const addrx = (i: number) => addresses.get({ kind: 'addrx', v: i }) ?? 0;
  while (r.pos < section.length) {
    const kind = r.u8();
    if (kind === 0) break; // DW_RLE_end_of_list
    if (kind === 1) base = addrx(r.uleb()); // base_addressx
    else if (kind === 2) out.push(addrx(r.uleb()), addrx(r.uleb())); // startx_endx
    else if (kind === 3) {
      const lo = addrx(r.uleb()); // startx_length
      out.push(lo, lo + r.uleb());
    } else if (kind === 4) {
      const a = r.uleb(); // offset_pair
      out.push(base + a, base + r.uleb());
    } else if (kind === 5) base = r.sized(u.addressSize); // base_address
    else if (kind === 6) out.push(r.sized(u.addressSize), r.sized(u.addressSize)); // start_end
    else if (kind === 7) {
      const lo = r.sized(u.addressSize); // start_length
      out.push(lo, lo + r.uleb());
    } else throw new DwarfError(`unknown range list entry ${kind} at .debug_rnglists+0x${(r.pos - 1).toString(16)}`);
  }
  return out;
}
