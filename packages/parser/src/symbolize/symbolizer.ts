/**
 * Symbolization of a {@link HeapProfile}: gives its locations function names,
 * and file:line with inlined frames where DWARF and an external symbolizer
 * are available (docs/design.md#symbolization).
 *
 * Reads: the profile's mappings and locations (model/profile.ts), ELF files
 * (elf-file.ts, symbol-table.ts; System V gABI), the output of addr2line /
 * llvm-symbolizer / c++filt (external-tools.ts; `man addr2line`). Which
 * addresses are return addresses, importer by importer: docs/symbolization.md.
 *
 * Never drops: a location that cannot be resolved keeps no lines (the
 * display layer shows it as `module+0xoffset`), and the report says why.
 */
import { stat } from 'node:fs/promises';
import { toNumber } from '../model/address.js';
import type { HeapProfile, Mapping } from '../model/profile.js';
import { withLocationLines, type FrameInfo } from '../model/symbols.js';
import { StringTable } from '../model/string-table.js';
import { IDENTITY, translationFor, type AddressTranslation, type TranslationRule } from './address-translation.js';
import {
  isPseudoPath,
  locateBinary,
  type LocatedBinary,
  type RejectedFile,
  type SymbolPathEntry,
} from './binary-locator.js';
import { ElfError, isElf, readElfInfo, withFileSource, type ElfInfo } from './elf-file.js';
import {
  DEFAULT_TOOL_TIMEOUT_MS,
  findOnPath,
  looksMangled,
  runAddr2line,
  runDemangler,
  runLlvmSymbolizer,
  type DemanglerName,
  type ExternalSymbolizerName,
  type RawFrame,
  type ToolName,
} from './external-tools.js';
import { ElfSymbolTable, readElfSymbols } from './symbol-table.js';
import { merge, nameByAddress } from './reconcile.js';
import { SymbolDiskCache } from './disk-cache.js';

/**
 * Which external symbolizer gives file:line and inlined frames: `auto` uses
 * the first of llvm-symbolizer and addr2line found on the search path (and
 * the other when the first fails); `none` uses ELF symbol tables only.
 */
export type ExternalMode = 'auto' | 'none' | ExternalSymbolizerName;

/** Which demangler turns C++ linkage names into display names; `auto`: c++filt, else llvm-cxxfilt. */
export type DemangleMode = 'auto' | 'none' | DemanglerName;

/** Options of one {@link symbolize} call. */
export interface SymbolizeOptions {
  /**
   * The CLI's `--symbols` paths, in order: binaries (matched to mappings by
   * basename or build id) and directories (searched by build id, by the
   * mapping's full path below them — a sysroot or Android `symbols/` tree —
   * and by basename). Without a match the dump's own path is used.
   */
  symbolPaths?: readonly string[];
  /** Default `auto`. */
  external?: ExternalMode;
  /** Default `auto`. */
  demangle?: DemangleMode;
  /** Where separate debug files live by build id (`DIR/.build-id/xx/yyyy.debug`). Default `['/usr/lib/debug']`. */
  debugDirs?: readonly string[];
  /**
   * Also look up locations that already have lines (those that still cannot
   * be resolved keep theirs). Default false: they are kept as they are.
   */
  resymbolize?: boolean;
  /** Reuse this instance's caches (symbolizing a series of dumps of one process). */
  symbolizer?: Symbolizer;
}

/** Options of a {@link Symbolizer}: where its external tools are. */
export interface SymbolizerOptions {
  /** Directories searched for the tools, `PATH`-style. Default `process.env.PATH`. */
  searchPath?: string;
  /** Commands to use instead of searching (a path, or `''` to treat the tool as absent). */
  tools?: Partial<Record<ToolName, string>>;
  /** Time limit for one external process. Default {@link DEFAULT_TOOL_TIMEOUT_MS}. */
  toolTimeoutMs?: number;
  /**
   * Directory of a persistent cache of external symbolizer answers (by build
   * id), or null for none (the default). See disk-cache.ts.
   */
  cacheDir?: string | null;
}

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
  /** Locations that already had lines and were kept. */
  keptLocations: number;
  /**
   * Locations looked up at address − 1: every location looked up in a
   * profile whose frames are return addresses (`meta.returnAddresses`),
   * none otherwise.
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

/** How many binaries are located and resolved at once. */
const CONCURRENCY = 4;

