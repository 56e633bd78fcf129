/**
 * Symbolization: ELF symbol tables read in-process, file:line and inlined
 * frames from addr2line / llvm-symbolizer, inlined frames' scope-qualified
 * names from DWARF where those tools print bare ones (dwarf-names.ts), C++
 * demangling with c++filt (formats: System V gABI for ELF; `man addr2line`,
 * `man llvm-symbolizer`; DWARF 5).
 */
export {
  symbolize,
  Symbolizer,
  type SymbolizeOptions,
  type SymbolizerOptions,
  type SymbolizerStats,
  type SymbolizeReport,
  type BinaryReport,
  type ExternalMode,
  type DemangleMode,
} from './symbolizer.js';
export type { RejectedFile } from './binary-locator.js';
export type { TranslationRule } from './address-translation.js';
export type { ExternalSymbolizerName, DemanglerName, ToolName } from './external-tools.js';
export {
  readElfInfo,
  bufferSource,
  withFileSource,
  ElfError,
  ET_EXEC,
  ET_DYN,
  type ByteSource,
  type ElfInfo,
  type ElfSegment,
  type ElfSection,
} from './elf-file.js';
export { readElfSymbols, ElfSymbolTable } from './symbol-table.js';
export { SymbolDiskCache, defaultCacheDir } from './disk-cache.js';
export { shortNames, withFunctionNames } from './short-names.js';
