/**
 * C++ names for display: linkage names (`_ZN2hs5Large4makeEv`) demangled by
 * c++filt or llvm-cxxfilt, every new name of a call in one process, each
 * answer kept for later calls, and on disk with the answers of the binary
 * the name came from (disk-cache.ts): a warm cache runs no demangler.
 */
import type { HeapProfile } from '../model/profile.js';
import type { SymbolDiskCache } from './disk-cache.js';
import { StringTable } from '../model/string-table.js';
import { looksMangled, runDemangler, type DemanglerName, type RawFrame } from './external-tools.js';
import type { SymbolizeReport } from './report.js';
import type { DemangleMode, ToolBox } from './tools.js';

/** A demangler whose answers hold across calls. */
export class Demangler {
  private readonly demangled = new Map<string, string>();
  /** Which demangler gave each name of `demangled` (only its own answers go to its disk files). */
  private readonly answeredBy = new Map<string, DemanglerName>();
  /** Per (build id, demangler): the names its disk file holds (read on first need). */
  private readonly onDisk = new Map<string, Promise<Map<string, string>>>();

  constructor(
    private readonly tools: ToolBox,
    private readonly diskCache: SymbolDiskCache | null = null,
  ) {}

  /**
   * Demangles names the input itself gave (perf prints C++ symbols mangled,
   * `_Z4betav`): functions whose name looks mangled and was never demangled
   * get the demangled name; the mangled one stays their system name.
   */
  async demangleKept(profile: HeapProfile, mode: DemangleMode, report: SymbolizeReport): Promise<HeapProfile> {
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

  /**
   * Demangles every mangled raw name in one process; returns the name →
   * display name function. `binaries` gives the frames of each binary (by
   * build id; '' for none): their names are looked for in, and added to,
   * the disk cache, under the demangler that would answer them.
   */
  async demangleAll(
    frames: readonly (RawFrame[] | undefined)[],
    mode: DemangleMode,
    report: SymbolizeReport,
    binaries: ReadonlyMap<string, readonly RawFrame[][]> = new Map(),
  ): Promise<(name: string) => string> {
    const identity = (name: string) => name;
    if (mode === 'none') return identity;
    const order: DemanglerName[] = mode === 'auto' ? ['c++filt', 'llvm-cxxfilt'] : [mode];
    const available: DemanglerName[] = [];
    for (const d of order) if ((await this.tools.tool(d)) !== null) available.push(d);
    const cached = available.length > 0 ? await this.fromDisk(binaries, available[0]) : [];
    // Names answered from the disk cache were the first demangler's answers.
    if (cached.some((b) => b.taken)) report.demangler = available[0];
    const todo = new Set<string>();
    const seen = new Set<RawFrame[]>();
    for (const list of frames) {
      if (!list || seen.has(list)) continue;
      seen.add(list);
      for (const f of list) if (looksMangled(f.name) && !this.demangled.has(f.name)) todo.add(f.name);
    }
    const lookup = (name: string) => this.demangled.get(name) ?? name;
    if (todo.size === 0) {
      if (available.length > 0) await this.toDisk(cached, available[0]);
      return lookup;
    }
    for (const d of available) {
      const command = (await this.tools.tool(d)) as string;
      const names = [...todo];
      try {
        this.tools.stats.demanglerRuns++;
        const out = await runDemangler(command, names, this.tools.timeoutMs);
        for (let i = 0; i < names.length; i++) {
          this.demangled.set(names[i], out[i]);
          this.answeredBy.set(names[i], d);
        }
        report.demangler = d;
        report.demanglerError = null;
        if (d === available[0]) await this.toDisk(cached, d);
        return lookup;
      } catch (error) {
        report.demanglerError = (error as Error).message;
      }
    }
    return lookup;
  }

  /**
   * Takes the names `demangler` gave each binary's names in earlier runs
   * from the disk cache; returns, per binary with a build id, its mangled
   * names and what its file holds (for {@link toDisk}).
   */
  private async fromDisk(
    binaries: ReadonlyMap<string, readonly RawFrame[][]>,
    demangler: DemanglerName,
  ): Promise<{ buildId: string; names: Set<string>; stored: Map<string, string>; taken: boolean }[]> {
    const disk = this.diskCache;
    const out: { buildId: string; names: Set<string>; stored: Map<string, string>; taken: boolean }[] = [];
    if (disk === null) return out;
    for (const [buildId, lists] of binaries) {
      if (buildId === '') continue;
      const names = new Set<string>();
      for (const list of lists) for (const f of list) if (looksMangled(f.name)) names.add(f.name);
      if (names.size === 0) continue;
      const key = `${buildId}\0${demangler}`;
      let file = this.onDisk.get(key);
      if (!file) {
        file = disk.loadNames(buildId, demangler);
        this.onDisk.set(key, file);
      }
      const stored = await file;
      let taken = false;
      for (const name of names) {
        const known = stored.get(name);
        if (known !== undefined && !this.demangled.has(name)) {
          this.demangled.set(name, known);
          this.answeredBy.set(name, demangler);
          taken = true;
        }
      }
      out.push({ buildId, names, stored, taken });
    }
    return out;
  }

  /** Adds to each binary's disk file the names of it that `demangler` has now answered. */
  private async toDisk(binaries: readonly { buildId: string; names: Set<string>; stored: Map<string, string> }[], demangler: DemanglerName): Promise<void> {
    for (const { buildId, names, stored } of binaries) {
      let added = false;
      for (const name of names) {
        const known = this.demangled.get(name);
        if (known !== undefined && this.answeredBy.get(name) === demangler && !stored.has(name)) {
          stored.set(name, known);
          added = true;
        }
      }
      if (added) await (this.diskCache as SymbolDiskCache).storeNames(buildId, demangler, stored);
    }
  }
}
