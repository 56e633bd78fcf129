/**
 * The symbolization stage of the loading pipeline: every input symbolized by
 * one symbolizer, so that a series of dumps of one process parses each
 * binary once; what could not be symbolized becomes a warning on the
 * profile (the CLI prints it and puts it in JSON); `--short-names` chosen
 * over all inputs at once.
 */
import { Symbolizer, WarningCollector, counted, defaultCacheDir, shortNames, withFunctionNames, type HeapProfile, type SymbolizeReport } from '@heapscope/parser';
import type { LoadedInput } from './read-input.js';

/** A symbolizer with or without the persistent symbol cache (`$HEAPSCOPE_CACHE_DIR`, else the user's cache directory). */
export function newSymbolizer(options: { symbolCache?: boolean } = {}): Symbolizer {
  return new Symbolizer({ cacheDir: options.symbolCache === false ? null : defaultCacheDir() });
}

/** Symbolizes one input against the binaries in its maps and `symbolPaths`; statistics pass as they are. */
export async function symbolizeInput(input: LoadedInput, symbolizer: Symbolizer, symbolPaths: readonly string[]): Promise<LoadedInput> {
  if (input.stats) return input; // allocator statistics: no stacks to symbolize
  const { profile: symbolized, report } = await symbolizer.symbolize(input.profile, { symbolPaths });
  const warnings = new WarningCollector();
  warnings.addAll(symbolized.meta.warnings);
  for (const w of symbolizeWarnings(report)) warnings.add(w.message, { file: symbolized.meta.file, line: 0 }, 1, w.details);
  const profile = symbolized.with({ meta: { ...symbolized.meta, warnings: warnings.list() } });
  return { ...input, profile, trace: input.trace && adoptNames(input.trace, profile), symbolization: report };
}

/** A trace's peak and snapshot profiles share its stacks: they get the profile's names too. */
function adoptNames(trace: NonNullable<LoadedInput['trace']>, profile: HeapProfile): NonNullable<LoadedInput['trace']> {
  const adopt = (p: HeapProfile) => p.with({ strings: profile.strings, functions: profile.functions, locations: profile.locations, meta: profile.meta });
  return { ...trace, profile, peakProfile: adopt(trace.peakProfile), snapshots: trace.snapshots.map((s) => ({ ...s, profile: adopt(s.profile) })) };
}

/**
 * Every input's function names shortened by one mapping chosen over all
 * inputs' names (`--short-names`), so that a function keeps one short name
 * in every input (growth and diff match sites by name).
 */
export function shortenNames(inputs: readonly LoadedInput[]): LoadedInput[] {
  const all: string[] = [];
  for (const input of inputs) {
    if (input.stats) continue;
    const { functions, strings } = input.profile;
    for (let f = 0; f < functions.length; f++) all.push(strings[functions.name[f]]);
  }
  const names = shortNames(all);
  return inputs.map((input) => {
    if (input.stats) return input;
    const profile = withFunctionNames(input.profile, names);
    return { ...input, profile, trace: input.trace && adoptNames(input.trace, profile) };
  });
}

/** A symbolization warning: its message, and the items it lists (`Warning.details`). */
export interface SymbolizeWarning {
  message: string;
  details?: string[];
}

/**
 * What symbolization could not do: one warning for every binary not found
 * (naming each, most locations first), one per unusable `--symbols` path,
 * per binary without file:line information, and for the demangler.
 */
export function symbolizeWarnings(report: SymbolizeReport): SymbolizeWarning[] {
  const out: SymbolizeWarning[] = [];
  const missing = missingBinaries(report);
  if (missing) out.push(missing);
  for (const e of report.symbolPathErrors) out.push({ message: `--symbols ${e.path}: ${e.reason}` });
  for (const b of report.binaries) {
    if (b.producerElsewhere > 0) {
      out.push({ message: `${b.file ?? b.path}: ${counted(b.producerElsewhere, 'location')} keep ${producerOf(report)}'s names: its symbols are elsewhere in this file (another build of ${b.path}?)` });
    }
    if (b.externalError) out.push({ message: `${b.path}: no file:line information (${b.externalError})` });
  }
  if (report.demanglerError) out.push({ message: `C++ names left mangled: ${report.demanglerError}` });
  return out;
}

/**
 * The binaries not found, as one warning: a recording of a desktop program
 * names dozens of libraries, and a line for each buried every other warning.
 * Most locations first, so that the few the text names are the ones worth
 * giving with `--symbols`.
 */
function missingBinaries(report: SymbolizeReport): SymbolizeWarning | undefined {
  const missing = [...report.missing].sort((a, b) => b.locations - a.locations);
  if (missing.length === 0) return undefined;
  const details = missing.map((b) => {
    const rejected = b.rejected.length ? `; rejected ${b.rejected.map((r) => `${r.file} (${r.reason})`).join(', ')}` : '';
    const named = b.producerNamed > 0 ? `, ${b.producerNamed} keeping ${producerOf(report)}'s names` : '';
    return `${b.path} (${counted(b.locations, 'location')}${named}${rejected})`;
  });
  const named = missing.reduce((sum, b) => sum + b.producerNamed, 0);
  const bare = missing.reduce((sum, b) => sum + b.locations - b.producerNamed, 0);
  const what = missing.length === 1 ? 'binary not found' : `${missing.length} binaries not found`;
  return { message: `${what}, ${locationFates(named, bare, report)} (give the ${missing.length === 1 ? 'file' : 'files'} with --symbols)`, details };
}

/** The producer whose names unresolved locations keep (perf), for the warnings. */
function producerOf(report: SymbolizeReport): string {
  return report.producer ?? 'the producer';
}

/**
 * What became of a missing binary's locations: those the producer named
 * keep its names, the rest are shown as module+offset.
 */
function locationFates(named: number, bare: number, report: SymbolizeReport): string {
  const parts: string[] = [];
  if (named > 0) parts.push(`${counted(named, 'location')} keep ${producerOf(report)}'s names`);
  if (bare > 0 || named === 0) parts.push(`${counted(bare, 'location')} shown as module+offset`);
  return parts.join(', ');
}
