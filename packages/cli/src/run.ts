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
import { loadProfiles, mixedInputWarnings, newSymbolizer, type LoadedInput } from '@heapscope/analyzer';
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

  /** An input's warnings, each distinct message once with its count, printed and kept for JSON (`load` does this for every input it loads). */
  warnInput(input: LoadedInput): void {
    const merged = new WarningCollector();
    merged.addAll(input.profile.meta.warnings);
    for (const w of merged.list()) {
      const line = formatWarning(w);
      this.found.push(line);
      this.print(line);
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
   * Inputs through the loading pipeline (`loadProfiles`: read, parse or
   * accumulate, and unless `--no-symbolize` symbolize), with a progress line
   * on a terminal; their warnings are printed as each input is done.
   */
  async load(paths: readonly string[], extra: LoadExtra = {}): Promise<LoadedInput[]> {
    if (paths.length === 0) throw new UsageError('no input given');
    if (paths.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) can be given only once');
    const o = this.options as unknown as InputOptions;
    // The progress line draws with its own erase sequence: it writes past the escaping of stderr, and escapes the name itself.
    const progress = new Progress(rawSink(this.io.stderr), this.io.stderr.isTTY === true && !this.json);
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
        stdin: this.io.stdin,
        windows: extra.windows,
        // Importer-specific options (perf script).
        sizeArg: o.sizeArg,
        allocEvent: regexOption('--alloc-event', o.allocEvent),
        freeEvent: regexOption('--free-event', o.freeEvent),
        symbolize: o.symbolize,
        symbols: o.symbols,
        symbolizer: o.symbolize ? this.symbolizer() : undefined,
        shortNames: o.shortNames,
      });
    } finally {
      progress.done();
    }
    for (const input of loaded) this.warnInput(input);
    return loaded;
  }
}
