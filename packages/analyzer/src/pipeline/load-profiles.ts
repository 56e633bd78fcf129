/**
 * The loading pipeline, one entry point for the CLI and for library users:
 *
 *   open → detect → parse (snapshots) or accumulate events (traces)
 *        → symbolize → shorten names
 *
 * read-input.ts does the first three stages per input, read-pool.ts runs
 * them for many inputs on worker threads (`jobs`), symbolize-inputs.ts does
 * the last two on this thread. `loadProfile(path, { symbolize: true })`
 * gives the profile the CLI's commands analyze; `streamProfiles` hands a
 * long series on one input at a time.
 */
import type { Symbolizer } from '@heapscope/parser';
import { readInputs, type ReadInputsOptions } from './read-pool.js';
import type { LoadedInput } from './read-input.js';
import { newSymbolizer, shortenNames, symbolizeInput } from './symbolize-inputs.js';

/** Options of the loading pipeline. */
export interface LoadProfilesOptions extends ReadInputsOptions {
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
  /** Called as each input has been read, in order, before any is symbolized; may throw to stop. */
  onRead?: (input: LoadedInput, path: string, index: number) => void;
}

/** Reads (`jobs` at a time), symbolizes (when asked) and names every input, in order (`-` is stdin). */
export async function loadProfiles(paths: readonly string[], options: LoadProfilesOptions = {}): Promise<LoadedInput[]> {
  const read: LoadedInput[] = [];
  for await (const input of readInputs(paths, options)) {
    options.onRead?.(input, paths[read.length], read.length);
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

/**
 * Reads (`jobs` at a time, ahead of the caller), symbolizes and names each
 * input, and hands them on one at a time, in order: a long series never
 * holds more than `jobs` inputs and the one the caller has. What it hands
 * on is what {@link loadProfiles} gives.
 *
 * With `shortNames` the short names are chosen over all inputs, as
 * {@link loadProfiles} chooses them, so that a function has one short name
 * in every input: every input is then read and symbolized before the first
 * is handed on, and all are held at once.
 */
export async function* streamProfiles(paths: readonly string[], options: LoadProfilesOptions = {}): AsyncGenerator<LoadedInput> {
  const symbolizer = options.symbolize ? (options.symbolizer ?? newSymbolizer(options)) : undefined;
  const held: LoadedInput[] = [];
  let index = 0;
  for await (const read of readInputs(paths, options)) {
    options.onRead?.(read, paths[index], index);
    index++;
    const input = symbolizer ? await symbolizeInput(read, symbolizer, options.symbols ?? []) : read;
    // Why hold them: a short name depends on every name of every input (short-names.ts keeps two functions apart where they would share one).
    if (options.shortNames) held.push(input);
    else yield input;
  }
  if (!options.shortNames) return;
  const named = shortenNames(held.splice(0));
  for (let i = 0; i < named.length; i++) {
    const input = named[i];
    named[i] = undefined as never; // the caller holds it now
    yield input;
  }
}

/** {@link loadProfiles} of one input. */
export async function loadProfile(path: string, options: LoadProfilesOptions = {}): Promise<LoadedInput> {
  const [loaded] = await loadProfiles([path], options);
  return loaded;
}
