/**
 * The options of the command line, declared once: each builder makes one
 * option (or one group) with its flags, its help, its default and the
 * parser that checks its value, and every command that has the option takes
 * it from here — so `-n abc` is the same usage error (exit 2) in every
 * command, and `--help` and docs/cli.md say the same thing everywhere
 * (packages/cli/test/help-docs.test.ts holds the two together).
 *
 * Also here: the analyzer's filters and grouping from the parsed options.
 */
import { Option } from 'commander';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_SAMPLES, DEFAULT_MAX_STACKS, importers } from '@heapscope/parser';
import { ALLOCATOR_NAMES, AllocatorNameError, GROUP_BY, parseAllocatorList, type AllocatorName, type GroupBy, type SeriesOrder, type SiteFilters, type SiteOptions, type TreeGrouping, type TreeOptions } from '@heapscope/analyzer';
import { UsageError } from './io.js';
import { parseBytes } from './size-arg.js';
import type { Orientation } from './render/flame-data.js';

/** Options every command has. */
export interface CommonOptions {
  /**
   * `--format`: the output's form, text for people or one JSON document.
   * (In heapscope's words a *format* is a file's — an input's importer id,
   * the file `convert` writes; this is the form of the report, and the code
   * asks `run.json`.)
   */
  format: 'text' | 'json';
  output?: string;
  quiet?: boolean;
  debug?: boolean;
}

/** Options of the commands that read inputs (the loading pipeline's). */
export interface InputOptions extends CommonOptions {
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
  jobs?: number;
}

/** Stack filters: what every stack-shaped report and output takes. */
export interface StackFilterOptions {
  focus?: string;
  ignore?: string;
  hide?: string;
  thread?: string;
  keepAllocatorFrames?: boolean;
}

/** Stack filters and the frame grouping of the stack-shaped outputs (flamegraphs, collapsed stacks, speedscope). */
export interface TreeFilterOptions extends StackFilterOptions {
  by: TreeGrouping;
}

/** Filter and grouping options of the ranked reports (top, sizes, growth, …). */
export interface FilterOptions extends StackFilterOptions {
  by: GroupBy;
}

