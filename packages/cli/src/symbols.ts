/**
 * Symbolization step of the CLI: one symbolizer shared by all inputs, so a
 * series of dumps of one process parses each binary once. What could not be
 * symbolized becomes a warning on the profile (shown on stderr and in JSON).
 */
import { Symbolizer, WarningCollector, defaultCacheDir, shortNames, withFunctionNames, type HeapProfile, type SymbolizeReport } from '@heapscope/parser';
import type { LoadedInput } from '@heapscope/analyzer';

/** The CLI's symbolizer, with or without the persistent symbol cache. */
export function cliSymbolizer(useCache: boolean): Symbolizer {
  return new Symbolizer({ cacheDir: useCache ? defaultCacheDir() : null });
}

/** Symbolizes every input against the binaries in its maps and `--symbols`. */
export async function symbolizeAll(
  inputs: LoadedInput[],
  symbolPaths: string[],
  useCache: boolean,
  symbolizer: Symbolizer = cliSymbolizer(useCache),
): Promise<LoadedInput[]> {
  const out: LoadedInput[] = [];
  for (const input of inputs) {
    if (input.stats) {
      out.push(input); // allocator statistics: no stacks to symbolize
      continue;
    }
    const { profile: symbolized, report } = await symbolizer.symbolize(input.profile, { symbolPaths });
    const warnings = new WarningCollector();
    warnings.addAll(symbolized.meta.warnings);
    for (const message of reportWarnings(report)) warnings.add(message);
    const profile = symbolized.with({ meta: { ...symbolized.meta, warnings: warnings.list() } });
    out.push({ profile, trace: input.trace && adoptNames(input.trace, profile) });
  }
  return out;
}

/** A trace's peak and snapshot profiles share its stacks: they get the profile's names too. */
function adoptNames(trace: NonNullable<LoadedInput['trace']>, profile: HeapProfile): NonNullable<LoadedInput['trace']> {
  const adopt = (p: HeapProfile) => p.with({ strings: profile.strings, functions: profile.functions, locations: profile.locations, meta: profile.meta });
  return { ...trace, profile, peakProfile: adopt(trace.peakProfile), snapshots: trace.snapshots.map((s) => ({ ...s, profile: adopt(s.profile) })) };
}

/**
 * `--short-names`, in place: every input's function names shortened by one
 * mapping chosen over all inputs' names, so that a function keeps one short
 * name in every input (growth and diff match sites by name).
 */
export function shortenAll(inputs: LoadedInput[]): void {
  const all: string[] = [];
  for (const input of inputs) {
    if (input.stats) continue;
    const { functions, strings } = input.profile;
    for (let f = 0; f < functions.length; f++) all.push(strings[functions.name[f]]);
  }
  const names = shortNames(all);
  inputs.forEach((input, i) => {
    if (input.stats) return;
    const profile = withFunctionNames(input.profile, names);
    inputs[i] = { ...input, profile, trace: input.trace && adoptNames(input.trace, profile) };
  });
}

/** One line per binary that could not be used, and per unusable `--symbols` path. */
function reportWarnings(report: SymbolizeReport): string[] {
  const lines: string[] = [];
  for (const b of report.missing) {
    const rejected = b.rejected.length ? `; rejected ${b.rejected.map((r) => `${r.file} (${r.reason})`).join(', ')}` : '';
    lines.push(`binary not found: ${b.path}: ${b.locations} locations shown as module+offset (give the file with --symbols)${rejected}`);
  }
  for (const e of report.symbolPathErrors) lines.push(`--symbols ${e.path}: ${e.reason}`);
  for (const b of report.binaries) {
    if (b.externalError) lines.push(`${b.path}: no file:line information (${b.externalError})`);
  }
  if (report.demanglerError) lines.push(`C++ names left mangled: ${report.demanglerError}`);
  return lines;
}
