/**
 * One run of one command: its parsed options, its positional arguments, the
 * loading of its inputs through the pipeline, and its warnings — what a
 * command's analysis reaches through (command.ts), the same for every
 * command.
 *
 * Warnings: each input's are printed once it is read, each distinct message
 * once per input (with its count); the run's own (inputs that differ, a
 * series that may not be one) once per distinct message. `--quiet` keeps
 * them off stderr; JSON output lists them all the same, in the order they
 * were found.
 */
import type { Command } from 'commander';
import { WarningCollector, formatWarning, type Symbolizer } from '@heapscope/parser';
import { cpuSamples, loadProfiles, mixedInputWarnings, newSymbolizer, streamProfiles, type LoadProfilesOptions, type LoadedInput, type TracePart } from '@heapscope/analyzer';
import type { MergedInputs } from '@heapscope/parser';
import { UsageError, type CliIo } from './io.js';
import { regexOption, type CommonOptions, type InputOptions } from './options.js';
import { Progress } from './progress.js';
import { ReportOutput } from './report-output.js';
import { rawSink } from './terminal-text.js';

/** What a load may also do. */
export interface LoadExtra {
  /** For one event trace: live-set snapshots at the ends of N windows (`--windows`). */
  windows?: number;
  /** Accept allocator statistics (only `diagnose` reads them). */
  allowStats?: boolean;
  /**
   * The command needs heap events (sizes, lifetimes, live bytes): an input of
   * CPU samples only is refused, with what the command needs. The words say
   * what it needs them for (`sizes needs allocation sizes`).
   */
  needsHeap?: string;
  /**
   * The parts of an event trace's accumulation the command reads besides its
   * profile, report and snapshots (default: all of them): what it leaves out
   * is not computed (`TracePart`).
   */
  parts?: readonly TracePart[];
}

/** The context of one command's run. */
export class Run<O extends CommonOptions = CommonOptions> {
  /** Warnings found so far, as JSON lists them. */
  private readonly found: string[] = [];
  private readonly printed = new Set<string>();
  private sharedSymbolizer: Symbolizer | undefined;
  private destination: ReportOutput | undefined;

  constructor(
    readonly io: CliIo,
    /** The options as parsed (and checked) by the builders. */
    readonly options: O,
    /** The positional arguments, in order (`<input...>` flattened). */
    readonly args: readonly string[],
    private readonly cmd: Command,
  ) {}

  /** `--format json`. */
  get json(): boolean {
    return this.options.format === 'json';
  }

  /** Where the command's main output goes (`-o`, or standard output). */
  get output(): ReportOutput {
    this.destination ??= new ReportOutput(this.io, this.options.output);
    return this.destination;
  }

  /** Whether the user gave the option (its long name, camel-cased as commander keys it) rather than its default. */
  given(option: string): boolean {
    return this.cmd.getOptionValueSource(option) === 'cli';
  }

  /** Every warning found so far, in order: what JSON output carries under `warnings`. */
  get warnings(): string[] {
    return [...this.found];
  }

  /** The run's own warnings: each distinct message printed once (unless `--quiet`) and kept for JSON. Returns them. */
  warn(messages: readonly string[]): string[] {
    for (const m of messages) {
      if (this.printed.has(m)) continue;
      this.printed.add(m);
      this.found.push(m);
      this.print(m);
    }
    return [...messages];
  }

  /** Warnings about inputs summed into one result (or one input that is such a sum) that were recorded differently. */
  warnMixed(inputs: MergedInputs | undefined): string[] {
    return this.warn(mixedInputWarnings(inputs));
  }

  /**
   * An input's warnings, each distinct message once with its count and where
   * it was seen (the input itself when no line), printed and kept for JSON
   * (`load` does this for every input it loads). A warning that lists items
   * names the first few on stderr, and every one in JSON.
   */
  warnInput(input: LoadedInput): void {
    const merged = new WarningCollector();
    merged.addAll(input.profile.meta.warnings);
    for (const w of merged.list()) {
      this.found.push(formatWarning(w, true));
      this.print(formatWarning(w));
    }
  }

  private print(line: string): void {
    if (this.options.quiet !== true) this.io.stderr.write(`heapscope: warning: ${line}\n`);
  }

