/**
 * heapscope's command line: `main(argv, io)` parses arguments, runs one
 * command and returns the exit code — 0 success; 1 bad input or runtime
 * failure (one line `heapscope: FILE:LINE: message`); 2 usage error; 3 a
 * `--fail-on-…` threshold was crossed.
 */
import { Command, CommanderError } from 'commander';
import { ParseError } from '@heapscope/parser';
import { NonFiniteValueError, SampleTypeError } from '@heapscope/analyzer';
import { RunFailure, ThresholdError, UsageError, type CliIo } from './io.js';
import { OutputError } from './output-file.js';
import { TerminalSafeSink } from './terminal-text.js';
import { COMMANDS } from './commands/index.js';
import { registerCommand } from './runner.js';
import { VERSION } from './version.js';

export { VERSION };

/** Builds the commander program bound to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('heapscope')
    .description('Analyze native heap profiles: jemalloc, gperftools/tcmalloc, pprof, perf malloc probes, Android malloc_debug — and allocator statistics.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`heapscope: ${s.replace(/^error: /, '')}`),
    })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `
Examples:
  $ heapscope info dump.heap
  $ heapscope top -n 10 jeprof.1234.0.f.heap

Run "heapscope <command> --help" for a command's options.`,
    );
  for (const spec of COMMANDS) registerCommand(program, spec, io);
  return program;
}

/**
 * Runs the CLI; resolves to the exit code. Never throws. What it writes to
 * stderr has control characters escaped (names from the inputs reach it in
 * warnings and errors).
 */
export async function main(argv: readonly string[], outerIo: CliIo): Promise<number> {
  const io: CliIo = { ...outerIo, stderr: new TerminalSafeSink(outerIo.stderr) };
  const debug = argv.includes('--debug');
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error, io, debug);
  }
}

function reportError(error: unknown, io: CliIo, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Help and version "errors" are normal exits; commander already printed.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    return 2;
  }
  if (error instanceof OutputError || error instanceof NonFiniteValueError || error instanceof RunFailure) {
    io.stderr.write(`heapscope: ${error.message}\n`);
    if (debug) io.stderr.write(`${error.stack}\n`);
    return 1;
  }
  // The store's errors (unreachable, not a store, locked, a failed query) are one line naming the store.
  // By name: the store's module, and DuckDB with it, is loaded only by the runs that use a store.
  if (error instanceof Error && error.name === 'StoreError') {
    io.stderr.write(`heapscope: ${error.message}\n`);
    if (debug) io.stderr.write(`${error.stack}\n`);
    return 1;
  }
  if (error instanceof ParseError) {
    io.stderr.write(`heapscope: ${error.message}\n`);
    if (debug) io.stderr.write(`${error.stack}\n`);
    return 1;
  }
  if (error instanceof UsageError || error instanceof SampleTypeError) {
    io.stderr.write(`heapscope: ${error.message}\n`);
    return 2;
  }
  if (error instanceof ThresholdError) {
    io.stderr.write(`heapscope: ${error.message}\n`);
    return 3;
  }
  const e = error as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.syscall) {
    // An output file that could not be written, and the like.
    io.stderr.write(`heapscope: ${e.path ?? ''}${e.path ? ': ' : ''}${e.code === 'ENOENT' ? 'no such file or directory' : e.message}\n`);
    if (debug) io.stderr.write(`${e.stack}\n`);
    return 1;
  }
  io.stderr.write(`heapscope: internal error: ${(error as Error)?.message ?? String(error)}\n`);
  if (debug) io.stderr.write(`${(error as Error)?.stack}\n`);
  else io.stderr.write('heapscope: (run again with --debug for a stack trace)\n');
  return 1;
}
