/**
 * The ELF reader and symbol table on small ELF files written here byte by
 * byte — ELF32 and ELF64, little- and big-endian — so every layout is tested
 * on any host, without a compiler. Field layouts: System V gABI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INUSE_SPACE, ProfileBuilder, type Mapping } from '@heapscope/parser';
import { bufferSource, readElfInfo, readElfSymbols, symbolize, ET_DYN, ET_EXEC } from '../src/symbolize/index.js';
import { translationFor } from '../src/symbolize/address-translation.js';

interface TestSymbol {
  name: string;
  value: number;
  size: number;
  /** STT_*: 0 NOTYPE, 1 OBJECT, 2 FUNC, 10 GNU_IFUNC. */
  type: number;
  /** STB_*: 0 LOCAL, 1 GLOBAL, 2 WEAK. */
  bind: number;
  section: 'text' | 'data' | 'undef' | 'abs';
}

interface ElfSpec {
  is64: boolean;
  le: boolean;
  type: number;
  machine?: number;
  textAddr: number;
  textSize: number;
  buildId?: string;
  symbols: TestSymbol[];
}

/** Writes fixed-width fields in one byte order. */
class Writer {
  constructor(
    readonly buf: Buffer,
    readonly le: boolean,
  ) {}
  u8(o: number, v: number) {
    this.buf[o] = v;
  }
  u16(o: number, v: number) {
    if (this.le) this.buf.writeUInt16LE(v, o);
    else this.buf.writeUInt16BE(v, o);
  }
  u32(o: number, v: number) {
    if (this.le) this.buf.writeUInt32LE(v >>> 0, o);
    else this.buf.writeUInt32BE(v >>> 0, o);
  }
  u64(o: number, v: number) {
    if (this.le) this.buf.writeBigUInt64LE(BigInt(v), o);
    else this.buf.writeBigUInt64BE(BigInt(v), o);
  }
}

const TEXT_OFFSET = 0x1000;

/**
 * A minimal ELF file: one executable PT_LOAD mapping `.text` from file
 * offset 0x1000, a PT_NOTE, and sections null, .text, .data, .note.gnu.build-id,
 * .symtab, .strtab, .shstrtab.
 */
