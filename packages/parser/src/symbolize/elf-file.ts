/**
 * A small ELF reader: the file header, program headers (PT_LOAD, PT_NOTE),
 * section headers, the GNU build id and whether DWARF debug info is present.
 *
 * Reads: ELF32 and ELF64 files, little- and big-endian, through a
 * {@link ByteSource} so only the headers and the few sections needed are read
 * (a binary with debug info can be gigabytes; its symbol table is a small part).
 *
 * Formats are defined in the System V ABI, "Object Files" chapter (gABI,
 * https://www.sco.com/developers/gabi/latest/contents.html) and `man 5 elf`;
 * the build-id note (`NT_GNU_BUILD_ID`, owner "GNU") in the LSB Core
 * specification and binutils' `ld --build-id`. Symbol tables are read by
 * `symbol-table.ts`.
 */
import { open } from 'node:fs/promises';

/** `e_type` of an executable that is not position independent (loaded at its vaddrs). */
export const ET_EXEC = 2;
/** `e_type` of a shared object or PIE (loaded at any base). */
export const ET_DYN = 3;
/** `e_machine` of 32-bit ARM, whose Thumb function symbols have bit 0 set. */
export const EM_ARM = 40;

/** `p_type` of a loadable segment. */
export const PT_LOAD = 1;
/** `p_type` of a note segment. */
export const PT_NOTE = 4;
/** `p_flags` bit: the segment is executable. */
export const PF_X = 1;

/** `sh_type` of the full symbol table (`.symtab`). */
export const SHT_SYMTAB = 2;
/** `sh_type` of a string table. */
export const SHT_STRTAB = 3;
/** `sh_type` of a note section (`.note.gnu.build-id`). */
export const SHT_NOTE = 7;
/** `sh_type` of a section without file bytes (`.bss`; everything but debug info in a split debug file). */
export const SHT_NOBITS = 8;
/** `sh_type` of the dynamic symbol table (`.dynsym`, kept by strip). */
export const SHT_DYNSYM = 11;
/** `sh_type` of the extended section indexes of a symbol table. */
export const SHT_SYMTAB_SHNDX = 18;
/** `sh_flags` bit: the section holds machine instructions. */
export const SHF_EXECINSTR = 4;

const NT_GNU_BUILD_ID = 3;
const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

/** Random access to the bytes of a file (or of a buffer, in tests). */
export interface ByteSource {
  /** Display name (a path, or a description for buffers). */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** `length` bytes from `offset`; shorter only at the end of the source. */
  read(offset: number, length: number): Promise<Buffer>;
}

/** A {@link ByteSource} over bytes already in memory. */
export function bufferSource(bytes: Uint8Array, name = '<buffer>'): ByteSource {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    name,
    size: buffer.length,
    read: async (offset, length) => buffer.subarray(offset, Math.min(buffer.length, offset + length)),
  };
}

/**
 * Opens `path` and calls `use` with a {@link ByteSource} over it; the file is
 * closed when `use` settles.
 */
export async function withFileSource<T>(path: string, use: (source: ByteSource) => Promise<T>): Promise<T> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const source: ByteSource = {
      name: path,
      size,
      read: async (offset, length) => {
        const want = Math.max(0, Math.min(length, size - offset));
        const buffer = Buffer.allocUnsafe(want);
        let done = 0;
        while (done < want) {
          const { bytesRead } = await handle.read(buffer, done, want - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === want ? buffer : buffer.subarray(0, done);
      },
    };
    return await use(source);
  } finally {
    await handle.close();
  }
}

/** Thrown when bytes are not a well-formed ELF file (or one this reader cannot use). */
export class ElfError extends Error {
  override readonly name = 'ElfError';
}

/** One program header. Addresses and offsets are numbers (exact below 2^53). */
export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  fileSize: number;
  memSize: number;
  align: number;
}

/** One section header, with its name resolved. */
export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addrAlign: number;
  entSize: number;
}

/** Reads fixed-width fields in the file's byte order; 64-bit fields as numbers. */
class FieldReader {
  constructor(
    readonly littleEndian: boolean,
    readonly is64: boolean,
  ) {}

  u8(b: Buffer, o: number): number {
    return b[o];
  }

  u16(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }

  u32(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }

  /** An unsigned 64-bit field; exact below 2^53 (every real file offset and user-space vaddr). */
  u64(b: Buffer, o: number): number {
    const lo = this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o + 4);
    const hi = this.littleEndian ? b.readUInt32LE(o + 4) : b.readUInt32BE(o);
    return hi * 0x100000000 + lo;
  }

  /** An address-sized field (`Elf32_Addr`/`Elf64_Addr`, `Off`, `Xword` sizes). */
  word(b: Buffer, o: number): number {
    return this.is64 ? this.u64(b, o) : this.u32(b, o);
  }
}

