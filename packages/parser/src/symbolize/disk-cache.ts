/**
 * A persistent cache of symbolizer answers, keyed by build id and tool
 * (`llvm-symbolizer`, `addr2line`, or `symtab`/`dynsym` for the answers of
 * the ELF symbol tables themselves): analyzing a series of dumps of one
 * service (or the same dump again) runs llvm-symbolizer/addr2line only for
 * addresses not seen before, and reads no symbol table when every address
 * is known.
 *
 * One JSON file per (build id, tool) under the cache directory, written
 * whole through a temporary file and a rename; an unreadable or corrupt file
 * is treated as empty. Binaries without a build id are never cached (their
 * identity is not stable).
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RawFrame } from './external-tools.js';

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

/** Answers stored on disk: `file address → frames`. */
export class SymbolDiskCache {
  constructor(
    /** Root directory (symbols go in `<dir>/symbols/`). */
    readonly dir: string,
  ) {}

  private path(buildId: string, tool: string): string {
    return join(this.dir, 'symbols', `${buildId}.${tool}.json`);
  }

  /** The stored answers for a binary and tool (empty when none or unreadable). */
  async load(buildId: string, tool: string): Promise<Map<number, RawFrame[]>> {
    try {
      const data = JSON.parse(await readFile(this.path(buildId, tool), 'utf8')) as { version?: number; addresses: Record<string, RawFrame[]> };
      const out = new Map<number, RawFrame[]>();
      if (data.version !== CACHE_VERSION) return out;
      for (const [address, frames] of Object.entries(data.addresses)) {
        if (Array.isArray(frames)) out.set(Number.parseInt(address, 16), frames);
      }
      return out;
    } catch {
      return new Map();
    }
  }

  /** Stores the answers (all of them, old and new). Failures are ignored: the cache is an optimization. */
  async store(buildId: string, tool: string, answers: Map<number, RawFrame[]>): Promise<void> {
    const addresses: Record<string, RawFrame[]> = {};
    for (const [address, frames] of answers) addresses[address.toString(16)] = frames;
    const target = this.path(buildId, tool);
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(join(this.dir, 'symbols'), { recursive: true });
      await writeFile(temp, JSON.stringify({ version: CACHE_VERSION, buildId, tool, addresses }));
      await rename(temp, target);
    } catch {
      await unlink(temp).catch(() => undefined);
    }
  }
}