function makeElf(spec: ElfSpec): Buffer {
  const { is64, le } = spec;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const symentsize = is64 ? 24 : 16;
  const dataAddr = spec.textAddr + spec.textSize + 0x1000;

  const shstr = ['', '.text', '.data', '.note.gnu.build-id', '.symtab', '.strtab', '.shstrtab'];
  const shstrtab = Buffer.from(`${shstr.join('\0')}\0`);
  const shName = (i: number) => shstr.slice(0, i).reduce((n, s) => n + s.length + 1, 0);
  const strtab = Buffer.from(`\0${spec.symbols.map((s) => s.name).join('\0')}\0`);
  const strOffsets: number[] = [];
  let off = 1;
  for (const s of spec.symbols) {
    strOffsets.push(off);
    off += Buffer.byteLength(s.name) + 1;
  }
  const id = Buffer.from(spec.buildId ?? '', 'hex');
  const note = Buffer.alloc(12 + 4 + ((id.length + 3) & ~3));

  // File layout.
  const phoff = ehsize;
  const noteOff = phoff + 2 * phentsize;
  const textOff = TEXT_OFFSET;
  const dataOff = textOff + spec.textSize;
  const symOff = (dataOff + 16 + 7) & ~7;
  const symSize = (spec.symbols.length + 1) * symentsize;
  const strOff = symOff + symSize;
  const shstrOff = strOff + strtab.length;
  const shoff = (shstrOff + shstrtab.length + 7) & ~7;
  const total = shoff + shstr.length * shentsize;
  const buf = Buffer.alloc(total);
  const w = new Writer(buf, le);

  // e_ident and header.
  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  w.u16(16, spec.type);
  w.u16(18, spec.machine ?? (is64 ? 62 : 3));
  w.u32(20, 1);
  if (is64) {
    w.u64(32, phoff);
    w.u64(40, shoff);
    w.u16(52, ehsize);
    w.u16(54, phentsize);
    w.u16(56, 2);
    w.u16(58, shentsize);
    w.u16(60, shstr.length);
    w.u16(62, shstr.length - 1);
  } else {
    w.u32(28, phoff);
    w.u32(32, shoff);
    w.u16(40, ehsize);
    w.u16(42, phentsize);
    w.u16(44, 2);
    w.u16(46, shentsize);
    w.u16(48, shstr.length);
    w.u16(50, shstr.length - 1);
  }

  // Program headers: PT_LOAD (R+X) for .text, PT_NOTE.
  const phdr = (i: number, type: number, flags: number, offset: number, vaddr: number, size: number, align: number) => {
    const o = phoff + i * phentsize;
    w.u32(o, type);
    if (is64) {
      w.u32(o + 4, flags);
      w.u64(o + 8, offset);
      w.u64(o + 16, vaddr);
      w.u64(o + 24, vaddr);
      w.u64(o + 32, size);
      w.u64(o + 40, size);
      w.u64(o + 48, align);
    } else {
      w.u32(o + 4, offset);
      w.u32(o + 8, vaddr);
      w.u32(o + 12, vaddr);
      w.u32(o + 16, size);
      w.u32(o + 20, size);
      w.u32(o + 24, flags);
      w.u32(o + 28, align);
    }
  };
  phdr(0, 1, 5, textOff, spec.textAddr, spec.textSize, 0x1000);
  phdr(1, 4, 4, noteOff, noteOff, note.length, 4);

  // The build-id note.
  const nw = new Writer(note, le);
  nw.u32(0, 4);
  nw.u32(4, id.length);
  nw.u32(8, 3);
  note.write('GNU\0', 12, 'latin1');
  id.copy(note, 16);
  note.copy(buf, noteOff);

  // Symbols.
  const sectionIndex = { undef: 0, text: 1, data: 2, abs: 0xfff1 };
  spec.symbols.forEach((s, k) => {
    const o = symOff + (k + 1) * symentsize;
    const info = (s.bind << 4) | s.type;
    w.u32(o, strOffsets[k]);
    if (is64) {
      w.u8(o + 4, info);
      w.u16(o + 6, sectionIndex[s.section]);
      w.u64(o + 8, s.value);
      w.u64(o + 16, s.size);
    } else {
      w.u32(o + 4, s.value);
      w.u32(o + 8, s.size);
      w.u8(o + 12, info);
      w.u16(o + 14, sectionIndex[s.section]);
    }
  });
  strtab.copy(buf, strOff);
  shstrtab.copy(buf, shstrOff);

  // Section headers.
  const shdr = (
    i: number,
    type: number,
    flags: number,
    addr: number,
    offset: number,
    size: number,
    link: number,
    info: number,
    align: number,
    entsize: number,
  ) => {
    const o = shoff + i * shentsize;
    w.u32(o, shName(i));
    w.u32(o + 4, type);
    if (is64) {
      w.u64(o + 8, flags);
      w.u64(o + 16, addr);
      w.u64(o + 24, offset);
      w.u64(o + 32, size);
      w.u32(o + 40, link);
      w.u32(o + 44, info);
      w.u64(o + 48, align);
      w.u64(o + 56, entsize);
    } else {
      w.u32(o + 8, flags);
      w.u32(o + 12, addr);
      w.u32(o + 16, offset);
      w.u32(o + 20, size);
      w.u32(o + 24, link);
      w.u32(o + 28, info);
      w.u32(o + 32, align);
      w.u32(o + 36, entsize);
    }
  };
  shdr(1, 1, 0x6, spec.textAddr, textOff, spec.textSize, 0, 0, 16, 0); // .text: ALLOC|EXECINSTR
  shdr(2, 1, 0x3, dataAddr, dataOff, 16, 0, 0, 8, 0); // .data: WRITE|ALLOC
  shdr(3, 7, 0x2, noteOff, noteOff, note.length, 0, 0, 4, 0); // .note.gnu.build-id
  shdr(4, 2, 0, 0, symOff, symSize, 5, 1, 8, symentsize); // .symtab → .strtab
  shdr(5, 3, 0, 0, strOff, strtab.length, 0, 0, 1, 0);
  shdr(6, 3, 0, 0, shstrOff, shstrtab.length, 0, 0, 1, 0);
  return buf;
}