/**
 * Per-binary state kept across calls: the symbol table and every address
 * already resolved. The symbol tables are read on first need: when the
 * persistent cache answers every address, they are never read.
 */
class BinaryEntry {
  /** Resolved frames by file address, per external mode (`none` or the tool that was asked). */
  readonly frames = new Map<string, Map<number, RawFrame[]>>();
  /** A tool that failed on this binary, and why (not retried on later calls). */
  readonly toolErrors = new Map<ExternalSymbolizerName, string>();

  /** Tools whose persistent cache was already merged into `frames`. */
  readonly loadedFromDisk = new Set<string>();

  private table: Promise<ElfSymbolTable> | null = null;
  /** The symbol tables, once read (null before). */
  symbols: ElfSymbolTable | null = null;
  /** Why the symbol tables could not be read, or null. */
  symbolError: string | null = null;

  constructor(
    private readonly readSymbols: () => Promise<ElfSymbolTable>,
    /** Build id of the binary ('' when it has none). */
    readonly buildId: string,
    readonly debugFile: string | null,
    /**
     * Disk cache key of the symbol tables' answers: a stripped and an
     * unstripped copy of one build id answer differently.
     */
    readonly tablesKey: 'symtab' | 'dynsym',
  ) {}

  /** Reads the symbol tables once; a file whose tables cannot be read gets an empty table and `symbolError`. */
  loadSymbols(): Promise<ElfSymbolTable> {
    this.table ??= this.readSymbols().then(
      (symbols) => (this.symbols = symbols),
      (error: unknown) => {
        this.symbolError = (error as Error).message;
        return (this.symbols = ElfSymbolTable.empty());
      },
    );
    return this.table;
  }

  framesFor(mode: string): Map<number, RawFrame[]> {
    let map = this.frames.get(mode);
    if (!map) {
      map = new Map();
      this.frames.set(mode, map);
    }
    return map;
  }

  /** In-process answer: the covering symbol's name, or no frame (after {@link loadSymbols}). */
  fromSymbols(address: number): RawFrame[] {
    const symbols = this.symbols as ElfSymbolTable;
    const i = symbols.lookup(address);
    return i < 0 ? [] : [{ name: symbols.name(i), file: '', line: 0 }];
  }
}

/** Locations of one binary group being symbolized. */
interface Group {
  path: string;
  buildId: string;
  mappings: number[];
  locations: number[];
}

/**
 * Symbolizes profiles, caching per binary (by build id when the file has
 * one, else by path, size and modification time): ELF headers, symbol
 * tables, resolved addresses and demangled names. Reuse one instance for a
 * series of dumps so that each binary is parsed, and each address looked up,
 * once. Not meant to outlive changes to the files it has read.
 */
export class Symbolizer {
  private readonly searchPath: string;
  private readonly toolOverrides: Partial<Record<ToolName, string>>;
  private readonly timeoutMs: number;
  private readonly diskCache: SymbolDiskCache | null;
  private readonly tools = new Map<ToolName, Promise<string | null>>();
  private readonly infos = new Map<string, Promise<ElfInfo | { error: string }>>();
  private readonly identities = new WeakMap<ElfInfo, string>();
  private readonly binaries = new Map<string, BinaryEntry>();
  private readonly demangled = new Map<string, string>();
  /** Counters of the work done so far; read-only for callers. */
  readonly stats: SymbolizerStats = { elfHeadersRead: 0, symbolTablesRead: 0, externalRuns: 0, demanglerRuns: 0 };

  constructor(options: SymbolizerOptions = {}) {
    this.searchPath = options.searchPath ?? process.env.PATH ?? '';
    this.toolOverrides = options.tools ?? {};
    this.timeoutMs = options.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    this.diskCache = options.cacheDir ? new SymbolDiskCache(options.cacheDir) : null;
  }

  /** The command for `tool`, or null when it is not available. Cached. */
  tool(tool: ToolName): Promise<string | null> {
    let found = this.tools.get(tool);
    if (!found) {
      const override = this.toolOverrides[tool];
      found = override !== undefined ? Promise.resolve(override === '' ? null : override) : findOnPath(tool, this.searchPath);
      this.tools.set(tool, found);
    }
    return found;
  }