/** The parts of an ELF file that symbolization needs, minus the symbols. */
export interface ElfInfo {
  /** Display name of the source (the path for files). */
  name: string;
  is64: boolean;
  littleEndian: boolean;
  /** `e_type`: {@link ET_EXEC}, {@link ET_DYN}, … */
  type: number;
  machine: number;
  segments: readonly ElfSegment[];
  sections: readonly ElfSection[];
  /** GNU build id as lowercase hex, '' when the file has none. */
  buildId: string;
  /** A `.debug_info` (or `.zdebug_info`) section with contents is present. */
  hasDebugInfo: boolean;
  /** A `.symtab` with contents is present (a `.dynsym` alone is the stripped case). */
  hasSymtab: boolean;
  /**
   * The file holds no code: its executable PT_LOADs have no file bytes, as in
   * a split debug file (`objcopy --only-keep-debug`). Its program headers'
   * offsets are then meaningless, so it cannot translate file offsets.
   */
  debugOnly: boolean;
}

const ELF_MAGIC = 0x7f454c46;

/** True when `head` starts with the ELF magic. */
export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0 === ELF_MAGIC;
}

/** Reads the headers, section names and build id of the ELF file in `source`. */
export async function readElfInfo(source: ByteSource): Promise<ElfInfo> {
  const ident = await source.read(0, 64);
  if (!isElf(ident)) throw new ElfError(`${source.name}: not an ELF file`);
  const elfClass = ident[4];
  const data = ident[5];
  if ((elfClass !== 1 && elfClass !== 2) || (data !== 1 && data !== 2)) {
    throw new ElfError(`${source.name}: unknown ELF class ${elfClass} or data encoding ${data}`);
  }
  const is64 = elfClass === 2;
  const r = new FieldReader(data === 1, is64);
  if (ident.length < (is64 ? 64 : 52)) throw new ElfError(`${source.name}: truncated ELF header`);

  // Elf32_Ehdr / Elf64_Ehdr field offsets (gABI, "ELF Header").
  const type = r.u16(ident, 16);
  const machine = r.u16(ident, 18);
  const phoff = r.word(ident, is64 ? 32 : 28);
  const shoff = r.word(ident, is64 ? 40 : 32);
  const phentsize = r.u16(ident, is64 ? 54 : 42);
  let phnum = r.u16(ident, is64 ? 56 : 44);
  const shentsize = r.u16(ident, is64 ? 58 : 46);
  let shnum = r.u16(ident, is64 ? 60 : 48);
  let shstrndx = r.u16(ident, is64 ? 62 : 50);

  // Section header 0 holds the real counts when they do not fit in 16 bits
  // (gABI, "Sections": SHN_XINDEX, PN_XNUM).
  const shdrSize = is64 ? 64 : 40;
  if (shoff !== 0 && (shnum === 0 || shstrndx === SHN_XINDEX || phnum === PN_XNUM)) {
    if (shentsize < shdrSize) throw new ElfError(`${source.name}: bad section header size ${shentsize}`);
    const first = await source.read(shoff, shdrSize);
    if (first.length < shdrSize) throw new ElfError(`${source.name}: truncated section headers`);
    if (shnum === 0) shnum = r.word(first, is64 ? 32 : 20);
    if (shstrndx === SHN_XINDEX) shstrndx = r.u32(first, is64 ? 40 : 24);
    if (phnum === PN_XNUM) phnum = r.u32(first, is64 ? 44 : 28);
  }

  const segments = await readSegments(source, r, phoff, phentsize, phnum);
  const sections = await readSections(source, r, shoff, shentsize, shnum, shstrndx);

  let buildId = '';
  for (const s of sections) {
    if (s.type !== SHT_NOTE || s.size === 0) continue;
    buildId = findBuildId(await source.read(s.offset, s.size), r, s.addrAlign);
    if (buildId) break;
  }
  if (!buildId && sections.length === 0) {
    // Section headers stripped (sstrip, some vendor images): the notes are still in PT_NOTE.
    for (const p of segments) {
      if (p.type !== PT_NOTE || p.fileSize === 0) continue;
      buildId = findBuildId(await source.read(p.offset, p.fileSize), r, p.align);
      if (buildId) break;
    }
  }

  const hasContents = (s: ElfSection) => s.type !== SHT_NOBITS && s.size > 0;
  const hasDebugInfo = sections.some((s) => (s.name === '.debug_info' || s.name === '.zdebug_info') && hasContents(s));
  const hasSymtab = sections.some((s) => s.type === SHT_SYMTAB && hasContents(s));
  const code = segments.filter((p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0);
  const debugOnly = code.length > 0 && code.every((p) => p.fileSize === 0);

  return {
    name: source.name,
    is64,
    littleEndian: r.littleEndian,
    type,
    machine,
    segments,
    sections,
    buildId,
    hasDebugInfo,
    hasSymtab,
    debugOnly,
  };
}

async function readSegments(
  source: ByteSource,
  r: FieldReader,
  phoff: number,
  phentsize: number,
  phnum: number,
): Promise<ElfSegment[]> {
  if (phoff === 0 || phnum === 0) return [];
  const size = r.is64 ? 56 : 32;
  if (phentsize < size) throw new ElfError(`${source.name}: bad program header size ${phentsize}`);
  const table = await source.read(phoff, phentsize * phnum);
  if (table.length < phentsize * phnum) throw new ElfError(`${source.name}: truncated program headers`);
  const out: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    // Elf64_Phdr puts p_flags second (for alignment); Elf32_Phdr puts it seventh.
    out.push(
      r.is64
        ? {
            type: r.u32(table, o),
            flags: r.u32(table, o + 4),
            offset: r.u64(table, o + 8),
            vaddr: r.u64(table, o + 16),
            fileSize: r.u64(table, o + 32),
            memSize: r.u64(table, o + 40),
            align: r.u64(table, o + 48),
          }
        : {
            type: r.u32(table, o),
            offset: r.u32(table, o + 4),
            vaddr: r.u32(table, o + 8),
            fileSize: r.u32(table, o + 16),
            memSize: r.u32(table, o + 20),
            flags: r.u32(table, o + 24),
            align: r.u32(table, o + 28),
          },
    );
  }
  return out;
}