  /** The run's one symbolizer: its caches hold across every input it loads. */
  symbolizer(): Symbolizer {
    const o = this.options as unknown as InputOptions;
    this.sharedSymbolizer ??= newSymbolizer({ symbolCache: o.symbolCache });
    return this.sharedSymbolizer;
  }

  /**
   * Inputs through the loading pipeline (`loadProfiles`: read, `--jobs` at a
   * time, parse or accumulate, and unless `--no-symbolize` symbolize), with a
   * progress line on a terminal; their warnings are printed once all are loaded.
   */
  async load(paths: readonly string[], extra: LoadExtra = {}): Promise<LoadedInput[]> {
    const progress = this.progress();
    let loaded: LoadedInput[];
    try {
      loaded = await loadProfiles(paths, this.loadOptions(paths, extra, progress));
    } finally {
      progress.done();
    }
    for (const input of loaded) this.warnInput(input);
    if (extra.needsHeap !== undefined) loaded.forEach((input, i) => refuseCpuProfile(input, paths[i], extra.needsHeap!));
    return loaded;
  }

  /**
   * Inputs through the loading pipeline one at a time, in order
   * (`streamProfiles`: `--jobs` of them read ahead on worker threads), for
   * the commands that reduce each input before the next (growth, merge): a
   * long series never holds more than `--jobs` inputs (all of them with
   * `--short-names`, chosen over every input). Each input's warnings are
   * printed as it is handed on.
   */
  async *stream(paths: readonly string[], extra: LoadExtra = {}): AsyncGenerator<LoadedInput> {
    const progress = this.progress();
    try {
      let index = 0;
      for await (const input of streamProfiles(paths, this.loadOptions(paths, extra, progress))) {
        progress.done();
        this.warnInput(input);
        if (extra.needsHeap !== undefined) refuseCpuProfile(input, paths[index], extra.needsHeap);
        index++;
        yield input;
      }
    } finally {
      progress.done();
    }
  }

  /** A progress line on stderr: drawn only on a terminal, and never with JSON output. */
  progress(): Progress {
    // The progress line draws with its own erase sequence: it writes past the escaping of stderr, and escapes the name itself.
    return new Progress(rawSink(this.io.stderr), this.io.stderr.isTTY === true && !this.json);
  }

  /** The pipeline's options from the command line's. */
  private loadOptions(paths: readonly string[], extra: LoadExtra, progress: Progress): LoadProfilesOptions {
    if (paths.length === 0) throw new UsageError('no input given');
    if (paths.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) can be given only once');
    const o = this.options as unknown as InputOptions;
    return {
      onInput: (path) => progress.reporter(path),
      onRead: (input, path, index) => {
        if (input.stats && !extra.allowStats) throw new UsageError(`${path} holds allocator statistics, not a heap profile: use heapscope diagnose`);
        if (index === paths.length - 1) progress.done();
      },
      jobs: o.jobs,
      inputFormat: o.inputFormat,
      lenient: o.lenient,
      maxStacks: o.maxStacks,
      maxSamples: o.maxSamples,
      maxLineBytes: o.maxStringBytes,
      maxDecompressedBytes: o.maxDecompressedBytes,
      keepBadFrames: o.keepBadFrames,
      stdin: this.io.stdin,
      windows: extra.windows,
      parts: extra.parts,
      // Importer-specific options (perf script).
      sizeArg: o.sizeArg,
      allocEvent: regexOption('--alloc-event', o.allocEvent),
      freeEvent: regexOption('--free-event', o.freeEvent),
      symbolize: o.symbolize,
      symbols: o.symbols,
      symbolizer: o.symbolize ? this.symbolizer() : undefined,
      shortNames: o.shortNames,
    };
  }
}

/** A usage error for an input of CPU samples given to a command that needs heap events. */
function refuseCpuProfile(input: LoadedInput, path: string, need: string): void {
  const cpu = cpuSamples(input);
  if (!cpu) return;
  const events = cpu.events.length > 0 ? ` (${cpu.events.join(', ')})` : '';
  throw new UsageError(
    `${path} holds CPU samples${events}, not heap events: ${need}. Record malloc and free probes (docs/formats.md#perf-script), or read CPU samples with top, flamegraph or convert`,
  );
}
