/**
 * One binary's state, kept across symbolize calls (a series of dumps of one
 * process looks each binary up once): its symbol tables, read on first
 * need, and every address already resolved, per external tool; and how an
 * address gets its frames (`resolveFrames`).
 */
import { looksMangled, runAddr2line, runLlvmSymbolizer, type ExternalSymbolizerName, type RawFrame } from './external-tools.js';
import { ElfSymbolTable } from './symbol-table.js';
import { merge, nameByAddress, qualifyInlined } from './reconcile.js';
import { DwarfNames } from './dwarf-names.js';
import { readElfInfo, withFileSource } from './elf-file.js';
import type { SymbolDiskCache, TablesKey } from './disk-cache.js';
import type { BinaryReport } from './report.js';
import type { ExternalMode, ToolBox } from './tools.js';

/**
 * Per-binary state kept across calls: the symbol table and every address
 * already resolved. The symbol tables are read on first need: when the
 * persistent cache answers every address, they are never read.
 */
export class BinaryEntry {
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
  private dwarf: Promise<DwarfNames | null> | null = null;
  private cxx: boolean | null = null;
  /** Why the DWARF tree could not be read for inlined frames' names, or null. */
  dwarfError: string | null = null;

  constructor(
    private readonly readSymbols: () => Promise<ElfSymbolTable>,
    /** Build id of the binary ('' when it has none). */
    readonly buildId: string,
    readonly debugFile: string | null,
    /**
     * Disk cache key of the symbol tables' answers: a stripped and an
     * unstripped copy of one build id answer differently.
     */
    readonly tablesKey: TablesKey,
  ) {}

  /** Start of the function symbol covering each file address asked so far (−1: none covers it). */
  private readonly starts = new Map<number, number>();
  /** The tables `starts` were read from (ElfSymbolTable.tables), once known. */
  private startTables: string[] | null = null;
  private startsFromDisk = false;

  /**
   * For each file address, the start of the function symbol of this file
   * that covers it, or −1 where none does; and whether the file has its full
   * symbol table (`symtab`). From the disk cache where it has them (the
   * symbol tables are then not read), else from the symbol tables, and kept
   * in both. Null when the symbol tables cannot be read (`symbolError`).
   * NaN addresses are skipped.
   */
  async symbolStarts(addresses: Iterable<number>, diskCache: SymbolDiskCache | null): Promise<{ starts: ReadonlyMap<number, number>; full: boolean } | null> {
    const disk = diskCache !== null && this.buildId !== '' ? diskCache : null;
    if (disk && !this.startsFromDisk) {
      this.startsFromDisk = true;
      const stored = await disk.loadStarts(this.buildId, this.tablesKey);
      if (stored) {
        this.startTables ??= stored.tables;
        for (const [address, start] of stored.starts) if (!this.starts.has(address)) this.starts.set(address, start);
      }
    }
    const todo: number[] = [];
    for (const a of addresses) if (!Number.isNaN(a) && !this.starts.has(a)) todo.push(a);
    if (todo.length > 0 || this.startTables === null) {
      const symbols = await this.loadSymbols();
      if (this.symbolError !== null) return null;
      this.startTables = [...symbols.tables];
      for (const a of todo) {
        const i = symbols.lookup(a);
        this.starts.set(a, i < 0 ? -1 : symbols.startOf(i));
      }
      if (disk && todo.length > 0) await disk.storeStarts(this.buildId, this.tablesKey, { tables: this.startTables, starts: this.starts });
    }
    return { starts: this.starts, full: this.startTables.includes('symtab') };
  }

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

  /**
   * The debug file's DWARF function tree, read once on first need; null when
   * there is none or it cannot be read (`dwarfError` says why): inlined
   * frames then keep the external tool's names.
   */
  loadDwarf(): Promise<DwarfNames | null> {
    const file = this.debugFile;
    this.dwarf ??= file === null
      ? Promise.resolve(null)
      : withFileSource(file, async (source) => DwarfNames.read(source, await readElfInfo(source))).catch((error: unknown) => {
        this.dwarfError = (error as Error).message;
        return null;
      });
    return this.dwarf;
  }

  /**
   * Whether the symbol tables (after {@link loadSymbols}) hold a C++ (or
   * Rust) mangled name. Why: only such code has scopes to add to an inlined
   * frame's bare name; a C library's DWARF (glibc's is hundreds of MB once
   * read) is then not walked for nothing.
   */
  hasCxxSymbols(): boolean {
    if (this.cxx === null) {
      const symbols = this.symbols as ElfSymbolTable;
      this.cxx = false;
      for (let i = 0; i < symbols.length && !this.cxx; i++) this.cxx = looksMangled(symbols.name(i));
    }
    return this.cxx;
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

/**
 * Raw frames for `addresses` of `binary`: from its caches (in memory, then on
 * disk), then from an external tool, then from its symbol tables; the
 * answers are kept in both caches.
 */
export async function resolveFrames(
  binary: BinaryEntry,
  addresses: readonly number[],
  external: ExternalMode,
  report: BinaryReport,
  toolBox: ToolBox,
  diskCache: SymbolDiskCache | null,
): Promise<Map<number, RawFrame[]>> {
  const tools: ExternalSymbolizerName[] = [];
  if (binary.debugFile !== null) {
    const order: ExternalSymbolizerName[] =
      external === 'auto' ? ['llvm-symbolizer', 'addr2line'] : external === 'none' ? [] : [external];
    for (const t of order) if ((await toolBox.tool(t)) !== null) tools.push(t);
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
    const disk = diskCache !== null && binary.buildId !== '' ? diskCache : null;
    if (disk && !binary.loadedFromDisk.has(t)) {
      binary.loadedFromDisk.add(t);
      for (const [address, frames] of await disk.load(binary.buildId, t)) if (!cache.has(address)) cache.set(address, frames);
    }
    const todo = addresses.filter((a) => !cache.has(a));
    if (todo.length > 0) {
      const command = (await toolBox.tool(t)) as string;
      await binary.loadSymbols();
      try {
        const run = t === 'addr2line' ? runAddr2line : runLlvmSymbolizer;
        toolBox.stats.externalRuns++;
        const answers = await run(command, binary.debugFile as string, todo, toolBox.timeoutMs);
        const symbols = binary.symbols as ElfSymbolTable;
        const named = answers.map((a, i) => nameByAddress(merge(a, binary.fromSymbols(todo[i])), symbols, todo[i]));
        // Inlined frames the tool named by a bare DW_AT_name get their qualified name from DWARF.
        const dwarf = named.some(hasBareInlined) && binary.hasCxxSymbols() ? await binary.loadDwarf() : null;
        for (let i = 0; i < todo.length; i++) cache.set(todo[i], dwarf ? qualifyInlined(named[i], dwarf.frames(todo[i])) : named[i]);
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
  const disk = diskCache !== null && binary.buildId !== '' ? diskCache : null;
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

/** Whether an inlined frame (any but the outermost) has a name a linkage name would not look like: bare, or unknown. */
function hasBareInlined(frames: readonly RawFrame[]): boolean {
  for (let i = 0; i < frames.length - 1; i++) if (!looksMangled(frames[i].name)) return true;
  return false;
}
