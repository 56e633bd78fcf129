/**
 * Finds the file to symbolize a mapping with: a binary given with
 * `--symbols`, a file in a `--symbols` directory (by build id, by the
 * mapping's full path below it, by basename), or the path in the dump.
 *
 * Reads: mapping paths as `/proc/PID/maps` prints them (`man 5 proc`:
 * pseudo-paths `[heap]`, `[stack]`, `[vdso]`, ` (deleted)` suffixes), the
 * GNU build-id directory layout `DIR/.build-id/xx/yyyy….debug` (gdb manual,
 * "Debugging Information in Separate Files"), Android's `symbols/` tree
 * (`out/target/product/*\/symbols/system/lib64/libc.so` for
 * `/system/lib64/libc.so`), and ELF headers through `elf-file.ts`.
 */
import { basename, join } from 'node:path';
import type { ElfInfo } from './elf-file.js';

/** A `--symbols` path, classified once per symbolize call. */
export type SymbolPathEntry =
  | { kind: 'file'; path: string; info: ElfInfo }
  | { kind: 'dir'; path: string };

/** A file that was looked at and not used. */
export interface RejectedFile {
  file: string;
  /** The file's build id ('' when it has none or is not ELF). */
  buildId: string;
  /** Why it was not used, as a fact (`build id differs from the mapping's`). */
  reason: string;
}

/** What {@link locateBinary} found for one binary. */
export interface LocatedBinary {
  /** The file the symbols come from. */
  file: string;
  info: ElfInfo;
  /**
   * The file whose program headers translate file offsets: `info` itself,
   * unless `info` is a split debug file and the real binary was found too.
   */
  layout: ElfInfo;
  /** The file with DWARF for an external symbolizer (`info`, or a build-id debug file), or null. */
  debug: { file: string; info: ElfInfo } | null;
}

/** How to read a candidate: its ELF info, `'missing'` when no regular file is there, or a reason it is unusable. */
export type InfoLoader = (path: string) => Promise<ElfInfo | 'missing' | { error: string }>;

/** `[heap]`, `[stack]`, `[vdso]`, anonymous and special-file mappings: nothing to read symbols from. */
export function isPseudoPath(path: string): boolean {
  if (path === '' || path.startsWith('[') || path.startsWith('//anon')) return true;
  if (!path.startsWith('/')) return true; // anon_inode:…, relative paths the dump cannot resolve
  return path.startsWith('/dev/') || path.startsWith('/memfd:') || path.startsWith('/SYSV');
}

const DELETED = ' (deleted)';

/** The `.build-id` paths for `buildId` below `dir`. */
function buildIdPaths(dir: string, buildId: string): string[] {
  if (buildId.length < 3) return [];
  const sub = join(dir, '.build-id', buildId.slice(0, 2));
  return [join(sub, `${buildId.slice(2)}.debug`), join(sub, buildId.slice(2))];
}

/**
 * Finds the binary for a mapping with path `mappingPath` and build id
 * `buildId` ('' when unknown). Candidates, in order:
 * 1. each `--symbols` entry in order: a file whose basename is the
 *    mapping's (or whose build id is the mapping's); a directory's
 *    `.build-id/xx/yyyy.debug`, `DIR/<full mapping path>`, `DIR/<basename>`;
 * 2. the mapping path itself (unless the dump says it was deleted: the file
 *    there now is another one);
 * A candidate whose build id differs from a known mapping build id is
 * rejected (and listed in `rejected`). When the chosen file has no DWARF,
 * `debugDirs` and the `--symbols` directories are searched for a
 * `.build-id` debug file; when it is a split debug file, the later
 * candidates are searched for the real binary to translate addresses.
 */
export async function locateBinary(
  mappingPath: string,
  buildId: string,
  entries: readonly SymbolPathEntry[],
  debugDirs: readonly string[],
  load: InfoLoader,
  rejected: RejectedFile[],
): Promise<LocatedBinary | null> {
  const deleted = mappingPath.endsWith(DELETED);
  const path = deleted ? mappingPath.slice(0, -DELETED.length) : mappingPath;
  const base = basename(path);
  const wanted = buildId.toLowerCase();

  const candidates: string[] = [];
  for (const e of entries) {
    if (e.kind === 'file') {
      if (basename(e.path) === base || (wanted !== '' && e.info.buildId === wanted)) candidates.push(e.path);
    } else {
      if (wanted) candidates.push(...buildIdPaths(e.path, wanted));
      candidates.push(join(e.path, path), join(e.path, base));
    }
  }
  if (!deleted) candidates.push(path);

  const seen = new Set<string>();
  const usable: { file: string; info: ElfInfo }[] = [];
  for (const file of candidates) {
    if (seen.has(file)) continue;
    seen.add(file);
    const info = await load(file);
    if (info === 'missing') continue;
    if ('error' in info) {
      rejected.push({ file, buildId: '', reason: info.error });
      continue;
    }
    if (wanted !== '' && info.buildId !== '' && info.buildId !== wanted) {
      rejected.push({ file, buildId: info.buildId, reason: `build id ${info.buildId} is not the mapping's ${wanted}` });
      continue;
    }
    usable.push({ file, info });
    // The first usable file decides; when it is a split debug file, keep
    // looking for the real binary, whose program headers translate offsets.
    if (!info.debugOnly) break;
  }
  if (usable.length === 0) return null;

  const chosen = usable[0];
  const layout = usable.find((u) => !u.info.debugOnly)?.info ?? chosen.info;
  let debug: LocatedBinary['debug'] = chosen.info.hasDebugInfo ? chosen : null;
  const id = wanted || chosen.info.buildId;
  if (!debug && id) {
    const dirs = [...entries.filter((e) => e.kind === 'dir').map((e) => e.path), ...debugDirs];
    for (const file of dirs.flatMap((d) => buildIdPaths(d, id))) {
      if (seen.has(file)) continue;
      seen.add(file);
      const info = await load(file);
      if (info === 'missing' || 'error' in info) continue;
      if (info.buildId === id && info.hasDebugInfo) {
        debug = { file, info };
        break;
      }
    }
  }
  // A separate debug file has the full .symtab; a stripped binary only .dynsym.
  const symbols = debug && debug.info.hasSymtab && !chosen.info.hasSymtab ? debug : chosen;
  return { file: symbols.file, info: symbols.info, layout, debug };
}