/** `-t`, `-n`, `--order`, `--windows`: options several commands share. */
export interface SharedOptions {
  sampleType?: string;
  nodeCount?: number;
  order?: SeriesOrder;
  windows?: number;
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

/** A parser of byte amounts (`1048576`, `512KiB`, `1MiB`), naming the flag when one is not. */
export function byteAmount(flag: string) {
  return (value: string): number => parseBytes(flag, value);
}

/** A count option (`--sites <n>`): a positive integer, checked as every count is. */
export function countOption(flags: string, description: string): Option {
  const long = /--[\w-]+/.exec(flags)?.[0] ?? flags;
  return new Option(flags, description).argParser(positiveInt(long));
}

/** A byte-amount option (`--min-growth <bytes>`, `--fail-on-growth <bytes>`): sizes and thresholds. */
export function bytesOption(flags: string, description: string): Option {
  const long = /--[\w-]+/.exec(flags)?.[0] ?? flags;
  return new Option(flags, description).argParser(byteAmount(long));
}

/** `-n, --node-count <n>`: how many rows (sites, sizes) to show. */
export function nodeCountOption(what = 'rows'): Option {
  return new Option('-n, --node-count <n>', `show the first N ${what}`).argParser(positiveInt('-n'));
}

/** A parser of row counts where 0 means every row (`top -n 0`). */
export function rowCount(flag: string) {
  return (value: string): number => {
    // Number('') is 0: an empty value is refused before it can mean "all".
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${flag} expects a whole number (0 for all), got "${value}"`);
    return n;
  };
}

/**
 * `-n, --node-count <n>` of a report that is cut on a terminal: 0 shows every
 * row, and without `-n` a terminal gets the first `terminalDefault` rows.
 */
export function terminalRowCountOption(terminalDefault: number): Option {
  return new Option('-n, --node-count <n>', `show the first N rows, 0 for all (default: ${terminalDefault} on a terminal, all when piped, with -o or --format json)`).argParser(rowCount('-n'));
}

/** `-t, --sample-type <type>`: the sample type a command reads. */
export function sampleTypeOption(description = 'inuse_space (default), inuse_objects, alloc_space or alloc_objects'): Option {
  return new Option('-t, --sample-type <type>', description);
}

/** `--format text|json`: the output's form. */
export function outputFormOption(): Option {
  return new Option('--format <format>', 'text for people, or one JSON document on stdout').choices(['text', 'json']).default('text');
}

/** `-o, --output <file>`. */
export function outputOption(description = 'write the report to FILE (- for stdout): a file is written whole or not at all, a device or FIFO in place'): Option {
  return new Option('-o, --output <file>', description);
}

/** `--quiet`. */
export function quietOption(): Option {
  return new Option('--quiet', 'do not print warnings on stderr (JSON output still lists them)');
}

/** `--debug`. */
export function debugOption(): Option {
  return new Option('--debug', 'print stack traces for internal errors');
}

/** The options every command has: `--format`, `-o`, `--quiet`, `--debug`. */
export function commonOptions(output?: string): Option[] {
  return [outputFormOption(), outputOption(output), quietOption(), debugOption()];
}

/** The options of the loading pipeline: detection, symbolization, limits, perf probe names. */
export function inputOptions(): Option[] {
  return [
    new Option('--input-format <id>', `skip detection and read inputs as this format (${importers.map((i) => i.id).join(', ')})`),
    new Option('--symbols <path>', 'binary, directory or symbol tree to symbolize against (repeatable)').argParser(collect).default([], 'none'),
    new Option('--no-symbolize', 'do not symbolize addresses'),
    new Option('--no-symbol-cache', 'do not use or update the symbol cache (~/.cache/heapscope, $HEAPSCOPE_CACHE_DIR)'),
    new Option('--short-names', 'C++ function names without argument lists, template arguments and return types (distinct functions stay distinct)'),
    new Option('--lenient', 'turn malformed records into counted warnings instead of failing'),
    countOption('--max-stacks <n>', `fail when an input has more distinct stacks than this (default ${DEFAULT_MAX_STACKS})`),
    countOption('--max-samples <n>', `fail when an input has more distinct samples (a pprof file: samples) than this (default ${DEFAULT_MAX_SAMPLES})`),
    bytesOption('--max-string-bytes <bytes>', `fail on a longer line (or pprof string) than this (default ${DEFAULT_MAX_LINE_BYTES / 2 ** 20}MiB)`),
    bytesOption('--max-decompressed-bytes <bytes>', `fail when a compressed input inflates to more than this (default ${DEFAULT_MAX_DECOMPRESSED_BYTES / 2 ** 30}GiB)`),
    new Option('--keep-bad-frames', 'keep stack frames outside every executable mapping (broken frame-pointer unwinding), which are cut by default'),
    new Option('--size-arg <name>', 'perf records: the probe argument that holds the allocation size'),
    new Option('--alloc-event <regex>', 'perf records: events (group:name) that allocate'),
    new Option('--free-event <regex>', 'perf records: events (group:name) that free'),
    countOption('--jobs <n>', 'read N inputs at once, on N − 1 worker threads and the main thread (default: the available cores; 1 reads them one after the other)'),
  ];
}

/** `--focus`, `--ignore`, `--hide`, `--thread`, `--keep-allocator-frames`. */
export function stackFilterOptions(): Option[] {
  return [
    new Option('--focus <regex>', 'keep only samples with a frame (function, file or module) matching REGEX'),
    new Option('--ignore <regex>', 'drop samples with a frame matching REGEX'),
    new Option('--hide <regex>', 'remove frames matching REGEX from stacks'),
    new Option('--thread <regex>', 'keep only samples of threads whose id or name matches REGEX'),
    new Option('--keep-allocator-frames', "do not drop the allocator's own frames at the leaf"),
  ];
}

/** `--by` and the stack filters. */
export function filterOptions(): Option[] {
  return [new Option('--by <grouping>', 'group rows by').choices([...GROUP_BY]).default('function'), ...stackFilterOptions()];
}

/** `--by function|line`: what a stack-shaped output's frames are. */
export function treeByOption(description = 'frames by function, or by function and source line (file:line where the input has lines)'): Option {
  return new Option('--by <grouping>', description).choices(['function', 'line'] satisfies TreeGrouping[]).default('function');
}

/** `--order auto|given|sequence`. */
export function orderOption(description: string): Option {
  return new Option('--order <order>', description).choices(['auto', 'given', 'sequence']).default('auto');
}

/** `--windows <n>`. */
export function windowsOption(description: string): Option {
  return countOption('--windows <n>', description);
}

/** `--orientation flame|icicle`. */
export function orientationOption(description: string): Option {
  return new Option('--orientation <o>', description).choices(['flame', 'icicle'] satisfies Orientation[]).default('flame');
}

/** `--title <text>`. */
export function titleOption(description: string): Option {
  return new Option('--title <text>', description);
}

/** `--width <px>`. */
export function widthOption(description: string): Option {
  return countOption('--width <px>', description);
}

function regex(flag: string, source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch (error) {
    throw new UsageError(`${flag}: invalid regular expression: ${(error as Error).message}`);
  }
}

/** A regular expression option's value, a usage error when it does not compile. */
export function regexOption(flag: string, source: string | undefined): RegExp | undefined {
  return regex(flag, source);
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

/** The call tree's filters and frame grouping from the command line's options. */
export function treeOptions(o: TreeFilterOptions): TreeOptions {
  return { by: o.by, ...stackFilters(o) };
}

/** Whether any stack filter was given. */
export function hasStackFilters(o: StackFilterOptions): boolean {
  return o.focus !== undefined || o.ignore !== undefined || o.hide !== undefined || o.thread !== undefined || o.keepAllocatorFrames === true;
}

/** The analyzer's site options (grouping and filters) from the command line's. */
export function siteOptions(o: FilterOptions): SiteOptions {
  return { by: o.by, ...stackFilters(o) };
}

/** A parser of allocator lists (`glibc,jemalloc`): an unknown name is a usage error naming the known ones. */
export function allocatorList(flag: string) {
  return (value: string): AllocatorName[] => {
    try {
      return parseAllocatorList(value);
    } catch (error) {
      if (error instanceof AllocatorNameError) throw new UsageError(`${flag} expects comma-separated allocator names: ${error.message}`);
      throw error;
    }
  };
}

/** `--allocators <list>`: whose size classes the waste of rounding is counted for (`sizes --waste`, `waste`, `top -t waste_space`). */
export function allocatorsOption(description = `comma-separated allocators whose size classes to compare (${ALLOCATOR_NAMES.join(', ')}; default: the Linux four, or scudo and bionic-jemalloc for Android inputs)`): Option {
  return new Option('--allocators <list>', description).argParser(allocatorList('--allocators'));
}

/** The options of the loading pipeline that reading a trace uses (`replay`: detection, limits, perf probe names; nothing is symbolized). */
export function traceInputOptions(): Option[] {
  const kept = new Set(['--input-format', '--lenient', '--max-string-bytes', '--max-decompressed-bytes', '--size-arg', '--alloc-event', '--free-event']);
  return inputOptions().filter((o) => kept.has(o.long!));
}

/** Options of the commands that run allocators (`replay`, `trial`). */
export interface AllocatorOptions {
  allocators?: string;
  preload: string[];
  env: string[];
  runs?: number;
}

/** `--allocators`, `--preload`, `--env`, `--runs`: which allocators run, how, and how often (`runs` is the default of `--runs`). */
export function allocatorOptions(runs: number): Option[] {
  return [
    new Option('--allocators <list>', 'allocators to run, in order, comma-separated: glibc, jemalloc, tcmalloc, mimalloc, or a name given to --preload (default glibc,jemalloc,tcmalloc,mimalloc)'),
    new Option('--preload <name=lib>', 'add allocator NAME, preloading LIB (a path or a soname); with a known name, use LIB instead of its Debian build (repeatable)').argParser(collect).default([], 'none'),
    new Option('--env <[name:]var=value>', "set an environment variable in one allocator's runs (NAME:VAR=VALUE), or in every run (VAR=VALUE) (repeatable)").argParser(collect).default([], 'none'),
    countOption('--runs <n>', `runs per allocator, in the order A B C A B C …; the figures are medians, with their range (default ${runs})`),
  ];
}

/** The store's options (`--db`, the selection, and what some commands add): see store-access.ts. */
export interface StoreOptions {
  db?: string;
  where: Record<string, string>;
  from?: number;
  to?: number;
  lockTimeout?: number;
  /** growth: one series per value of this label. */
  byLabel?: string;
  /** growth: one point per time bucket (ms). */
  bucket?: number;
  /** diff: the base selection's labels. */
  baseWhere?: Record<string, string>;
}

/** A parser of `KEY=VALUE` pairs collected into one object (`--where`, `--label`), a usage error naming the flag when one is not a pair, or a key is given twice. */
export function labelPairs(flag: string) {
  return (value: string, previous: Record<string, string> = {}): Record<string, string> => {
    const at = value.indexOf('=');
    const key = value.slice(0, Math.max(at, 0));
    if (at <= 0 || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      throw new UsageError(`${flag} expects KEY=VALUE (KEY: letters, digits, _ . -, starting with a letter or _), got "${value}"`);
    }
    // Every pair must hold: the same label twice would select nothing.
    if (key in previous) throw new UsageError(`${flag} ${key} given twice: every pair must hold, so a label takes one value`);
    return { ...previous, [key]: value.slice(at + 1) };
  };
}

/** A parser of times (ISO 8601: `2026-11-02`, `2026-11-02T14:00:00Z`) into ms since the epoch, naming the flag when one is not. */
export function timeOption(flags: string, description: string): Option {
  const long = /--[\w-]+/.exec(flags)?.[0] ?? flags;
  return new Option(flags, description).argParser((value: string) => {
    const ms = /^\d{4}-\d\d-\d\d/.test(value) ? Date.parse(value) : NaN;
    if (!Number.isFinite(ms)) throw new UsageError(`${long} expects a time (ISO 8601, e.g. 2026-11-02T14:00:00Z), got "${value}"`);
    return ms;
  });
}

/** A parser of lengths of time (`30m`, `1h`, `1d`) into ms, naming the flag when one is not. */
export function durationOption(flags: string, description: string): Option {
  const long = /--[\w-]+/.exec(flags)?.[0] ?? flags;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return new Option(flags, description).argParser((value: string) => {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
    if (!m || Number(m[1]) === 0) throw new UsageError(`${long} expects a length of time like 30m, 1h or 1d, got "${value}"`);
    return Number(m[1]) * units[m[2]];
  });
}

/** `--db <db>`: the store (a DuckDB file or `clickhouse://…`; `$HEAPSCOPE_DB` when not given). */
export function dbOption(description: string): Option {
  return new Option('--db <db>', description);
}

/** `--lock-timeout <s>`: how long to wait for another process writing a DuckDB store. */
export function lockTimeoutOption(): Option {
  return countOption('--lock-timeout <s>', 'DuckDB: seconds to wait while another process writes the store (default 60)');
}

/** `--label KEY=VALUE` (repeatable): labels of what `ingest` writes. */
export function ingestLabelOption(): Option {
  return new Option('--label <key=value>', 'a label of every ingested profile, e.g. host=web-1 (repeatable)').argParser(labelPairs('--label')).default({}, 'none');
}

/**
 * The options that make an analysis read the store instead of files:
 * `--db`, the selection (`--where`, `--from`, `--to`) and `--lock-timeout`;
 * `extra` adds a command's own (`--by-label`, `--bucket`, `--base-where`).
 *
 * `--by-label`, not `--by`: `--by` already groups the rows of every
 * ranked report (function, stack, module, file, thread), so the label that
 * splits a selection into series gets a name of its own.
 */
export function storeOptions(extra: { byLabel?: boolean; bucket?: boolean; baseWhere?: boolean } = {}): Option[] {
  const options = [
    dbOption('read the profiles from this store instead of input files: a DuckDB file or clickhouse://HOST:PORT/DATABASE (also $HEAPSCOPE_DB, when no input is given)'),
    new Option('--where <key=value>', 'with --db: profiles with this label (repeatable; every pair must hold)').argParser(labelPairs('--where')).default({}, 'every profile'),
  ];
  if (extra.baseWhere) options.push(new Option('--base-where <key=value>', 'with --db: the base profiles, by label (repeatable); --where selects the others').argParser(labelPairs('--base-where')));
  options.push(
    timeOption('--from <time>', 'with --db: profiles at or after this time (ISO 8601)'),
    timeOption('--to <time>', 'with --db: profiles before this time (ISO 8601)'),
  );
  if (extra.byLabel) options.push(new Option('--by-label <label>', 'with --db: one growth series per value of this label (e.g. host)'));
  if (extra.bucket) options.push(durationOption('--bucket <length>', 'with --db: one point per time bucket (30m, 1h, 1d), its dumps summed, instead of one per dump'));
  options.push(lockTimeoutOption());
  return options;
}

/** The loading pipeline's options that ingest applies (it reads heap snapshots only: no trace or perf options). */
export function ingestInputOptions(): Option[] {
  const applied = new Set(['--input-format', '--symbols', '--no-symbolize', '--no-symbol-cache', '--lenient', '--max-stacks', '--jobs']);
  return inputOptions().filter((o) => applied.has(o.long!));
}

/** `--time auto|TIME`: the time of dumps that record none. */
export function ingestTimeOption(): Option {
  const time = timeOption('--time <time>', 'time of dumps that record none: auto (the file\'s modification time; for stdin, now) or ISO 8601');
  const parse = time.parseArg!;
  return time.argParser((value: string, previous: unknown) => (value === 'auto' ? 'auto' : parse(value, previous))).default('auto');
}
