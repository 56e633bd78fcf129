/**
 * The loading pipeline, one entry point for the CLI and for library users:
 *
 *   open → detect → parse (snapshots) or accumulate events (traces)
 *        → symbolize → shorten names
 *
 * read-input.ts does the first three stages per input, symbolize-inputs.ts
 * the last two over all inputs. `loadProfile(path, { symbolize: true })`
 * gives the profile the CLI's commands analyze.
 */
import type { OpenOptions, Symbolizer } from '@heapscope/parser';
import { readInput, type LoadedInput, type ReadOptions } from './read-input.js';
import { newSymbolizer, shortenNames, symbolizeInput } from './symbolize-inputs.js';

/** Options of the loading pipeline. */
export interface LoadProfilesOptions extends ReadOptions {
  /**
   * Symbolize addresses against the binaries named in each input's maps and
   * in `symbols` (default false: addresses stay `module+0xoffset`).
   */
  symbolize?: boolean;
  /** Binaries, directories or symbol trees to symbolize against (the CLI's `--symbols`), in order. */
  symbols?: readonly string[];
  /** Use and update the persistent symbol cache (default true; the CLI's `--no-symbol-cache`). */
  symbolCache?: boolean;
  /** A symbolizer to use, so that its caches hold across calls (a series loaded one input at a time). */
  symbolizer?: Symbolizer;
  /** C++ function names without argument lists and template arguments, chosen over all inputs (`--short-names`). */
  shortNames?: boolean;
  /** Called as each input starts to be read; what it returns follows the reading of that input. */
  onInput?: (path: string) => OpenOptions['onProgress'];
  /** Called as each input has been read, before the next is (and before any is symbolized); may throw to stop. */
  onRead?: (input: LoadedInput, path: string, index: number) => void;
}

/** Reads, symbolizes (when asked) and names every input, in order (`-` is stdin). */
export async function loadProfiles(paths: readonly string[], options: LoadProfilesOptions = {}): Promise<LoadedInput[]> {
  const read: LoadedInput[] = [];
  for (const [index, path] of paths.entries()) {
    const input = await readInput(path, { ...options, onProgress: options.onInput?.(path) ?? options.onProgress });
    options.onRead?.(input, path, index);
    read.push(input);
  }
  let loaded = read;
  if (options.symbolize) {
    const symbolizer = options.symbolizer ?? newSymbolizer(options);
    loaded = [];
    for (const input of read) loaded.push(await symbolizeInput(input, symbolizer, options.symbols ?? []));
  }
  return options.shortNames ? shortenNames(loaded) : loaded;
}

/** {@link loadProfiles} of one input. */
export async function loadProfile(path: string, options: LoadProfilesOptions = {}): Promise<LoadedInput> {
  const [loaded] = await loadProfiles([path], options);
  return loaded;
}
