/**
 * `-o` respects what is at the path, and standard output never loses bytes
 * without a word: a symbolic link is followed (its target replaced, the link
 * kept), a file keeps its mode, a FIFO's reader gets everything, a device is
 * written in place (`/dev/null` stays a device), `-o -` is stdout, and every
 * write error names the output as given — never the temporary file — with
 * exit code 1 and one line. The stdout cases run the real executable: a full
 * device (`> /dev/full`) and a short write on a file that can take no more
 * (a file size limit, as a full file system gives).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { fixtureFile } from '@heapscope/testkit/inputs';

const BIN = fileURLToPath(new URL('../dist/heapscope.mjs', import.meta.url));
const built = existsSync(BIN);
if (!built) console.warn(`[heapscope tests] ${BIN} is missing (run pnpm build): the process cases of output-paths.test.ts are skipped`);
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('[heapscope tests] not root: the -o /dev/null case of output-paths.test.ts is skipped');

const DUMP = fixtureFile('jemalloc/all', /\.f\.heap$/);
const TOP = ['top', '--no-symbolize', '--format', 'json'];
const scratch = mkdtempSync(join(tmpdir(), 'heapscope-output-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** A fresh directory for one case. */
function dir(): string {
  const d = join(scratch, `case-${++counter}`);
  mkdirSync(d);
  return d;
}

