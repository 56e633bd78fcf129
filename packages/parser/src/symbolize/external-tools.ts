/**
 * External symbolizers and demanglers, run as one batched process each.
 *
 * Reads the output of:
 * - GNU `addr2line -f -i -a -e BIN` (binutils; `man addr2line`): per input
 *   address, the address echoed as `0x` + hex (`-a`), then for each frame,
 *   innermost inlined frame first (`-i`), a function line (`??` when
 *   unknown) and a `FILE:LINE` line (`??:0`, `??:?` when unknown, optionally
 *   followed by ` (discriminator N)`). The echo delimits each address's
 *   output: a function name cannot start with a digit.
 * - `llvm-symbolizer --obj=BIN --output-style=JSON` (LLVM ≥ 13; `man
 *   llvm-symbolizer`): one JSON object per input line,
 *   `{"Address":"0x…","ModuleName":…,"Symbol":[{"FunctionName","FileName","Line",…}, …]}`,
 *   innermost frame first; an `"Error"` member when it could not symbolize.
 * - `c++filt` (binutils) / `llvm-cxxfilt`: one demangled line per input line.
 *
 * Names are requested mangled (no `-C` / `--no-demangle`) so that the
 * model's `systemName` keeps the linkage name; all names are then demangled
 * in one demangler process.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** The external symbolizers heapscope can drive. */
export type ExternalSymbolizerName = 'addr2line' | 'llvm-symbolizer';
/** The external demanglers heapscope can drive. */
export type DemanglerName = 'c++filt' | 'llvm-cxxfilt';
/** Every external command used for symbolization. */
export type ToolName = ExternalSymbolizerName | DemanglerName;

/** One frame as a symbolizer reports it; `name` is the raw (mangled) name. */
export interface RawFrame {
  name: string;
  /** Source file, '' when unknown. */
  file: string;
  /** Source line, 0 when unknown. */
  line: number;
}

/** Default time limit for one external process. */
export const DEFAULT_TOOL_TIMEOUT_MS = 120_000;

