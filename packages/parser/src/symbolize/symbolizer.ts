/**
 * Symbolization of a {@link HeapProfile}: gives its locations function names,
 * and file:line with inlined frames where DWARF and an external symbolizer
 * are available (docs/design.md#symbolization).
 *
 * Reads: the profile's mappings and locations (model/profile.ts), ELF files
 * (elf-file.ts, symbol-table.ts; System V gABI), the output of addr2line /
 * llvm-symbolizer / c++filt (external-tools.ts; `man addr2line`), DWARF
 * for inlined frames' qualified names (dwarf-names.ts). Which
 * addresses are return addresses, importer by importer: docs/symbolization.md.
 *
 * Never drops: a location that cannot be resolved keeps no lines (the
 * display layer shows it as `module+0xoffset`), and the report says why.
 *
 * This module groups a profile's locations by binary, finds each binary
 * (binary-locator.ts), translates addresses (address-translation.ts) and
 * builds the symbolized profile; a binary's caches and how an address gets
 * its frames are in binary-entry.ts, demangling in demangler.ts, the tools
 * in tools.ts, the report in report.ts.
 */
import { stat } from 'node:fs/promises';
import { toNumber } from '../model/address.js';
import { withoutProducerNames, type HeapProfile, type LocationTable, type Mapping } from '../model/profile.js';
import { withLocationLines, type FrameInfo } from '../model/symbols.js';
import { IDENTITY, translationFor, type AddressTranslation, type TranslationRule } from './address-translation.js';
import { isPseudoPath, locateBinary, type LocatedBinary, type RejectedFile, type SymbolPathEntry } from './binary-locator.js';
import { ElfError, isElf, readElfInfo, withFileSource, type ElfInfo } from './elf-file.js';
import type { RawFrame, ToolName } from './external-tools.js';
import { readElfSymbols } from './symbol-table.js';
import { SymbolDiskCache } from './disk-cache.js';
import { BinaryEntry, resolveFrames } from './binary-entry.js';
import { Demangler } from './demangler.js';
import { emptySymbolizeReport, type BinaryReport, type SymbolizeReport, type SymbolizerStats } from './report.js';
import { DEFAULT_TOOL_TIMEOUT_MS, ToolBox, type DemangleMode, type ExternalMode } from './tools.js';

export type { BinaryReport, SymbolizeReport, SymbolizerStats } from './report.js';
export type { DemangleMode, ExternalMode } from './tools.js';

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

/** How many binaries are located and resolved at once. */
const CONCURRENCY = 4;

/** Locations of one binary group being symbolized. */
interface Group {
  path: string;
  buildId: string;
  mappings: number[];
  locations: number[];
  /** The file found for it (looked for once, on first need), and the files looked at and not used. */
  located?: Promise<LocatedBinary | null>;
  rejected: RejectedFile[];
}

/**
 * Symbolizes profiles, caching per binary (by build id when the file has
 * one, else by path, size and modification time): ELF headers, symbol
 * tables, resolved addresses and demangled names. Reuse one instance for a
 * series of dumps so that each binary is parsed, and each address looked up,
 * once. Not meant to outlive changes to the files it has read.
 */
export class Symbolizer {
  private readonly tools: ToolBox;
  private readonly demangler: Demangler;
  private readonly diskCache: SymbolDiskCache | null;
  private readonly infos = new Map<string, Promise<ElfInfo | { error: string }>>();
  private readonly identities = new WeakMap<ElfInfo, string>();
  private readonly binaries = new Map<string, BinaryEntry>();
  /** Counters of the work done so far; read-only for callers. */
  readonly stats: SymbolizerStats = { elfHeadersRead: 0, symbolTablesRead: 0, externalRuns: 0, demanglerRuns: 0 };

  constructor(options: SymbolizerOptions = {}) {
    this.tools = new ToolBox(options.searchPath ?? process.env.PATH ?? '', options.tools ?? {}, options.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS, this.stats);
    this.diskCache = options.cacheDir ? new SymbolDiskCache(options.cacheDir) : null;
    this.demangler = new Demangler(this.tools, this.diskCache);
  }

