/**
 * The one runner every command goes through: a table entry (command.ts)
 * becomes a commander command whose action parses the options, then runs
 * load → analyze (the entry's `analyze`, which loads through `run.load…`) →
 * render → write, the same way for every command:
 *
 * - a report is written whole to standard output or `-o FILE`: JSON with
 *   `--format json`, else its text (with numbers that are not finite
 *   refused first, control characters escaped, long rows cut on a terminal);
 *   files it writes beside the report (`diagnose --plot`) come first, and its
 *   threshold (`--fail-on-growth`) is checked last;
 * - a file (pprof, speedscope, collapsed stacks, SVG, HTML) goes to `-o FILE`
 *   (or standard output); with `--format json` standard output gets a JSON
 *   summary of what was written (path, format, bytes, profiles, totals,
 *   warnings), which needs `-o FILE`;
 * - a server (`view`) runs until Ctrl-C.
 */
import type { Command } from 'commander';
import { assertFiniteReport } from '@heapscope/analyzer';
import type { CommandSpec, FileOutputSpec, ReportOutputSpec, WrittenFile } from './command.js';
import { UsageError, type CliIo } from './io.js';
import type { CommonOptions } from './options.js';
import { writeOutputFile } from './output-file.js';
import { Run } from './run.js';
import { jsonText } from './terminal-text.js';

/** Adds `spec` to `program` as a command bound to `io`. */
export function registerCommand(program: Command, spec: CommandSpec, io: CliIo): Command {
  const cmd = program.command(spec.name).description(spec.summary);
  for (const [name, help] of spec.args) cmd.argument(name, help);
  for (const option of spec.options) cmd.addOption(option);
  cmd.addHelpText('after', spec.help);
  cmd.action(async (...values: unknown[]) => {
    // commander passes the positional arguments, then the options and the command.
    const options = values[values.length - 2] as CommonOptions;
    // An optional argument not given (`waste DUMP [STATS]`, `diff --db`'s [base] [input]) comes as undefined: it is no input.
    const args = values.slice(0, -2).flatMap((v) => (Array.isArray(v) ? (v as string[]) : v === undefined ? [] : [v as string]));
    await runCommand(spec, new Run(io, options, args, cmd));
  });
  return cmd;
}

/** Runs one command: analyze, then render and write what it produced. */
async function runCommand(spec: CommandSpec, run: Run): Promise<void> {
  const output = spec.output;
  if (output.kind === 'file' && run.json && run.output.path === undefined) {
    throw new UsageError(`--format json prints a summary of the file ${spec.name} writes: give -o FILE`);
  }
  const result = await spec.analyze(run);
  switch (output.kind) {
    case 'report':
      return writeReport(output, result, run);
    case 'file':
      return writeFile(output, result, run);
    case 'serve':
      return output.serve(result, run);
  }
}

async function writeReport(spec: ReportOutputSpec<CommonOptions, unknown>, result: unknown, run: Run): Promise<void> {
  const report = spec.json(result, run);
  // Side files first: when one cannot be written, no report is written either.
  if (spec.sideFiles) {
    assertFiniteReport(report);
    for (const side of spec.sideFiles(result, run)) await writeOutputFile(side.path, side.data);
  }
  const out = run.output;
  out.writeReport(report, run.json, () => spec.text(result, run));
  await out.close();
  spec.gate?.(result, run);
}

async function writeFile(spec: FileOutputSpec<CommonOptions, unknown>, result: unknown, run: Run): Promise<void> {
  const file: WrittenFile = spec.file(result, run);
  const out = run.output;
  out.write(file.data);
  await out.close();
  if (run.json) {
    const bytes = typeof file.data === 'string' ? Buffer.byteLength(file.data) : file.data.length;
    const summary = { path: out.path, format: file.format, bytes, profiles: file.profiles, ...(file.inputs ? { inputs: file.inputs } : {}), totals: file.totals, warnings: run.warnings };
    assertFiniteReport(summary);
    run.io.stdout.write(`${jsonText(summary, 2)}\n`);
  } else if (file.note !== undefined) {
    run.io.stderr.write(`heapscope: ${file.note}\n`);
  }
}
