/**
 * Runtime address → ELF virtual address ("file address"), the address that
 * symbol tables and DWARF use.
 *
 * Reads: a profile {@link Mapping} (from the dump's `/proc/PID/maps` section:
 * start, limit, file offset; `man 5 proc`) and the ELF program headers of the
 * mapped file (PT_LOAD: p_offset, p_vaddr, p_filesz; System V gABI, "Program
 * Header").
 *
 * The rule: the mapping maps file bytes from `fileOffset` at `start`, so
 * address A is file offset `A − start + fileOffset`; the PT_LOAD segment whose
 * file bytes hold that offset maps it to `p_vaddr + (offset − p_offset)`.
 * When the producer gives the load bias instead (`Mapping.loadBias`), the
 * virtual address is simply `A − loadBias`.
 */
import { ET_EXEC, PF_X, PT_LOAD, type ElfInfo, type ElfSegment } from './elf-file.js';
import type { Mapping } from '../model/profile.js';

/** How a binary's runtime addresses were turned into file addresses. */
export type TranslationRule =
  /** Through the mapping's file offset and the PT_LOAD headers (PIE, shared objects). */
  | 'file-offset'
  /** Unchanged: a non-PIE executable runs at its link-time addresses (also the no-mappings rule). */
  | 'identity'
  /** Minus the mapping's load bias (`Mapping.loadBias`, given by the producer). */
  | 'load-bias'
  /**
   * Only a split debug file was found (its program headers hold no file
   * offsets): the mapping is assumed to start at the first page of an
   * executable segment. A guess; see `translationFor`.
   */
  | 'debug-file-guess'
  /** Nothing sensible: every address stays unresolved. */
  | 'none';

/** Translates runtime addresses of one mapping into `layout`'s virtual addresses. */
export interface AddressTranslation {
  readonly rule: TranslationRule;
  /** The ELF virtual address for runtime address `address`, or NaN when it maps to no loaded file bytes. */
  toFileAddress(address: number): number;
}

/** Largest page size in use (arm64, ppc64 64 KiB pages): bounds the ET_EXEC check. */
const MAX_PAGE = 0x10000;
/** Smallest page size: mappings start on a page boundary at least this fine. */
const MIN_PAGE = 0x1000;

/** Identity translation, for non-PIE executables and profiles without mappings. */
export const IDENTITY: AddressTranslation = { rule: 'identity', toFileAddress: (a) => a };

const NONE: AddressTranslation = { rule: 'none', toFileAddress: () => NaN };

/**
 * The translation for addresses in `mapping` of the file described by
 * `layout`. Mapping fields beyond 2^53 (kernel mappings) give `none`.
 */
export function translationFor(mapping: Mapping, layout: ElfInfo): AddressTranslation {
  const start = Number(mapping.start);
  const fileOffset = Number(mapping.fileOffset);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(fileOffset)) return NONE;
  const loads = layout.segments.filter((p) => p.type === PT_LOAD);

  if (mapping.loadBias !== undefined) {
    // The producer knew where the loader put the file (heaptrack's module
    // list): address − bias is the virtual address; outside every PT_LOAD
    // it is nothing the file holds.
    const bias = Number(mapping.loadBias);
    if (!Number.isSafeInteger(bias)) return NONE;
    return {
      rule: 'load-bias',
      toFileAddress(address: number): number {
        const v = address - bias;
        return loads.some((p) => v >= p.vaddr && v < p.vaddr + p.memSize) ? v : NaN;
      },
    };
  }

  if (layout.type === ET_EXEC) {
    // A non-PIE executable cannot be relocated: runtime addresses already are
    // its vaddrs. Checked against the headers (the mapping must lie within a
    // PT_LOAD, allowing for the page rounding of its start) so that a wrong
    // file or a dump with made-up offsets does not pass silently; otherwise
    // the general rule below decides.
    const inSegment = loads.some((p) => start >= p.vaddr - (p.vaddr % MAX_PAGE) && start < p.vaddr + p.memSize);
    if (inSegment) return IDENTITY;
  }

  if (layout.debugOnly) {
    // A split debug file keeps p_vaddr but not p_offset (objcopy
    // --only-keep-debug zeroes the file bytes), so file offsets cannot be
    // mapped. Guess: the mapping begins at the first page of an executable
    // segment, which holds for the usual one-mapping-per-segment layout.
    const code = loads.filter((p) => (p.flags & PF_X) !== 0);
    if (code.length === 0) return NONE;
    return {
      rule: 'debug-file-guess',
      toFileAddress(address: number): number {
        for (const p of code) {
          const v = address - start + (p.vaddr - (p.vaddr % MIN_PAGE));
          if (v >= p.vaddr && v < p.vaddr + p.memSize) return v;
        }
        return NaN;
      },
    };
  }

  const withBytes: ElfSegment[] = loads.filter((p) => p.fileSize > 0);
  if (withBytes.length === 0) return NONE;
  return {
    rule: 'file-offset',
    toFileAddress(address: number): number {
      const offset = address - start + fileOffset;
      for (const p of withBytes) {
        if (offset >= p.offset && offset < p.offset + p.fileSize) return p.vaddr + (offset - p.offset);
      }
      return NaN;
    },
  };
}