  /** The command for `tool`, or null when it is not available. Cached. */
  tool(tool: ToolName): Promise<string | null> {
    return this.tools.tool(tool);
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
    const report = emptySymbolizeReport();
    const locations = profile.locations;
    // Every frame of a heap backtrace, the leaf included, is a return address:
    // the call instruction ends just before it, and the code at the address
    // itself may belong to another line, inlined function or even function
    // (a call to a noreturn function ends its caller). docs/symbolization.md.
    const returnAddresses = profile.meta.returnAddresses;
    // A producer that named the frames itself (perf) keeps its names only
    // where the binary cannot be read: every location is looked up, its own
    // address where it is the code itself, else at address − 1 (its frames
    // are return addresses, or perf's return address − 1: inside the call
    // either way).
    const producer = profile.meta.producerNames;
    const exact = new Uint8Array(producer ? locations.length : 0);
    if (producer) for (const l of producer.exactLocations) exact[l] = 1;
    report.producer = producer?.producer ?? null;
    const minusOne = (l: number): boolean => (producer ? exact[l] === 0 : returnAddresses);
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
        groups.push({ path: m.path, buildId: m.buildId.toLowerCase(), mappings: [], locations: [], rejected: [] });
        groupByKey.set(key, g);
      }
      groupOfMapping[i] = g;
      groups[g].mappings.push(i);
    });
    const single: Group | null = report.noMappingsRule
      ? { path: fileEntries[0].path, buildId: '', mappings: [], locations: [], rejected: [] }
      : null;
    const external = options.external ?? 'auto';
    const debugDirs = options.debugDirs ?? ['/usr/lib/debug'];
    const locate = (g: Group): Promise<LocatedBinary | null> =>
      (g.located ??= g === single
        ? this.locateSingle(entries, debugDirs)
        : locateBinary(g.path, g.buildId, entries, debugDirs, (p) => this.elfInfo(p), g.rejected));
    const placed = producer && !single ? await this.placeDsoless(profile, producer.dsoless, groups, locate) : new Map<number, Group>();
    for (let l = 0; l < locations.length; l++) {
      const home = placed.get(l);
      if (home) {
        home.locations.push(l);
        continue;
      }
      const named = locations.lineStart[l + 1] > locations.lineStart[l];
      if (named && !options.resymbolize && !producer) {
        report.keptLocations++;
        continue;
      }
      const m = locations.mapping[l];
      if (m >= 0 && groupOfMapping[m] >= 0) groups[groupOfMapping[m]].locations.push(l);
      else if (m < 0 && single) single.locations.push(l);
      else if (named && producer) report.keptLocations++;
      else if (m < 0) report.unmappedLocations++;
      else report.pseudoLocations++;
    }
    const work = (single ? [single] : groups).filter((g) => g.locations.length > 0);
    for (const g of work) for (const l of g.locations) if (minusOne(l)) report.returnAddressLocations++;

    // Resolve each binary's locations to raw frames.
    const framesOfLocation = new Array<RawFrame[] | undefined>(locations.length);
    const reports = new Array<BinaryReport>(work.length);
    const buildIdOfMapping = new Map<number, string>();
    const framesOfBinary = new Map<string, RawFrame[][]>();
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const i = next++;
        reports[i] = await this.symbolizeGroup(profile, work[i], {
          located: await locate(work[i]),
          external,
          producer: producer !== undefined,
          minusOne,
          framesOfLocation,
          buildIdOfMapping,
          framesOfBinary,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, work.length) }, worker));
    report.binaries = reports;
    report.missing = reports.filter((r) => r.status === 'not-found');

    // Demangle every new name in one process, then build the frames.
    const demangle = await this.demangler.demangleAll(framesOfLocation, options.demangle ?? 'auto', report, framesOfBinary);
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
    // The names are now this symbolizer's (or, where it found nothing, final): nothing is left to rename.
    const settled = producer ? withIds.with({ meta: withoutProducerNames(withIds.meta), locations: withPlacements(withIds.locations, placed) }) : withIds;
    return { profile: await this.demangler.demangleKept(settled, options.demangle ?? 'auto', report), report };
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
      /** The file found for the group, or null. */
      located: LocatedBinary | null;
      external: ExternalMode;
      /** Whether the profile's names are a producer's (ProfileMeta's `producerNames`). */
      producer: boolean;
      /** Whether location `l` is looked up at address − 1. */
      minusOne: (l: number) => boolean;
      framesOfLocation: (RawFrame[] | undefined)[];
      /** Filled in: the build id of the binary found for a mapping. */
      buildIdOfMapping: Map<number, string>;
      /** Filled in: the frames given to the group's locations, by the build id of their binary ('' for none). */
      framesOfBinary: Map<string, RawFrame[][]>;
    },
  ): Promise<BinaryReport> {
    const rejected = group.rejected;
    const report: BinaryReport = {
      path: group.path,
      buildId: group.buildId,
      status: 'not-found',
      file: null,
      debugFile: null,
      translation: null,
      symbolTables: [],
      locations: group.locations.length,
      producerNamed: 0,
      producerElsewhere: 0,
      resolved: 0,
      unresolved: group.locations.length,
      external: null,
      externalError: null,
      rejected,
      symbolError: null,
    };
    const lineStart = profile.locations.lineStart;
    if (ctx.producer) for (const l of group.locations) if (lineStart[l + 1] > lineStart[l]) report.producerNamed++;
    const located = ctx.located;
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
      const t = translate(mappingIn(group, locs.mapping[l]));
      rules.add(t.rule);
      let address = toNumber(locs.addressHi[l], locs.addressLo[l]);
      if (ctx.minusOne(l)) address -= 1;
      const v = address > 0 ? t.toFileAddress(address) : NaN;
      fileAddress[k] = v;
      if (!Number.isNaN(v)) wanted.add(v);
    }
    report.translation = rules.values().next().value ?? null;

    const frames = await resolveFrames(binary, [...wanted], ctx.external, report, this.tools, this.diskCache);
    report.symbolTables = binary.symbols?.tables ?? [];
    report.symbolError = binary.symbolError;
    // A producer that read DWARF this symbolizer did not find (perf with
    // debuginfod's cache, say) gave inlined frames the symbol table cannot:
    // those locations keep the producer's names.
    const poorer = (l: number, f: RawFrame[]) => report.external === null && ctx.producer && lineStart[l + 1] - lineStart[l] > f.length;
    const elsewhere = ctx.producer ? await this.producerSymbolsElsewhere(profile, group, binary, translate, report) : null;
    let given = ctx.framesOfBinary.get(binary.buildId);
    if (!given) ctx.framesOfBinary.set(binary.buildId, (given = []));
    for (let k = 0; k < group.locations.length; k++) {
      const v = fileAddress[k];
      const f = Number.isNaN(v) ? undefined : frames.get(v);
      if (f && f.length > 0 && !poorer(group.locations[k], f) && !elsewhere?.has(group.locations[k])) {
        ctx.framesOfLocation[group.locations[k]] = f;
        given.push(f);
        report.resolved++;
      }
    }
    report.unresolved = report.locations - report.resolved;
    return report;
  }

  /**
   * The named locations of `group` that this file cannot vouch for: the
   * producer named each by a symbol at `symbolStarts[l]`, and the file has
   * no function symbol that starts there and covers the location's address
   * (as printed). Where it has one that starts elsewhere, or none although
   * it has its full symbol table, the file is another build than the
   * producer read, or its addresses mean something else: counted in
   * `report.producerElsewhere`. Where a stripped file has none (a static
   * function, named by the producer from a debug file's symbols), nothing
   * says either way. Both keep the producer's names: a name is replaced only
   * where the file agrees with the producer about which function it is in.
   */
  private async producerSymbolsElsewhere(
    profile: HeapProfile,
    group: Group,
    binary: BinaryEntry,
    translate: (mapping: number) => AddressTranslation,
    report: BinaryReport,
  ): Promise<Set<number>> {
    const out = new Set<number>();
    const starts = profile.meta.producerNames?.symbolStarts ?? [];
    const locs = profile.locations;
    const fileAddress = (l: number) => translate(mappingIn(group, locs.mapping[l])).toFileAddress(toNumber(locs.addressHi[l], locs.addressLo[l]));
    const checked = group.locations.filter((l) => !Number.isNaN(starts[l] ?? NaN));
    const known = await binary.symbolStarts(checked.map(fileAddress), this.diskCache);
    for (const l of checked) {
      const found = known ? producerSymbol(known.starts, translate(mappingIn(group, locs.mapping[l])), fileAddress(l), starts[l]) : 'none';
      if (found === 'same') continue;
      out.add(l);
      // A file with its full symbol table has every function's symbol.
      if (found === 'other' || known?.full) report.producerElsewhere++;
    }
    return out;
  }

  /**
   * The binary of each location the producer printed without one (perf's
   * layout 3; ProfileMeta's `producerNames.dsoless`): the one binary of the
   * profile with a function symbol that starts at the location's
   * `symbolStart` and covers its address. Only when every binary of the
   * profile can be read — one that cannot might be the location's own, with
   * another matching by chance — and one matches; else the location keeps
   * the producer's names.
   */
  private async placeDsoless(
    profile: HeapProfile,
    dsoless: readonly { location: number; symbolStart: number }[],
    groups: readonly Group[],
    locate: (g: Group) => Promise<LocatedBinary | null>,
  ): Promise<Map<number, Group>> {
    const placed = new Map<number, Group>();
    if (dsoless.length === 0) return placed;
    const locs = profile.locations;
    const addresses = dsoless.map(({ location }) => toNumber(locs.addressHi[location], locs.addressLo[location]));
    const binaries: { group: Group; starts: ReadonlyMap<number, number>; translation: AddressTranslation }[] = [];
    for (const group of groups) {
      const located = await locate(group);
      if (!located) return placed;
      const translation = translationFor(profile.mappings[group.mappings[0]] as Mapping, located.layout);
      const known = await this.binary(located).symbolStarts(addresses.map((a) => translation.toFileAddress(a)), this.diskCache);
      if (known === null) return placed;
      binaries.push({ group, starts: known.starts, translation });
    }
    dsoless.forEach(({ location, symbolStart }, k) => {
      let home: Group | null = null;
      let homes = 0;
      for (const { group, starts, translation } of binaries) {
        if (producerSymbol(starts, translation, translation.toFileAddress(addresses[k]), symbolStart) === 'same') {
          home = group;
          homes++;
        }
      }
      if (homes === 1) placed.set(location, home as Group);
    });
    return placed;
  }

  /** The no-mappings rule: the one `--symbols` file, addresses used as its vaddrs. */
  private async locateSingle(entries: readonly SymbolPathEntry[], debugDirs: readonly string[]): Promise<LocatedBinary | null> {
    const entry = entries.find((e) => e.kind === 'file');
    if (!entry || entry.kind !== 'file') return null;
    const located = await locateBinary(entry.path, entry.info.buildId, [entry], debugDirs, (p) => this.elfInfo(p), []);
    return located ?? { file: entry.path, info: entry.info, layout: entry.info, debug: null };
  }


}