const TEXT = 0x10000;
const SYMBOLS: TestSymbol[] = [
  { name: 'first', value: TEXT, size: 0x40, type: 2, bind: 1, section: 'text' },
  // Gap 0x40..0x80: padding.
  { name: '__libc_malloc', value: TEXT + 0x80, size: 0x40, type: 2, bind: 1, section: 'text' },
  { name: 'malloc', value: TEXT + 0x80, size: 0x40, type: 2, bind: 1, section: 'text' },
  { name: 'weak_alias', value: TEXT + 0x80, size: 0x40, type: 2, bind: 2, section: 'text' },
  { name: 'memcpy@GLIBC_2.2.5', value: TEXT + 0xc0, size: 0x20, type: 10, bind: 1, section: 'text' },
  // An untyped assembly label without size: covers up to the next symbol.
  { name: 'asm_entry', value: TEXT + 0x100, size: 0, type: 0, bind: 1, section: 'text' },
  { name: '$x', value: TEXT + 0x120, size: 0, type: 0, bind: 0, section: 'text' },
  { name: 'outer', value: TEXT + 0x140, size: 0x100, type: 2, bind: 1, section: 'text' },
  { name: 'nested', value: TEXT + 0x150, size: 0x10, type: 2, bind: 0, section: 'text' },
  { name: 'a_variable', value: TEXT + 0x300, size: 8, type: 1, bind: 1, section: 'text' },
  { name: 'data_label', value: TEXT + 0x1000, size: 0, type: 0, bind: 1, section: 'data' },
  { name: 'imported', value: 0, size: 0, type: 2, bind: 1, section: 'undef' },
];
const BUILD_ID = '0123456789abcdef0123456789abcdef01234567';

const layouts = [
  { is64: true, le: true },
  { is64: true, le: false },
  { is64: false, le: true },
  { is64: false, le: false },
];

