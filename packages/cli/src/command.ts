/**
 * A command of the command line, as one entry of the table (commands/index.ts):
 * its name and words, its options (from the builders in options.ts), its
 * analysis and what its result becomes. The runner (runner.ts) does the
 * rest, the same way for every command: parse the options, load the inputs
 * through the pipeline (`run.load…` in the analysis), analyze, render, write,
 * and report warnings and errors.
 */
import type { Option } from 'commander';
import type { CommonOptions } from './options.js';
import type { Run } from './run.js';

/** What a command writes: a report (text, or one JSON document), a file (pprof, SVG, …), or a server. */
export type CommandOutput<O extends CommonOptions, R> = ReportOutputSpec<O, R> | FileOutputSpec<O, R> | ServeOutputSpec<O, R>;

/** A report: text for people, or with `--format json` one JSON document. */
export interface ReportOutputSpec<O extends CommonOptions, R> {
  kind: 'report';
  /** The JSON document (the contract of docs/design.md#json); it is also what the text is checked against for numbers that are not finite. */
  json(result: R, run: Run<O>): object;
  /** The text renderer. */
  text(result: R, run: Run<O>): string;
  /** Files written before the report (when one cannot be written, no report is either): `diagnose --plot`. */
  sideFiles?(result: R, run: Run<O>): { path: string; data: string | Uint8Array }[];
  /** Checked once the report is written: a `--fail-on-…` threshold (exit 3). */
  gate?(result: R, run: Run<O>): void;
}

/** A file written to `-o FILE` (or standard output): pprof, speedscope, collapsed stacks, SVG, HTML. */
export interface FileOutputSpec<O extends CommonOptions, R> {
  kind: 'file';
  file(result: R, run: Run<O>): WrittenFile;
}

/** What a file-writing command wrote, and what `--format json` says about it. */
export interface WrittenFile {
  /** What the file is: `pprof`, `speedscope`, `collapsed`, `svg`, `html`. */
  format: string;
  data: string | Uint8Array;
  /** How many input profiles went into it. */
  profiles: number;
  /** Totals of what the file holds, per sample type. */
  totals: Record<string, number>;
  /** The inputs it was made from, when the JSON summary lists them (`report`'s). */
  inputs?: readonly string[];
  /** A line for stderr in text mode once the file is written (`merge`'s). */
  note?: string;
}

/** A server that runs until Ctrl-C (`view`). */
export interface ServeOutputSpec<O extends CommonOptions, R> {
  kind: 'serve';
  serve(result: R, run: Run<O>): Promise<void>;
}

/** One entry of the command table. */
export interface CommandSpec<O extends CommonOptions = CommonOptions, R = unknown> {
  name: string;
  /** One line, for the list of commands. */
  summary: string;
  /** Positional arguments as commander spells them (`<input...>`, `<base>`), with their help. */
  args: readonly (readonly [string, string])[];
  /** Options in `--help` order: the command's own, then the shared ones, all from options.ts's builders. */
  options: readonly Option[];
  /** `--help` text after the options: more words on what it does, and examples. */
  help: string;
  /** Loads the inputs (through `run`) and analyzes them. */
  analyze(run: Run<O>): Promise<R>;
  /** What the result becomes. */
  output: CommandOutput<O, R>;
}

/**
 * Declares a command (a typed identity: `O` and `R` are inferred once, and
 * the table holds the entries as `CommandSpec`).
 */
export function command<O extends CommonOptions, R>(spec: CommandSpec<O, R>): CommandSpec {
  return spec as unknown as CommandSpec;
}
