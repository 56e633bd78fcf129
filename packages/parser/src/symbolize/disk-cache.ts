/**
 * A persistent cache of symbolizer answers, keyed by build id: per tool
 * (`llvm-symbolizer`, `addr2line`, or `symtab`/`dynsym` for the answers of
 * the ELF symbol tables themselves) the frames of each file address; the
 * start of the function symbol covering each address that a producer's
 * names were checked against (`symtab.starts`/`dynsym.starts`, see
 * BinaryEntry.symbolStarts); and the binary's C++ names as each demangler
 * gave them (`c++filt.names`, `llvm-cxxfilt.names`). Analyzing a series of
 * dumps of one service (or the same dump again) runs llvm-symbolizer,
 * addr2line and c++filt only for addresses and names not seen before, and
 * reads no symbol table when every address is known.
 *
 * One JSON file per (build id, kind) under the cache directory, written
 * whole through a temporary file and a rename; an unreadable or corrupt file
 * is treated as empty. Binaries without a build id are never cached (their
 * identity is not stable); a rebuilt binary has another build id, so its
 * answers are looked for (and stored) under another name.
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DemanglerName, RawFrame } from './external-tools.js';

/** The default cache directory: `$HEAPSCOPE_CACHE_DIR`, else `$XDG_CACHE_HOME/heapscope`, else `~/.cache/heapscope`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HEAPSCOPE_CACHE_DIR) return env.HEAPSCOPE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'heapscope');
}

/**
 * Version of what is stored: answers written by an older heapscope (before
 * aliases were collapsed, or inlined frames were qualified from DWARF, see
 * reconcile.ts) are not used.
 */
const CACHE_VERSION = 4;

/** Which symbol tables a binary's answers come from (a stripped and an unstripped copy of one build id answer differently). */
export type TablesKey = 'symtab' | 'dynsym';

/** Function-symbol starts stored for a binary (BinaryEntry.symbolStarts). */
export interface StoredStarts {
  /** The tables they were read from, as ElfSymbolTable.tables gives them. */
  tables: string[];
  /** File address → start of the function symbol covering it, or −1 where none does. */
  starts: Map<number, number>;
}

/** Answers stored on disk, one file per binary (build id) and kind. */
export class SymbolDiskCache {
  constructor(
    /** Root directory (symbols go in `<dir>/symbols/`). */
    readonly dir: string,
  ) {}

  private path(buildId: string, kind: string): string {
    return join(this.dir, 'symbols', `${buildId}.${kind}.json`);
  }

  /** The stored record of (build id, kind) when it is of this version, else null. */
  private async read(buildId: string, kind: string): Promise<Record<string, unknown> | null> {
    try {
      const data = JSON.parse(await readFile(this.path(buildId, kind), 'utf8')) as Record<string, unknown> | null;
      return data !== null && typeof data === 'object' && data.version === CACHE_VERSION ? data : null;
    } catch {
      return null;
    }
  }

  /** Writes a record whole. Failures are ignored: the cache is an optimization. */
  private async write(buildId: string, kind: string, body: Record<string, unknown>): Promise<void> {
    const target = this.path(buildId, kind);
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(join(this.dir, 'symbols'), { recursive: true });
      await writeFile(temp, JSON.stringify({ version: CACHE_VERSION, buildId, kind, ...body }));
      await rename(temp, target);
    } catch {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** The stored answers for a binary and tool (empty when none or unreadable). */
  async load(buildId: string, tool: string): Promise<Map<number, RawFrame[]>> {
    const out = new Map<number, RawFrame[]>();
    for (const [address, frames] of entriesOf(await this.read(buildId, tool), 'addresses')) {
      if (Array.isArray(frames)) out.set(Number.parseInt(address, 16), frames as RawFrame[]);
    }
    return out;
  }

  /** Stores the answers (all of them, old and new). */
  async store(buildId: string, tool: string, answers: Map<number, RawFrame[]>): Promise<void> {
    const addresses: Record<string, RawFrame[]> = {};
    for (const [address, frames] of answers) addresses[address.toString(16)] = frames;
    await this.write(buildId, tool, { tool, addresses });
  }

  /** The stored function-symbol starts of a binary's tables, or null when none (or unreadable). */
  async loadStarts(buildId: string, tables: TablesKey): Promise<StoredStarts | null> {
    const data = await this.read(buildId, `${tables}.starts`);
    const stored = data?.tables;
    if (!Array.isArray(stored) || !stored.every((t) => typeof t === 'string')) return null;
    const starts = new Map<number, number>();
    for (const [address, start] of entriesOf(data, 'starts')) {
      if (typeof start === 'number') starts.set(Number.parseInt(address, 16), start);
    }
    return { tables: stored as string[], starts };
  }

  /** Stores a binary's function-symbol starts (all of them, old and new). */
  async storeStarts(buildId: string, tables: TablesKey, stored: StoredStarts): Promise<void> {
    const starts: Record<string, number> = {};
    for (const [address, start] of stored.starts) starts[address.toString(16)] = start;
    await this.write(buildId, `${tables}.starts`, { tables: stored.tables, starts });
  }

  /** The stored display names of a binary's C++ names as `demangler` gave them (empty when none or unreadable). */
  async loadNames(buildId: string, demangler: DemanglerName): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [mangled, name] of entriesOf(await this.read(buildId, `${demangler}.names`), 'names')) {
      if (typeof name === 'string') out.set(mangled, name);
    }
    return out;
  }

  /** Stores a binary's demangled names (all of them, old and new). */
  async storeNames(buildId: string, demangler: DemanglerName, names: ReadonlyMap<string, string>): Promise<void> {
    await this.write(buildId, `${demangler}.names`, { names: Object.fromEntries(names) });
  }
}

/** The entries of a record's object field (none when it is missing or not an object). */
function entriesOf(data: Record<string, unknown> | null, field: string): [string, unknown][] {
  const value = data?.[field];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
}