for (const { is64, le } of layouts) {
  const label = `${is64 ? 'ELF64' : 'ELF32'} ${le ? 'little' : 'big'}-endian`;
  describe(label, () => {
  const bytes = makeElf({ is64, le, type: ET_DYN, textAddr: TEXT, textSize: 0x400, buildId: BUILD_ID, symbols: SYMBOLS });

  it(`${label}: headers, segments, sections, build id`, async () => {
    const info = await readElfInfo(bufferSource(bytes, label));
    expect(info).toMatchObject({ is64, littleEndian: le, type: ET_DYN, buildId: BUILD_ID, hasDebugInfo: false, hasSymtab: true, debugOnly: false });
    expect(info.segments[0]).toMatchObject({ type: 1, flags: 5, offset: TEXT_OFFSET, vaddr: TEXT, fileSize: 0x400 });
    expect(info.sections.map((s) => s.name)).toEqual(['', '.text', '.data', '.note.gnu.build-id', '.symtab', '.strtab', '.shstrtab']);
  });

  it(`${label}: symbol lookup`, async () => {
    const info = await readElfInfo(bufferSource(bytes, label));
    const table = await readElfSymbols(bufferSource(bytes, label), info);
    const at = (address: number) => {
      const i = table.lookup(address);
      return i < 0 ? null : table.name(i);
    };
    expect(at(TEXT)).toBe('first');
    expect(at(TEXT + 0x3f)).toBe('first');
    expect(at(TEXT + 0x40)).toBeNull(); // padding after a sized symbol
    expect(at(TEXT - 1)).toBeNull();
    expect(at(TEXT + 0x90)).toBe('malloc'); // public name among global aliases
    expect(at(TEXT + 0xc4)).toBe('memcpy'); // IFUNC, version suffix dropped
    expect(at(TEXT + 0x110)).toBe('asm_entry');
    expect(at(TEXT + 0x13f)).toBe('asm_entry'); // `$x` mapping symbols are not functions
    expect(at(TEXT + 0x155)).toBe('nested');
    expect(at(TEXT + 0x200)).toBe('outer'); // after `nested`, still inside `outer`
    expect(at(TEXT + 0x300)).toBeNull(); // objects are not functions
    expect(at(TEXT + 0x1000)).toBeNull(); // untyped labels outside code are not functions
  });

  it(`${label}: symbolize() through a mapping`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapscope-elf-'));
    try {
      const file = join(dir, 'libtest.so');
      writeFileSync(file, bytes);
      const bias = 0x40000000n;
      const mapping: Mapping = {
        start: bias + BigInt(TEXT),
        limit: bias + BigInt(TEXT + 0x1000),
        fileOffset: BigInt(TEXT_OFFSET),
        path: file,
        buildId: BUILD_ID,
        perms: 'r-xp',
      };
      const b = new ProfileBuilder({
        sampleTypes: [INUSE_SPACE],
        meta: {
          format: 'test',
          variant: '',
          file: 't',
          sampling: { model: 'none', periodBytes: 0 },
          sizeKind: 'exact',
          returnAddresses: false,
          warnings: [],
        },
      });
      b.addMapping(mapping);
      const hex = (n: number) => (bias + BigInt(n)).toString(16);
      b.addSample(b.internStack([b.locationForHex(hex(TEXT + 0x90)), b.locationForHex(hex(TEXT + 0x160))]), -1, [1]);
      const { profile, report } = await symbolize(b.finish(), { external: 'none', demangle: 'none', debugDirs: [] });
      const nameOf = (l: number) => profile.strings[profile.functions.name[profile.locations.lineFunction[profile.locations.lineStart[l]]]];
      expect([nameOf(0), nameOf(1)]).toEqual(['malloc', 'outer']);
      expect(report.binaries[0]).toMatchObject({ translation: 'file-offset', resolved: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  });
}

describe('ELF details', () => {
  it('clears the Thumb bit of ARM function symbols', async () => {
    const bytes = makeElf({
      is64: false,
      le: true,
      type: ET_DYN,
      machine: 40,
      textAddr: TEXT,
      textSize: 0x100,
      symbols: [{ name: 'thumb_fn', value: TEXT + 0x21, size: 0x10, type: 2, bind: 1, section: 'text' }],
    });
    const info = await readElfInfo(bufferSource(bytes));
    const table = await readElfSymbols(bufferSource(bytes), info);
    expect(table.startOf(0)).toBe(TEXT + 0x20);
    expect(table.lookup(TEXT + 0x20)).toBe(0);
    expect(info.buildId).toBe('');
  });

  it('translates through PT_LOAD for shared objects, not at all for non-PIE executables', async () => {
    const dyn = await readElfInfo(bufferSource(makeElf({ is64: true, le: true, type: ET_DYN, textAddr: TEXT, textSize: 0x400, symbols: [] })));
    const mapping: Mapping = {
      start: 0x7f0000000000n,
      limit: 0x7f0000001000n,
      fileOffset: BigInt(TEXT_OFFSET),
      path: '/x',
      buildId: '',
      perms: 'r-xp',
    };
    const t = translationFor(mapping, dyn);
    expect(t.rule).toBe('file-offset');
    expect(t.toFileAddress(0x7f0000000123)).toBe(TEXT + 0x123);
    expect(t.toFileAddress(0x7f0000000400)).toBeNaN(); // beyond the segment's file bytes

    const exec = await readElfInfo(bufferSource(makeElf({ is64: true, le: true, type: ET_EXEC, textAddr: 0x401000, textSize: 0x400, symbols: [] })));
    const fixed: Mapping = { ...mapping, start: 0x401000n, limit: 0x402000n, fileOffset: 0n }; // offset deliberately wrong
    expect(translationFor(fixed, exec).rule).toBe('identity');
    expect(translationFor(fixed, exec).toFileAddress(0x401234)).toBe(0x401234);
  });

  it('rejects what is not ELF', async () => {
    await expect(readElfInfo(bufferSource(Buffer.from('#!/bin/sh\necho hi\n')))).rejects.toThrow(/not an ELF file/);
    const truncated = makeElf({ is64: true, le: true, type: ET_DYN, textAddr: TEXT, textSize: 0x100, symbols: [] }).subarray(0, 200);
    await expect(readElfInfo(bufferSource(truncated))).rejects.toThrow(/truncated/);
  });
});