  /**
   * The ELF headers of the file at `path`: `'missing'` when there is no
   * regular file there, `{ error }` when it is not a usable ELF file. Cached
   * by (path, size, mtime).
   */
  async elfInfo(path: string): Promise<ElfInfo | 'missing' | { error: string }> {
    let st;
    try {
      st = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : { error: `cannot read: ${(error as Error).message}` };
    }
    if (!st.isFile()) return 'missing';
    const identity = `${path}\0${st.size}\0${st.mtimeMs}`;
    let info = this.infos.get(identity);
    if (!info) {
      info = withFileSource(path, async (source) => {
        if (!isElf(await source.read(0, 4))) return { error: 'not an ELF file' };
        this.stats.elfHeadersRead++;
        return readElfInfo(source);
      }).catch((error: unknown) => ({
        error: error instanceof ElfError ? error.message : `cannot read: ${(error as Error).message}`,
      }));
      this.infos.set(identity, info);
    }
    const result = await info;
    if (!('error' in result)) this.identities.set(result, identity);
    return result;
  }

  private binary(located: LocatedBinary): BinaryEntry {
    const { info } = located;
    // The same build id in a stripped and an unstripped copy holds different
    // symbols: the key says which kind of file it is.
    const key = info.buildId
      ? `id:${info.buildId}:${info.hasSymtab ? 's' : 'd'}${located.debug ? 'g' : ''}`
      : `file:${this.identities.get(info) ?? located.file}`;
    let entry = this.binaries.get(key);
    if (!entry) {
      const read = () => {
        this.stats.symbolTablesRead++;
        return withFileSource(located.file, (source) => readElfSymbols(source, info));
      };
      entry = new BinaryEntry(read, info.buildId, located.debug?.file ?? null, info.hasSymtab ? 'symtab' : 'dynsym');
      this.binaries.set(key, entry);
    }
    return entry;
  }

