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
  for (const message of symbolizeWarnings(report)) warnings.add(message);
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

/** One line per binary that could not be used, and per unusable `--symbols` path. */
export function symbolizeWarnings(report: SymbolizeReport): string[] {
  const lines: string[] = [];
  for (const b of report.missing) {
    const rejected = b.rejected.length ? `; rejected ${b.rejected.map((r) => `${r.file} (${r.reason})`).join(', ')}` : '';
    const named = b.producerNamed > 0 ? [`${counted(b.producerNamed, 'location')} keep ${report.producer ?? 'the producer'}'s names`] : [];
    const bare = b.locations > b.producerNamed ? [`${counted(b.locations - b.producerNamed, 'location')} shown as module+offset`] : [];
    lines.push(`binary not found: ${b.path}: ${[...named, ...bare].join(', ')} (give the file with --symbols)${rejected}`);
  }
  for (const e of report.symbolPathErrors) lines.push(`--symbols ${e.path}: ${e.reason}`);
  for (const b of report.binaries) {
    if (b.producerElsewhere > 0) {
      lines.push(`${b.file ?? b.path}: ${counted(b.producerElsewhere, 'location')} keep ${report.producer ?? 'the producer'}'s names: its symbols are elsewhere in this file (another build of ${b.path}?)`);
    }
    if (b.externalError) lines.push(`${b.path}: no file:line information (${b.externalError})`);
  }
  if (report.demanglerError) lines.push(`C++ names left mangled: ${report.demanglerError}`);
  return lines;
}