async function readSections(
  source: ByteSource,
  r: FieldReader,
  shoff: number,
  shentsize: number,
  shnum: number,
  shstrndx: number,
): Promise<ElfSection[]> {
  if (shoff === 0 || shnum === 0) return [];
  const size = r.is64 ? 64 : 40;
  if (shentsize < size) throw new ElfError(`${source.name}: bad section header size ${shentsize}`);
  const table = await source.read(shoff, shentsize * shnum);
  if (table.length < shentsize * shnum) throw new ElfError(`${source.name}: truncated section headers`);
  const nameOffsets: number[] = [];
  const out: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    nameOffsets.push(r.u32(table, o));
    out.push(
      r.is64
        ? {
            name: '',
            type: r.u32(table, o + 4),
            flags: r.u64(table, o + 8),
            addr: r.u64(table, o + 16),
            offset: r.u64(table, o + 24),
            size: r.u64(table, o + 32),
            link: r.u32(table, o + 40),
            info: r.u32(table, o + 44),
            addrAlign: r.u64(table, o + 48),
            entSize: r.u64(table, o + 56),
          }
        : {
            name: '',
            type: r.u32(table, o + 4),
            flags: r.u32(table, o + 8),
            addr: r.u32(table, o + 12),
            offset: r.u32(table, o + 16),
            size: r.u32(table, o + 20),
            link: r.u32(table, o + 24),
            info: r.u32(table, o + 28),
            addrAlign: r.u32(table, o + 32),
            entSize: r.u32(table, o + 36),
          },
    );
  }
  const names = out[shstrndx];
  if (names && names.type !== SHT_NOBITS && names.size > 0) {
    const strtab = await source.read(names.offset, names.size);
    for (let i = 0; i < out.length; i++) out[i].name = cString(strtab, nameOffsets[i]);
  }
  return out;
}

/** The NUL-terminated string at `offset` of a string table ('' when out of range). */
export function cString(table: Buffer, offset: number): string {
  if (offset >= table.length) return '';
  let end = table.indexOf(0, offset);
  if (end < 0) end = table.length;
  return table.toString('utf8', offset, end);
}

/**
 * The build id in a block of notes (Elf_Nhdr: namesz, descsz, type, then the
 * name and the descriptor, each padded to the note alignment), or ''.
 */
function findBuildId(notes: Buffer, r: FieldReader, alignment: number): string {
  // Notes are 4-byte aligned, except sections/segments aligned to 8 on 64-bit
  // (`.note.gnu.property`), whose padding is 8 bytes.
  const align = alignment === 8 ? 8 : 4;
  const pad = (n: number) => (n + align - 1) & ~(align - 1);
  let o = 0;
  while (o + 12 <= notes.length) {
    const nameSize = r.u32(notes, o);
    const descSize = r.u32(notes, o + 4);
    const type = r.u32(notes, o + 8);
    const nameStart = o + 12;
    const descStart = nameStart + pad(nameSize);
    if (descStart + descSize > notes.length) break;
    if (
      type === NT_GNU_BUILD_ID &&
      nameSize === 4 &&
      notes[nameStart] === 0x47 && // G
      notes[nameStart + 1] === 0x4e && // N
      notes[nameStart + 2] === 0x55 && // U
      notes[nameStart + 3] === 0
    ) {
      return notes.toString('hex', descStart, descStart + descSize);
    }
    o = descStart + pad(descSize);
  }
  return '';
}
