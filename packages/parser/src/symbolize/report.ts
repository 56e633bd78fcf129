/**
 * What symbolization reports: per binary, what was found and used, and for
 * the whole profile, what could not be looked up and why (the CLI turns it
 * into warnings; `--verbose` and the tests read it whole).
 */
import type { RejectedFile } from './binary-locator.js';
import type { TranslationRule } from './address-translation.js';
import type { DemanglerName, ExternalSymbolizerName } from './external-tools.js';

/** What happened to one binary (one distinct mapping path and build id). */
export interface BinaryReport {
  /** The mapping path as the dump gives it (or the `--symbols` file under the no-mappings rule). */
  path: string;
  /** The mapping's build id, '' when the dump has none. */
  buildId: string;
  /** `not-found`: no usable file; its locations stay unresolved. */
  status: 'symbolized' | 'not-found';
  /** The file the symbol names came from, or null. */
  file: string | null;
  /** The file with DWARF for an external symbolizer (`file` itself or a separate debug file), or null. */
  debugFile: string | null;
  /** How runtime addresses became file addresses, or null when no file was found. */
  translation: TranslationRule | null;
  /** Symbol tables read: `symtab`, `dynsym` (empty for a fully stripped file, and when every address was answered from the cache, which needs no table). */
  symbolTables: readonly string[];
  /** Locations in this binary that were looked up. */
  locations: number;
  /**
   * Of those, locations that had the producer's names (perf's; see
   * `SymbolizeReport.producer`), which they keep when left unresolved.
   */
  producerNamed: number;
  /**
   * Of those, locations whose producer's symbol starts elsewhere in this file
   * than the function covering their address (or where no function of its
   * full symbol table covers it): the file is not the build the
   * producer read (or its addresses mean something else). They keep the
   * producer's names, and a warning says so.
   */
  producerElsewhere: number;
  /** Of those, locations that got at least one line. */
  resolved: number;
  /** Of those, locations left without lines. */
  unresolved: number;
  /** The external symbolizer whose answers were used, or null. */
  external: ExternalSymbolizerName | null;
  /** Why an external symbolizer failed (its answers then came from the symbol tables), or null. */
  externalError: string | null;
  /** Files looked at and not used (build id mismatch, not ELF). */
  rejected: readonly RejectedFile[];
  /** Why the symbol tables of `file` could not be read (names then come only from the external tool), or null. */
  symbolError: string | null;
}

/** What a {@link symbolize} call did, for the CLI's warnings and `--verbose`. */
export interface SymbolizeReport {
  /** One entry per binary with locations to look up, in mapping order. */
  binaries: BinaryReport[];
  /** The entries of `binaries` whose file was not found (one warning line each). */
  missing: BinaryReport[];
  /** Locations in no mapping (left unresolved). */
  unmappedLocations: number;
  /** Locations in mappings that name no file (`[heap]`, anonymous, …). */
  pseudoLocations: number;
  /** Locations that already had lines and were kept (a producer's names in no binary: `[kernel.kallsyms]`, frames printed without a dso). */
  keptLocations: number;
  /**
   * Who named the profile's frames before (`perf`: ProfileMeta's
   * `producerNames`), whose names were replaced wherever a binary could be
   * read; null for a profile of addresses.
   */
  producer: string | null;
  /**
   * Locations looked up at address − 1: every location looked up in a
   * profile whose frames are return addresses (`meta.returnAddresses`),
   * every one but a record's own address in a profile a producer named
   * (`meta.producerNames`), none otherwise.
   */
  returnAddressLocations: number;
  /**
   * True when the profile has no mappings and `symbolPaths` names exactly one
   * file: every address was taken as a virtual address of that file.
   */
  noMappingsRule: boolean;
  /** The demangler used, or null (none wanted, none found, or nothing to demangle). */
  demangler: DemanglerName | null;
  /** Why the demangler failed (names were then kept mangled), or null. */
  demanglerError: string | null;
  /** `symbolPaths` entries that could not be used, with the reason. */
  symbolPathErrors: { path: string; reason: string }[];
}

/** Work a {@link Symbolizer} has done so far (for `--verbose` and for tests of its caches). */
export interface SymbolizerStats {
  /** ELF files whose headers were read. */
  elfHeadersRead: number;
  /** Symbol tables read and indexed. */
  symbolTablesRead: number;
  /** External symbolizer processes started. */
  externalRuns: number;
  /** Demangler processes started. */
  demanglerRuns: number;
}

/** A report with nothing found yet. */
export function emptySymbolizeReport(): SymbolizeReport {
  return {
    binaries: [],
    missing: [],
    unmappedLocations: 0,
    pseudoLocations: 0,
    keptLocations: 0,
    producer: null,
    returnAddressLocations: 0,
    noMappingsRule: false,
    demangler: null,
    demanglerError: null,
    symbolPathErrors: [],
  };
}
