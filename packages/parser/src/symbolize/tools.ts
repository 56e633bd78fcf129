/**
 * The external tools symbolization runs (llvm-symbolizer, addr2line,
 * c++filt, llvm-cxxfilt): which are wanted, where they are (found once on
 * the search path, or given), how long one may run, and how many runs there
 * were.
 */
import { DEFAULT_TOOL_TIMEOUT_MS, findOnPath, type DemanglerName, type ExternalSymbolizerName, type ToolName } from './external-tools.js';
import type { SymbolizerStats } from './report.js';

/**
 * Which external symbolizer gives file:line and inlined frames: `auto` uses
 * the first of llvm-symbolizer and addr2line found on the search path (and
 * the other when the first fails); `none` uses ELF symbol tables only.
 */
export type ExternalMode = 'auto' | 'none' | ExternalSymbolizerName;

/** Which demangler turns C++ linkage names into display names; `auto`: c++filt, else llvm-cxxfilt. */
export type DemangleMode = 'auto' | 'none' | DemanglerName;

/** The tools one symbolizer uses, found once each. */
export class ToolBox {
  private readonly found = new Map<ToolName, Promise<string | null>>();

  constructor(
    /** Directories searched for the tools, `PATH`-style. */
    private readonly searchPath: string,
    /** Commands to use instead of searching (a path, or `''` for a tool that is absent). */
    private readonly overrides: Partial<Record<ToolName, string>>,
    /** Time limit for one external process. */
    readonly timeoutMs: number,
    /** The symbolizer's counters, which runs add to. */
    readonly stats: SymbolizerStats,
  ) {}

  /** The command for `tool`, or null when it is not available. Cached. */
  tool(tool: ToolName): Promise<string | null> {
    let found = this.found.get(tool);
    if (!found) {
      const override = this.overrides[tool];
      found = override !== undefined ? Promise.resolve(override === '' ? null : override) : findOnPath(tool, this.searchPath);
      this.found.set(tool, found);
    }
    return found;
  }
}

export { DEFAULT_TOOL_TIMEOUT_MS };
