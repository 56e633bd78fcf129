/**
 * C++ names for display: linkage names (`_ZN2hs5Large4makeEv`) demangled by
 * c++filt or llvm-cxxfilt, every new name of a call in one process, each
 * answer kept for later calls.
 */
import type { HeapProfile } from '../model/profile.js';
import { StringTable } from '../model/string-table.js';
import { looksMangled, runDemangler, type DemanglerName, type RawFrame } from './external-tools.js';
import type { SymbolizeReport } from './report.js';
import type { DemangleMode, ToolBox } from './tools.js';

/** A demangler whose answers hold across calls. */
export class Demangler {
  private readonly demangled = new Map<string, string>();

  constructor(private readonly tools: ToolBox) {}

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

  /** Demangles every mangled raw name in one process; returns the name → display name function. */
  async demangleAll(
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
      const command = await this.tools.tool(d);
      if (command === null) continue;
      const names = [...todo];
      try {
        this.tools.stats.demanglerRuns++;
        const out = await runDemangler(command, names, this.tools.timeoutMs);
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