/** The executable file named `command` in one of `pathList`'s directories, or null. */
export async function findOnPath(command: string, pathList: string): Promise<string | null> {
  if (command.includes('/')) return (await isExecutable(command)) ? command : null;
  for (const dir of pathList.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** An external process that failed: could not start, exited non-zero, timed out or said something unexpected. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/**
 * Runs `command args`, writes `input` to its standard input and hands each
 * line of its standard output (without the newline) to `onLine`. Resolves
 * when the process exits with status 0.
 */
export function runLines(
  command: string,
  args: readonly string[],
  input: string,
  onLine: (line: string) => void,
  timeoutMs = DEFAULT_TOOL_TIMEOUT_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let partial = '';
    let stderr = '';
    let failure: Error | null = null;
    let settled = false;
    const timer = setTimeout(() => {
      // Settle now: a grandchild holding the pipes open would delay 'close'.
      failure = new ToolError(`${command}: no answer within ${timeoutMs} ms`);
      settled = true;
      child.kill('SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
      reject(failure);
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (failure) return;
      let from = 0;
      for (;;) {
        const nl = chunk.indexOf('\n', from);
        if (nl < 0) break;
        let line = partial + chunk.slice(from, nl);
        partial = '';
        if (line.endsWith('\r')) line = line.slice(0, -1);
        try {
          onLine(line);
        } catch (error) {
          failure = error instanceof Error ? error : new ToolError(String(error));
          child.kill('SIGKILL');
          return;
        }
        from = nl + 1;
      }
      partial += chunk.slice(from);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    // The process may exit before reading all of its input (a bad binary):
    // the write then fails with EPIPE, which the exit status reports better.
    child.stdin.on('error', () => {});
    child.on('error', (error) => {
      failure ??= new ToolError(`${command}: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      if (!failure && partial !== '') {
        try {
          onLine(partial);
        } catch (error) {
          failure = error instanceof Error ? error : new ToolError(String(error));
        }
      }
      if (failure) reject(failure);
      else if (code !== 0) {
        const why = signal ? `killed by ${signal}` : `exited with status ${code}`;
        const said = stderr.trim().split('\n')[0] ?? '';
        reject(new ToolError(`${command} ${why}${said ? `: ${said}` : ''}`));
      } else resolve();
    });
    child.stdin.end(input);
  });
}

function hexList(addresses: readonly number[]): string {
  let text = '';
  for (const a of addresses) text += `0x${a.toString(16)}\n`;
  return text;
}

const ADDRESS_ECHO = /^0x[0-9a-fA-F]+$/;
const FILE_LINE = /^(.*):(\d+|\?)(?: \(discriminator \d+\))?$/;

/** Drops addr2line's and llvm-symbolizer's "unknown" markers. */
function known(text: string): string {
  return text === '??' || text === '<invalid>' ? '' : text;
}

/**
 * Symbolizes `addresses` (ELF virtual addresses of `binary`) with GNU
 * addr2line. Returns one frame list per address, innermost first; an empty
 * list when addr2line knew nothing.
 */
export async function runAddr2line(
  tool: string,
  binary: string,
  addresses: readonly number[],
  timeoutMs?: number,
): Promise<RawFrame[][]> {
  const out: RawFrame[][] = [];
  let current: RawFrame[] | null = null;
  let name: string | null = null;
  await runLines(
    tool,
    ['-f', '-i', '-a', '-e', binary],
    hexList(addresses),
    (line) => {
      if (name === null && ADDRESS_ECHO.test(line)) {
        const echoed = parseInt(line.slice(2), 16);
        const expected = addresses[out.length];
        if (echoed !== expected) {
          throw new ToolError(`${tool}: answer for ${line} where 0x${(expected ?? 0).toString(16)} was expected`);
        }
        current = [];
        out.push(current);
      } else if (current === null) {
        throw new ToolError(`${tool}: unexpected output before the first address: ${line.slice(0, 80)}`);
      } else if (name === null) {
        name = line;
      } else {
        const m = FILE_LINE.exec(line);
        const file = known(m ? m[1] : line);
        const lineNumber = m && m[2] !== '?' ? Number(m[2]) : 0;
        const fn = known(name);
        if (fn !== '' || file !== '') current.push({ name: fn, file, line: lineNumber });
        name = null;
      }
    },
    timeoutMs,
  );
  if (out.length !== addresses.length) {
    throw new ToolError(`${tool}: ${out.length} answers for ${addresses.length} addresses`);
  }
  return out;
}

interface LlvmJsonFrame {
  FunctionName?: string;
  FileName?: string;
  Line?: number;
}

interface LlvmJsonAnswer {
  Address?: string;
  Symbol?: LlvmJsonFrame[];
  Error?: { Message?: string };
}

/**
 * Symbolizes `addresses` with llvm-symbolizer's JSON output. Same result
 * shape as {@link runAddr2line}.
 */
export async function runLlvmSymbolizer(
  tool: string,
  binary: string,
  addresses: readonly number[],
  timeoutMs?: number,
): Promise<RawFrame[][]> {
  const out: RawFrame[][] = [];
  let errors = 0;
  let firstError = '';
  await runLines(
    tool,
    [`--obj=${binary}`, '--output-style=JSON', '--no-demangle', '--inlines'],
    hexList(addresses),
    (line) => {
      if (line.trim() === '') return;
      let answer: LlvmJsonAnswer;
      try {
        answer = JSON.parse(line) as LlvmJsonAnswer;
      } catch {
        throw new ToolError(`${tool}: not JSON: ${line.slice(0, 80)}`);
      }
      const frames: RawFrame[] = [];
      if (answer.Error) {
        errors++;
        firstError ||= answer.Error.Message ?? 'error';
      }
      for (const f of answer.Symbol ?? []) {
        const name = known(f.FunctionName ?? '');
        const file = known(f.FileName ?? '');
        if (name !== '' || file !== '') frames.push({ name, file, line: f.Line ?? 0 });
      }
      out.push(frames);
    },
    timeoutMs,
  );
  if (out.length !== addresses.length) {
    throw new ToolError(`${tool}: ${out.length} answers for ${addresses.length} addresses`);
  }
  if (errors === addresses.length && errors > 0) throw new ToolError(`${tool}: ${firstError}`);
  return out;
}

/** True for names a C++ (Itanium ABI) or Rust (v0) demangler understands. */
export function looksMangled(name: string): boolean {
  return name.startsWith('_Z') || name.startsWith('_R');
}

/**
 * Demangles `names` with one `c++filt` / `llvm-cxxfilt` process: the i-th
 * output line is the i-th name demangled (unchanged when it is not mangled).
 */
export async function runDemangler(tool: string, names: readonly string[], timeoutMs?: number): Promise<string[]> {
  const out: string[] = [];
  if (names.length === 0) return out;
  for (const name of names) {
    if (name.includes('\n')) throw new ToolError(`cannot demangle a name with a newline`);
  }
  await runLines(tool, [], `${names.join('\n')}\n`, (line) => out.push(line), timeoutMs);
  if (out.length !== names.length) throw new ToolError(`${tool}: ${out.length} lines for ${names.length} names`);
  // Reading lines, both tools take a name to end at the first byte that is
  // not ASCII, so a UTF-8 identifier (`_Z6数据m`, C++ allows them) comes back
  // mangled; given as an argument, the whole name is demangled.
  const unread = names.flatMap((name, i) => (out[i] === name && NON_ASCII.test(name) ? [i] : []));
  for (let from = 0; from < unread.length; from += ARGUMENT_BATCH) {
    const batch = unread.slice(from, from + ARGUMENT_BATCH);
    const again: string[] = [];
    await runLines(tool, batch.map((i) => names[i]), '', (line) => again.push(line), timeoutMs);
    if (again.length !== batch.length) throw new ToolError(`${tool}: ${again.length} lines for ${batch.length} names`);
    batch.forEach((i, k) => (out[i] = again[k]));
  }
  return out;
}

const NON_ASCII = /[^\x00-\x7f]/;
/** Names per demangler run given as arguments: well within the system's limit on a command line. */
const ARGUMENT_BATCH = 256;