/** The mapping a location of `group` is translated by: its own, or for one placed in the group without one (placeDsoless) the group's first. */
function mappingIn(group: Group, mapping: number): number {
  return mapping >= 0 || group.mappings.length === 0 ? mapping : group.mappings[0];
}

/**
 * Whether the file's function symbol covering file address `v` is the one
 * the producer named the frame by (starting at `symbolStart`, an address in
 * the process that `t` takes into the file): `same`, `other` (a function
 * starting elsewhere covers it) or `none` (no function symbol covers it).
 * `starts` is BinaryEntry.symbolStarts's answer for `v`.
 */
function producerSymbol(starts: ReadonlyMap<number, number>, t: AddressTranslation, v: number, symbolStart: number): 'same' | 'other' | 'none' {
  const start = Number.isNaN(v) ? -1 : (starts.get(v) ?? -1);
  if (start < 0) return 'none';
  return start === t.toFileAddress(symbolStart) ? 'same' : 'other';
}

/** `locations` with each location placed in a binary (placeDsoless) given that binary's first mapping. */
function withPlacements(locations: LocationTable, placed: ReadonlyMap<number, Group>): LocationTable {
  if (placed.size === 0) return locations;
  const mapping = locations.mapping.slice();
  for (const [l, group] of placed) mapping[l] = group.mappings[0];
  return { ...locations, mapping };
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
