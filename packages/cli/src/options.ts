/**
 * Options shared by commands, and turning them into loaded, symbolized
 * profiles. Only the CLI decides where output goes.
 */
import { Option, type Command } from 'commander';
import {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_MAX_SAMPLES,
  DEFAULT_MAX_STACKS,
  formatWarning,
  importers,
  type MergedInputs,
  type Symbolizer,
  type Warning,
} from '@heapscope/parser';
import { GROUP_BY, loadProfiles, mixedInputWarnings, type GroupBy, type LoadedInput, type SiteFilters, type SiteOptions } from '@heapscope/analyzer';
import { UsageError, type CliIo } from './io.js';
import { Progress } from './progress.js';
import { rawSink } from './terminal-text.js';
import { parseBytes } from './size-arg.js';

/** Options every command that reads inputs has. */
export interface InputOptions {
  format: 'text' | 'json';
  output?: string;
  inputFormat?: string;
  symbols: string[];
  symbolize: boolean;
  symbolCache: boolean;
  lenient?: boolean;
  maxStacks?: number;
  maxSamples?: number;
  maxStringBytes?: number;
  maxDecompressedBytes?: number;
  keepBadFrames?: boolean;
  shortNames?: boolean;
  sizeArg?: string;
  allocEvent?: string;
  freeEvent?: string;
  debug?: boolean;
}

/** Stack filters: what every stack-shaped report and output takes. */
export interface StackFilterOptions {
  focus?: string;
  ignore?: string;
  hide?: string;
  thread?: string;
  keepAllocatorFrames?: boolean;
}