  /** See the free function {@link symbolize}. */
  async symbolize(
    profile: HeapProfile,
    options: Omit<SymbolizeOptions, 'symbolizer'> = {},
  ): Promise<{ profile: HeapProfile; report: SymbolizeReport }> {
    const report: SymbolizeReport = {
      binaries: [],
      missing: [],
      unmappedLocations: 0,
      pseudoLocations: 0,
      keptLocations: 0,
      returnAddressLocations: 0,
      noMappingsRule: false,
      demangler: null,
      demanglerError: null,
      symbolPathErrors: [],
    };
    const locations = profile.locations;
    // Every frame of a heap backtrace, the leaf included, is a return address:
    // the call instruction ends just before it, and the code at the address
    // itself may belong to another line, inlined function or even function
    // (a call to a noreturn function ends its caller). docs/symbolization.md.
    const minusOne = profile.meta.returnAddresses;
    const entries = await this.classifySymbolPaths(options.symbolPaths ?? [], report);
    const fileEntries = entries.filter((e) => e.kind === 'file');
    const mappings = profile.mappings;
    report.noMappingsRule = mappings.length === 0 && fileEntries.length === 1;

    // Group locations by binary: one group per distinct (path, build id).
    const groups: Group[] = [];
    const groupOfMapping = new Int32Array(mappings.length).fill(-1);
    const groupByKey = new Map<string, number>();
    mappings.forEach((m, i) => {
      if (isPseudoPath(m.path)) return;
      const key = `${m.path}\n${m.buildId.toLowerCase()}`;
      let g = groupByKey.get(key);
      if (g === undefined) {
        g = groups.length;
        groups.push({ path: m.path, buildId: m.buildId.toLowerCase(), mappings: [], locations: [] });
        groupByKey.set(key, g);
      }
      groupOfMapping[i] = g;
      groups[g].mappings.push(i);
    });
    const single: Group | null = report.noMappingsRule
      ? { path: fileEntries[0].path, buildId: '', mappings: [], locations: [] }
      : null;
    for (let l = 0; l < locations.length; l++) {
      if (!options.resymbolize && locations.lineStart[l + 1] > locations.lineStart[l]) {
        report.keptLocations++;
        continue;
      }
      const m = locations.mapping[l];
      if (m < 0) {
        if (single) single.locations.push(l);
        else report.unmappedLocations++;
      } else if (groupOfMapping[m] < 0) report.pseudoLocations++;
      else groups[groupOfMapping[m]].locations.push(l);
    }
    const work = (single ? [single] : groups).filter((g) => g.locations.length > 0);
    if (minusOne) for (const g of work) report.returnAddressLocations += g.locations.length;

    // Resolve each binary's locations to raw frames.
    const framesOfLocation = new Array<RawFrame[] | undefined>(locations.length);
    const external = options.external ?? 'auto';
    const debugDirs = options.debugDirs ?? ['/usr/lib/debug'];
    const reports = new Array<BinaryReport>(work.length);
    const buildIdOfMapping = new Map<number, string>();
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const i = next++;
        reports[i] = await this.symbolizeGroup(profile, work[i], {
          entries,
          debugDirs,
          external,
          minusOne,
          framesOfLocation,
          single: single !== null,
          buildIdOfMapping,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, work.length) }, worker));
    report.binaries = reports;
    report.missing = reports.filter((r) => r.status === 'not-found');

    // Demangle every new name in one process, then build the frames.
    const demangle = await this.demangleAll(framesOfLocation, options.demangle ?? 'auto', report);
    const shared = new Map<RawFrame[], FrameInfo[]>();
    const symbolized = withLocationLines(profile, (l) => {
      const raw = framesOfLocation[l];
      if (!raw || raw.length === 0) return undefined;
      let frames = shared.get(raw);
      if (!frames) {
        frames = raw.map((f) => {
          // Display names drop the symbol version (`pthread_create@@GLIBC_2.34`);
          // systemName keeps the raw symbol.
          const frame: FrameInfo = { name: demangle(f.name).replace(/@@?[A-Z][A-Za-z0-9_.]*$/, ''), systemName: f.name };
          if (f.file !== '') frame.file = f.file;
          if (f.line > 0) frame.line = f.line;
          return frame;
        });
        shared.set(raw, frames);
      }
      return frames;
    });
    // Mappings whose dump gave no build id get the one of the binary they were symbolized
    // against (pprof output carries it, and later lookups can go by it).
    const withIds = buildIdOfMapping.size === 0
      ? symbolized
      : symbolized.with({ mappings: mappings.map((m, i) => (m.buildId === '' && buildIdOfMapping.has(i) ? { ...m, buildId: buildIdOfMapping.get(i) as string } : m)) });
    return { profile: await this.demangleKept(withIds, options.demangle ?? 'auto', report), report };
  }

  /**
   * Demangles names the input itself gave (perf prints C++ symbols mangled,
   * `_Z4betav`): functions whose name looks mangled and was never demangled
   * get the demangled name; the mangled one stays their system name.
   */
  private async demangleKept(profile: HeapProfile, mode: DemangleMode, report: SymbolizeReport): Promise<HeapProfile> {
    const { functions: f, strings } = profile;
    const mangled: RawFrame[] = [];
    for (let i = 0; i < f.length; i++) {
      const name = strings[f.name[i]];
      if (f.name[i] === f.systemName[i] && looksMangled(name)) mangled.push({ name, file: '', line: 0 });
    }
    if (mangled.length === 0 || mode === 'none') return profile;
    const demangle = await this.demangleAll([mangled], mode, report);
    const table = StringTable.from(strings);
    const names = Int32Array.from(f.name, (id, i) => (f.name[i] === f.systemName[i] && looksMangled(strings[id]) ? table.intern(demangle(strings[id])) : id));
    return profile.with({ strings: table.strings, functions: { ...f, name: names } });
  }

  private async classifySymbolPaths(paths: readonly string[], report: SymbolizeReport): Promise<SymbolPathEntry[]> {
    const entries: SymbolPathEntry[] = [];
    for (const path of paths) {
      let st;
      try {
        st = await stat(path);
      } catch {
        report.symbolPathErrors.push({ path, reason: 'no such file or directory' });
        continue;
      }
      if (st.isDirectory()) {
        entries.push({ kind: 'dir', path });
        continue;
      }
      const info = await this.elfInfo(path);
      if (info === 'missing') report.symbolPathErrors.push({ path, reason: 'not a regular file or directory' });
      else if ('error' in info) report.symbolPathErrors.push({ path, reason: info.error });
      else entries.push({ kind: 'file', path, info });
    }
    return entries;
  }

  private async symbolizeGroup(
    profile: HeapProfile,
    group: Group,
    ctx: {
      entries: readonly SymbolPathEntry[];
      debugDirs: readonly string[];
      external: ExternalMode;
      minusOne: boolean;
      framesOfLocation: (RawFrame[] | undefined)[];
      single: boolean;
      /** Filled in: the build id of the binary found for a mapping. */
      buildIdOfMapping: Map<number, string>;
    },
  ): Promise<BinaryReport> {
    const rejected: RejectedFile[] = [];
    const report: BinaryReport = {
      path: group.path,
      buildId: group.buildId,
      status: 'not-found',
      file: null,
      debugFile: null,
      translation: null,
      symbolTables: [],
      locations: group.locations.length,
      resolved: 0,
      unresolved: group.locations.length,
      external: null,
      externalError: null,
      rejected,
      symbolError: null,
    };
    const located = ctx.single
      ? await this.locateSingle(ctx.entries, ctx.debugDirs)
      : await locateBinary(group.path, group.buildId, ctx.entries, ctx.debugDirs, (p) => this.elfInfo(p), rejected);
    if (!located) return report;
    const binary = this.binary(located);
    if (binary.buildId !== '') for (const m of group.mappings) ctx.buildIdOfMapping.set(m, binary.buildId);
    report.status = 'symbolized';
    report.file = located.file;

    // Runtime addresses → file addresses, one translation per mapping.
    const translations = new Map<number, AddressTranslation>();
    const translate = (mapping: number): AddressTranslation => {
      if (mapping < 0) return IDENTITY;
      let t = translations.get(mapping);
      if (!t) {
        t = translationFor(profile.mappings[mapping] as Mapping, located.layout);
        translations.set(mapping, t);
      }
      return t;
    };
    const locs = profile.locations;
    const fileAddress = new Float64Array(group.locations.length);
    const wanted = new Set<number>();
    const rules = new Set<TranslationRule>();
    for (let k = 0; k < group.locations.length; k++) {
      const l = group.locations[k];
      const t = translate(locs.mapping[l]);
      rules.add(t.rule);
      let address = toNumber(locs.addressHi[l], locs.addressLo[l]);
      if (ctx.minusOne) address -= 1;
      const v = address > 0 ? t.toFileAddress(address) : NaN;
      fileAddress[k] = v;
      if (!Number.isNaN(v)) wanted.add(v);
    }
    report.translation = rules.values().next().value ?? null;

    const frames = await this.resolve(binary, [...wanted], ctx.external, report);
    report.symbolTables = binary.symbols?.tables ?? [];
    report.symbolError = binary.symbolError;
    for (let k = 0; k < group.locations.length; k++) {
      const v = fileAddress[k];
      const f = Number.isNaN(v) ? undefined : frames.get(v);
      if (f && f.length > 0) {
        ctx.framesOfLocation[group.locations[k]] = f;
        report.resolved++;
      }
    }
    report.unresolved = report.locations - report.resolved;
    return report;
  }

  /** The no-mappings rule: the one `--symbols` file, addresses used as its vaddrs. */
  private async locateSingle(entries: readonly SymbolPathEntry[], debugDirs: readonly string[]): Promise<LocatedBinary | null> {
    const entry = entries.find((e) => e.kind === 'file');
    if (!entry || entry.kind !== 'file') return null;
    const located = await locateBinary(entry.path, entry.info.buildId, [entry], debugDirs, (p) => this.elfInfo(p), []);
    return located ?? { file: entry.path, info: entry.info, layout: entry.info, debug: null };
  }

  /** Raw frames for `addresses` of `binary`: cached, then external tool, then symbol tables. */
  private async resolve(
    binary: BinaryEntry,
    addresses: readonly number[],
    external: ExternalMode,
    report: BinaryReport,
  ): Promise<Map<number, RawFrame[]>> {
    const tools: ExternalSymbolizerName[] = [];
    if (binary.debugFile !== null) {
      const order: ExternalSymbolizerName[] =
        external === 'auto' ? ['llvm-symbolizer', 'addr2line'] : external === 'none' ? [] : [external];
      for (const t of order) if ((await this.tool(t)) !== null) tools.push(t);
      if (tools.length === 0 && external !== 'auto' && external !== 'none') {
        report.externalError = `${external}: not found`;
      }
    }
    report.debugFile = binary.debugFile;

    // Try each tool in turn; a tool that failed on this binary before is not run again.
    for (const t of tools) {
      const cache = binary.framesFor(t);
      const failed = binary.toolErrors.get(t);
      if (failed !== undefined) {
        report.externalError = failed;
        continue;
      }
      const disk = this.diskCache !== null && binary.buildId !== '' ? this.diskCache : null;
      if (disk && !binary.loadedFromDisk.has(t)) {
        binary.loadedFromDisk.add(t);
        for (const [address, frames] of await disk.load(binary.buildId, t)) if (!cache.has(address)) cache.set(address, frames);
      }
      const todo = addresses.filter((a) => !cache.has(a));
      if (todo.length > 0) {
        const command = (await this.tool(t)) as string;
        await binary.loadSymbols();
        try {
          const run = t === 'addr2line' ? runAddr2line : runLlvmSymbolizer;
          this.stats.externalRuns++;
          const answers = await run(command, binary.debugFile as string, todo, this.timeoutMs);
          const symbols = binary.symbols as ElfSymbolTable;
          for (let i = 0; i < todo.length; i++) cache.set(todo[i], nameByAddress(merge(answers[i], binary.fromSymbols(todo[i])), symbols, todo[i]));
          if (disk) await disk.store(binary.buildId, t, cache);
        } catch (error) {
          const message = (error as Error).message;
          binary.toolErrors.set(t, message);
          report.externalError = message;
          continue;
        }
      }
      report.external = t;
      report.externalError = null;
      return cache;
    }

    // No external tool: the symbol tables answer, and their answers are kept
    // on disk too, so that a warm cache reads no table at all.
    const cache = binary.framesFor('none');
    const disk = this.diskCache !== null && binary.buildId !== '' ? this.diskCache : null;
    if (disk && !binary.loadedFromDisk.has(binary.tablesKey)) {
      binary.loadedFromDisk.add(binary.tablesKey);
      for (const [address, frames] of await disk.load(binary.buildId, binary.tablesKey)) if (!cache.has(address)) cache.set(address, frames);
    }
    const todo = addresses.filter((a) => !cache.has(a));
    if (todo.length > 0) {
      await binary.loadSymbols();
      for (const a of todo) cache.set(a, binary.fromSymbols(a));
      if (disk) await disk.store(binary.buildId, binary.tablesKey, cache);
    }
    return cache;
  }

  /** Demangles every mangled raw name in one process; returns the name → display name function. */
  private async demangleAll(
    frames: readonly (RawFrame[] | undefined)[],
    mode: DemangleMode,
    report: SymbolizeReport,
  ): Promise<(name: string) => string> {
    const identity = (name: string) => name;
    if (mode === 'none') return identity;
    const todo = new Set<string>();
    const seen = new Set<RawFrame[]>();
    for (const list of frames) {
      if (!list || seen.has(list)) continue;
      seen.add(list);
      for (const f of list) if (looksMangled(f.name) && !this.demangled.has(f.name)) todo.add(f.name);
    }
    const lookup = (name: string) => this.demangled.get(name) ?? name;
    if (todo.size === 0) return lookup;
    const order: DemanglerName[] = mode === 'auto' ? ['c++filt', 'llvm-cxxfilt'] : [mode];
    for (const d of order) {
      const command = await this.tool(d);
      if (command === null) continue;
      const names = [...todo];
      try {
        this.stats.demanglerRuns++;
        const out = await runDemangler(command, names, this.timeoutMs);
        for (let i = 0; i < names.length; i++) this.demangled.set(names[i], out[i]);
        report.demangler = d;
        report.demanglerError = null;
        return lookup;
      } catch (error) {
        report.demanglerError = (error as Error).message;
      }
    }
    return lookup;
  }
}

/**
 * Symbolizes `profile`: returns a copy whose locations have function lines
 * (innermost inlined frame first) and a report of what was found. Locations
 * that already have lines keep them unless `options.resymbolize`; locations
 * that cannot be resolved keep none.
 *
 * Which file: see {@link SymbolizeOptions.symbolPaths}; a build id mismatch
 * refuses a file. Without mappings and with exactly one file in
 * `symbolPaths`, addresses are taken as that file's virtual addresses (the
 * non-PIE case; for a PIE this is right only if the producer already wrote
 * file addresses).
 */
export function symbolize(
  profile: HeapProfile,
  options: SymbolizeOptions = {},
): Promise<{ profile: HeapProfile; report: SymbolizeReport }> {
  const { symbolizer, ...rest } = options;
  return (symbolizer ?? new Symbolizer()).symbolize(profile, rest);
}
