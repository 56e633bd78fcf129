/** Runs the CLI in process and captures what it wrote. */
import { Readable } from 'node:stream';
import { main } from '@heapscope/cli';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `heapscope ARGS` in process. `tty` makes standard output a terminal
 * (of `columns` characters when given), as a person at a shell has it.
 */
export async function runCli(args: string[], options: { stdin?: Uint8Array | string; tty?: boolean; columns?: number } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const decoder = new TextDecoder();
  const code = await main(args, {
    stdout: { write: (c) => (stdout += typeof c === 'string' ? c : decoder.decode(c)), isTTY: options.tty, columns: options.columns },
    stderr: { write: (c) => (stderr += typeof c === 'string' ? c : decoder.decode(c)) },
    stdin: options.stdin === undefined ? Readable.from([]) : Readable.from([Buffer.from(options.stdin)]),
  });
  return { code, stdout, stderr };
}
