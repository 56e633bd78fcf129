/**
 * Small process helpers shared by the harness, the input generators and the
 * cases' verify hooks.  Node built-ins only.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (the parent of bench/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Repository-relative path of the heapscope CLI entry point (built by `pnpm build`). */
export const HEAPSCOPE_BIN = 'packages/cli/dist/heapscope.mjs';

/**
 * The executable to spawn for argv[0]: `node` means the Node running the
 * harness (so every case measures the same Node), anything else is spawned
 * as written (PATH lookup by the OS).
 */
export function executable(argv0) {
  return argv0 === 'node' ? process.execPath : argv0;
}

/** Absolute path of a command found on PATH (or the path itself if it has a slash), or null. */
export function which(name) {
  if (name.includes('/')) {
    const p = path.resolve(ROOT, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      return null;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Quotes one argument for display in a POSIX shell command line. */
export function shellQuote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${String(arg).replace(/'/g, `'\\''`)}'`;
}

/** An argv as a copy-pasteable shell command line. */
export function commandLine(argv, env) {
  const prefix = env ? Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)} `).join('') : '';
  return prefix + argv.map(shellQuote).join(' ');
}

/**
 * Runs argv to completion (cwd: repository root unless given) and returns
 * { stdout, stderr, status }.  An exit status not in `statuses` (default:
 * only 0) or a signal rejects with an error that names the command and
 * quotes the end of its stderr.
 */
export function run(argv, { cwd = ROOT, env, input, statuses = [0] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(executable(argv[0]), argv.slice(1), {
      cwd,
      env: env ? { ...process.env, ...env } : process.env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', (e) => reject(new Error(`cannot run ${commandLine(argv)}: ${e.message}`)));
    if (input !== undefined) child.stdin.end(input);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== null && statuses.includes(code)) resolve({ stdout, stderr, status: code });
      else {
        const why = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        reject(new Error(`${commandLine(argv, env)} ${why}${tail(stderr)}`));
      }
    });
  });
}

/** The last lines of a command's stderr, indented, for error messages. */
export function tail(text, lines = 15) {
  const rows = text.trimEnd().split('\n').filter((l) => l !== '');
  if (rows.length === 0) return '';
  return `; end of its stderr:\n${rows.slice(-lines).map((l) => `    ${l}`).join('\n')}`;
}

/**
 * The line of a version command's output that holds a version number (the
 * first non-empty line if none does), or a note saying why there is none.
 */
export async function versionLine(argv) {
  try {
    const { stdout, stderr } = await run(argv);
    const lines = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    return lines.find((l) => /\d+\.\d+/.test(l)) ?? lines[0] ?? '(no output)';
  } catch (error) {
    // Some tools (GNU time) exit non-zero on --version; keep what they printed.
    const m = /end of its stderr:\n\s*(.*)/.exec(error.message);
    return m ? m[1].trim() : `(unavailable: ${error.message.split('\n')[0]})`;
  }
}
