/**
 * Reading a dump for the store: the analyzer's loading pipeline (open,
 * detect, parse — `ingestFiles` runs these on the pipeline's worker threads —
 * then symbolize), plus what the store records beside the profile (the
 * file's time and size, the main binary's build id).
 */
import { stat } from 'node:fs/promises';
import { ParseError, readElfInfo, withFileSource, type HeapProfile, type LoadOptions, type SymbolizeReport, type Symbolizer } from '@heapscope/parser';
import { loadProfile, mainMapping, newSymbolizer, symbolizeInput, type LoadedInput } from '@heapscope/analyzer';

/** How inputs are read and symbolized (the CLI's input options). */
export interface StoreLoadOptions extends Pick<LoadOptions, 'inputFormat' | 'lenient' | 'maxStacks'> {
  /** Symbolize against the binaries in the dump's maps and `symbols` (default true). */
  symbolize?: boolean;
  /** Binaries, directories or symbol trees to symbolize against (`--symbols`). */
  symbols?: string[];
  /** Use the persistent symbol cache (default true; `--no-symbol-cache`). */
  symbolCache?: boolean;
}

/** A dump read for the store. */
export interface LoadedDump {
  profile: HeapProfile;
  /** The main binary's build id read from the file the symbolizer used, when the dump has none, else ''. */
  buildId: string;
  /** The file's modification time (ms since the epoch), or null for stdin. */
  mtimeMs: number | null;
  /** Bytes read (the file's size), 0 for stdin. */
  bytes: number;
}

/** A symbolizer for a series of dumps (its caches hold across them). */
export function storeSymbolizer(options: StoreLoadOptions): Symbolizer {
  return newSymbolizer(options);
}

/** Reads one heap snapshot; event traces and allocator statistics are refused (the store holds snapshots). */
export async function loadDump(path: string, options: StoreLoadOptions, symbolizer: Symbolizer): Promise<LoadedDump> {
  const read = await loadProfile(path, { inputFormat: options.inputFormat, lenient: options.lenient, maxStacks: options.maxStacks });
  return dumpOf(read, path, options, symbolizer);
}

/**
 * A dump read by the loading pipeline (not yet symbolized; `ingestFiles`
 * reads them on worker threads), made ready for the store: refused unless a
 * snapshot, symbolized unless `symbolize` is false, with its file's time and
 * size and the build id the symbolizer used.
 */
export async function dumpOf(read: LoadedInput, path: string, options: StoreLoadOptions, symbolizer: Symbolizer): Promise<LoadedDump> {
  if (read.trace || read.stats) {
    const what = read.trace ? 'an event trace' : 'allocator statistics';
    throw new ParseError(path, 1, `${what} (${read.profile.meta.format}): the store holds heap snapshots`, read.profile.meta.format);
  }
  const file = path === '-' ? null : await stat(path);
  const loaded = options.symbolize !== false ? await symbolizeInput(read, symbolizer, options.symbols ?? []) : read;
  return { profile: loaded.profile, buildId: await symbolizedBuildId(loaded), mtimeMs: file ? file.mtimeMs : null, bytes: file ? file.size : 0 };
}

/**
 * The main binary's build id read from the file the symbolizer used, when
 * the dump records none ('' when the input was not symbolized): the `build`
 * label of a dump whose maps carry no build ids (jemalloc, gperftools).
 */
export async function symbolizedBuildId(input: LoadedInput): Promise<string> {
  return input.symbolization ? usedBuildId(input.profile, input.symbolization) : '';
}

/** The build id of the file the symbolizer read for the main binary, when the dump records none. */
async function usedBuildId(profile: HeapProfile, report: SymbolizeReport): Promise<string> {
  const main = mainMapping(profile);
  if (!main || main.buildId) return '';
  const file = report.binaries.find((b) => b.path === main.path)?.file;
  if (!file) return '';
  try {
    return (await withFileSource(file, readElfInfo)).buildId;
  } catch {
    return ''; // the file was readable a moment ago; a label is not worth failing the ingest
  }
}