/** Filter and grouping options of the ranked reports (top, sizes, growth, …). */
export interface FilterOptions extends StackFilterOptions {
  by: GroupBy;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** A parser of positive integer option values, naming the flag when one is not. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} expects a positive integer, got "${value}"`);
    return n;
  };
}

/** Adds the options of commands that read inputs. */
export function addInputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-o, --output <file>', 'write the report to FILE (- for stdout): a file is written whole or not at all, a device or FIFO in place')
    .option('--input-format <id>', `skip detection and read inputs as this format (${importers.map((i) => i.id).join(', ')})`)
    .addOption(new Option('--symbols <path>', 'binary, directory or symbol tree to symbolize against (repeatable)').argParser(collect).default([], 'none'))
    .option('--no-symbolize', 'do not symbolize addresses')
    .option('--no-symbol-cache', 'do not use or update the symbol cache (~/.cache/heapscope, $HEAPSCOPE_CACHE_DIR)')
    .option('--short-names', 'C++ function names without argument lists, template arguments and return types (distinct functions stay distinct)')
    .option('--lenient', 'turn malformed records into counted warnings instead of failing')
    .option('--max-stacks <n>', `fail when an input has more distinct stacks than this (default ${DEFAULT_MAX_STACKS})`, positiveInt('--max-stacks'))
    .option('--max-samples <n>', `fail when an input has more distinct samples (a pprof file: samples) than this (default ${DEFAULT_MAX_SAMPLES})`, positiveInt('--max-samples'))
    .option('--max-string-bytes <bytes>', `fail on a longer line (or pprof string) than this (default ${DEFAULT_MAX_LINE_BYTES / 2 ** 20}MiB)`, (v: string) => parseBytes('--max-string-bytes', v))
    .option('--max-decompressed-bytes <bytes>', `fail when a compressed input inflates to more than this (default ${DEFAULT_MAX_DECOMPRESSED_BYTES / 2 ** 30}GiB)`, (v: string) => parseBytes('--max-decompressed-bytes', v))
    .option('--keep-bad-frames', 'keep stack frames outside every executable mapping (broken frame-pointer unwinding), which are cut by default')
    .option('--size-arg <name>', 'perf records: the probe argument that holds the allocation size')
    .option('--alloc-event <regex>', 'perf records: events (group:name) that allocate')
    .option('--free-event <regex>', 'perf records: events (group:name) that free')
    .option('--debug', 'print stack traces for internal errors');
}

/** Adds `--focus`, `--ignore`, `--hide`, `--thread`, `--keep-allocator-frames`. */
export function addStackFilterOptions(cmd: Command): Command {
  return cmd
    .option('--focus <regex>', 'keep only samples with a frame (function, file or module) matching REGEX')
    .option('--ignore <regex>', 'drop samples with a frame matching REGEX')
    .option('--hide <regex>', 'remove frames matching REGEX from stacks')
    .option('--thread <regex>', 'keep only samples of threads whose id or name matches REGEX')
    .option('--keep-allocator-frames', "do not drop the allocator's own frames at the leaf");
}

/** Adds `--by` and the stack filters. */
export function addFilterOptions(cmd: Command): Command {
  return addStackFilterOptions(cmd.addOption(new Option('--by <grouping>', 'group rows by').choices([...GROUP_BY]).default('function')));
}

function regex(flag: string, source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch (error) {
    throw new UsageError(`${flag}: invalid regular expression: ${(error as Error).message}`);
  }
}

/** The analyzer's filters from the command line's stack filter options. */
export function stackFilters(o: StackFilterOptions): SiteFilters {
  return {
    focus: regex('--focus', o.focus),
    ignore: regex('--ignore', o.ignore),
    hide: regex('--hide', o.hide),
    thread: regex('--thread', o.thread),
    keepAllocatorFrames: o.keepAllocatorFrames === true,
  };
}

/** Whether any stack filter was given. */
export function hasStackFilters(o: StackFilterOptions): boolean {
  return o.focus !== undefined || o.ignore !== undefined || o.hide !== undefined || o.thread !== undefined || o.keepAllocatorFrames === true;
}

/** The analyzer's site options (grouping and filters) from the command line's. */
export function siteOptions(o: FilterOptions): SiteOptions {
  return { by: o.by, ...stackFilters(o) };
}

/**
 * Every input through the loading pipeline (`loadProfiles`: read, parse or
 * accumulate, and unless `--no-symbolize` symbolize), with a progress line
 * on a terminal; prints the inputs' warnings.
 */
export async function loadInputs(
  paths: readonly string[],
  o: InputOptions,
  io: CliIo,
  extra: { windows?: number; symbolizer?: Symbolizer; /** Accept allocator statistics (only `diagnose` reads them). */ allowStats?: boolean } = {},
): Promise<LoadedInput[]> {
  if (paths.length === 0) throw new UsageError('no input given');
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) can be given only once');
  // The progress line draws with its own erase sequence: it writes past the escaping of stderr, and escapes the name itself.
  const progress = new Progress(rawSink(io.stderr), io.stderr.isTTY === true && o.format !== 'json');
  let loaded: LoadedInput[];
  try {
    loaded = await loadProfiles(paths, {
      onInput: (path) => progress.reporter(path),
      onRead: (input, path, index) => {
        if (input.stats && !extra.allowStats) throw new UsageError(`${path} holds allocator statistics, not a heap profile: use heapscope diagnose`);
        if (index === paths.length - 1) progress.done();
      },
      inputFormat: o.inputFormat,
      lenient: o.lenient,
      maxStacks: o.maxStacks,
      maxSamples: o.maxSamples,
      maxLineBytes: o.maxStringBytes,
      maxDecompressedBytes: o.maxDecompressedBytes,
      keepBadFrames: o.keepBadFrames,
      stdin: io.stdin,
      windows: extra.windows,
      // Importer-specific options (perf script).
      sizeArg: o.sizeArg,
      allocEvent: regex('--alloc-event', o.allocEvent),
      freeEvent: regex('--free-event', o.freeEvent),
      symbolize: o.symbolize,
      symbols: o.symbols,
      symbolCache: o.symbolCache,
      symbolizer: extra.symbolizer,
      shortNames: o.shortNames,
    });
  } finally {
    progress.done();
  }
  for (const input of loaded) printWarnings(io, input.profile.meta.warnings);
  return loaded;
}

/**
 * The warnings of loaded inputs as JSON reports carry them (`warnings`): the
 * lines printed to stderr, without the `heapscope: warning: ` prefix.
 */
export function inputWarnings(loaded: readonly LoadedInput[]): string[] {
  return loaded.flatMap((l) => l.profile.meta.warnings.map(formatWarning));
}

/**
 * Warnings about inputs summed into one result (or one input that is such a
 * sum) that were recorded differently — processes, formats, sampling, size
 * kinds: printed to stderr, and returned for JSON output.
 */
export function warnMixedInputs(io: CliIo, inputs: MergedInputs | undefined): string[] {
  const warnings = mixedInputWarnings(inputs);
  for (const w of warnings) io.stderr.write(`heapscope: warning: ${w}\n`);
  return warnings;
}

/** Prints warnings to stderr, one line each. */
export function printWarnings(io: CliIo, warnings: readonly Warning[]): void {
  for (const w of warnings) io.stderr.write(`heapscope: warning: ${formatWarning(w)}\n`);
}