/** What `top --format json` of the dump prints on stdout. */
async function expectedReport(): Promise<string> {
  const r = await runCli([...TOP, DUMP]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** The errors a run wrote: one line each, never a stack trace or a temporary file's name. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr).toMatch(pattern);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\.tmp|\n\s+at |Error:/);
}

describe('-o follows what is at the path', () => {
  it('replaces the target of a symbolic link and keeps the link (also a link to a link, and a dangling one)', async () => {
    const d = dir();
    writeFileSync(join(d, 'target.json'), 'old\n');
    symlinkSync('target.json', join(d, 'link.json'));
    symlinkSync('link.json', join(d, 'link2.json'));
    symlinkSync('later.json', join(d, 'dangling.json'));
    for (const name of ['link.json', 'link2.json', 'dangling.json']) {
      const r = await runCli([...TOP, '-o', join(d, name), DUMP]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(lstatSync(join(d, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(d, 'link2.json'))).toBe('link.json');
    expect(readlinkSync(join(d, 'dangling.json'))).toBe('later.json');
    const report = await expectedReport();
    expect(readFileSync(join(d, 'target.json'), 'utf8')).toBe(report);
    expect(readFileSync(join(d, 'later.json'), 'utf8')).toBe(report);
    expect(readdirSync(d).sort()).toEqual(['dangling.json', 'later.json', 'link.json', 'link2.json', 'target.json']);
  });

  it('keeps the mode of the file it replaces (a mode-600 file stays 600, a 640 one 640)', async () => {
    const d = dir();
    for (const mode of [0o600, 0o640]) {
      const out = join(d, `out-${mode.toString(8)}.json`);
      writeFileSync(out, 'old\n');
      chmodSync(out, mode);
      const r = await runCli([...TOP, '-o', out, DUMP]);
      expect(r.code, r.stderr).toBe(0);
      expect(statSync(out).mode & 0o777).toBe(mode);
      expect(readFileSync(out, 'utf8')).toBe(await expectedReport());
    }
    // Through a link, the target's mode.
    const target = join(d, 'secret.json');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o600);
    symlinkSync(target, join(d, 'to-secret.json'));
    expect((await runCli([...TOP, '-o', join(d, 'to-secret.json'), DUMP])).code).toBe(0);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('writes to a FIFO in place: its reader gets the whole report', async () => {
    const d = dir();
    const fifo = join(d, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let read = '';
    reader.stdout.on('data', (c) => (read += c));
    const done = new Promise((resolve) => reader.on('close', resolve));
    const r = await runCli([...TOP, '-o', fifo, DUMP]);
    expect(r.code, r.stderr).toBe(0);
    await done;
    expect(read).toBe(await expectedReport());
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(d)).toEqual(['pipe']);
  });

  it.skipIf(!isRoot)('writes to /dev/null in place as root: it stays a character device', async () => {
    const before = statSync('/dev/null');
    expect(before.isCharacterDevice()).toBe(true);
    const r = await runCli([...TOP, '-o', '/dev/null', DUMP]);
    expect(r.code, r.stderr).toBe(0);
    const after = statSync('/dev/null');
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.rdev).toBe(before.rdev);
    expect(after.mode).toBe(before.mode);
    expect(readdirSync('/dev').filter((f) => f.startsWith('.null.'))).toEqual([]);
  });

  it('-o - writes to stdout', async () => {
    const r = await runCli([...TOP, '-o', '-', DUMP]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(await expectedReport());
    expect(existsSync('-')).toBe(false);
  });

  it('names the output as given when it cannot be written: a full device, through a link, a directory, a missing directory', async () => {
    const d = dir();
    symlinkSync('/dev/full', join(d, 'full-link'));
    const cases: [string, RegExp][] = [
      ['/dev/full', /^heapscope: \/dev\/full: no space left on device\n$/],
      [join(d, 'full-link'), /^heapscope: .*\/full-link: no space left on device\n$/],
      [d, /^heapscope: .*case-\d+: is a directory\n$/],
      [join(d, 'missing', 'out.json'), /^heapscope: .*\/missing\/out\.json: no such file or directory\n$/],
    ];
    for (const [out, message] of cases) {
      const r = await runCli([...TOP, '-o', out, DUMP]);
      expect(r.code).toBe(1);
      expectOneLine(r.stderr, message);
    }
    expect(readdirSync(d)).toEqual(['full-link']);
    // diagnose --plot goes the same way.
    const stats = fixtureFile('stats/jemalloc/leak', /jemalloc-stats\.txt\.gz$/);
    const r = await runCli(['diagnose', '--plot', '/dev/full', stats]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /^heapscope: \/dev\/full: no space left on device\n$/);
  });
});

/** Runs the executable through bash (for a file size limit), with stdout going where `redirect` says. */
function runShell(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const heapscope = (args: string[]) => [process.execPath, BIN, ...args].map(quote).join(' ');

describe.skipIf(!built)('standard output and -o files that cannot take the report (the executable)', () => {
  it('> /dev/full: exit 1 and one line, no stack trace', async () => {
    const r = await runShell(`${heapscope([...TOP, DUMP])} > /dev/full`);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /^heapscope: standard output: no space left on device\n$/);
  });

  it('a short write to stdout (a file that can take only part of the report) is exit 1 and one line, not exit 0 with truncated JSON', async () => {
    const d = dir();
    const out = join(d, 'out.json');
    // `ulimit -f 1`: the file may hold 1 KiB; the report is larger, so the
    // write that crosses the limit is short and the next one fails (EFBIG),
    // as on a file system that fills up. SIGXFSZ is ignored, as Node does.
    const r = await runShell(`trap '' XFSZ; ulimit -f 1; ${heapscope([...TOP, DUMP])} > ${quote(out)}`);
    expect((await expectedReport()).length).toBeGreaterThan(1024);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /^heapscope: standard output: file too large\n$/);
    expect(statSync(out).size).toBe(1024);
  });

  it('-o FILE that cannot take the report: exit 1, the message names FILE, an existing FILE is untouched, no temporary file is left', async () => {
    const d = dir();
    const out = join(d, 'out.json');
    writeFileSync(out, 'old\n');
    const r = await runShell(`trap '' XFSZ; ulimit -f 1; ${heapscope([...TOP, '-o', out, DUMP])}`);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /^heapscope: .*\/out\.json: file too large\n$/);
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    expect(readdirSync(d)).toEqual(['out.json']);
  });

  it('standard output on a pipe still ends quietly when the reader goes away, and a report to a regular file is whole', async () => {
    const d = dir();
    const r = await runShell(`${heapscope([...TOP, DUMP])} > ${quote(join(d, 'whole.json'))}`);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(d, 'whole.json'), 'utf8')).toBe(await expectedReport());
    const head = await runShell(`${heapscope(['info', '--no-symbolize', DUMP, DUMP, DUMP])} | head -c 1`);
    expect(head.code).toBe(0);
    expect(head.stderr).toBe('');
  });
});
