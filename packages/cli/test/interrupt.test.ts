/**
 * Ctrl-C on the real executable: at several points of a long flamegraph
 * render, at the moment the output's temporary file appears, and while the
 * main thread is stuck in a loop that never returns. Every time the process
 * ends, leaves no temporary file, and leaves an existing output either as it
 * was or replaced whole; a busy or stuck main thread does not delay it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFile } from '@heapscope/testkit/inputs';

const BIN = fileURLToPath(new URL('../dist/heapscope.mjs', import.meta.url));
const built = existsSync(BIN);
if (!built) console.warn(`[heapscope tests] ${BIN} is missing (run pnpm build): interrupt tests are skipped`);

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-interrupt-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A jemalloc dump with `copies` × the fixture's stacks, every copy at other
 * addresses: a large call tree, so that the flamegraph takes a while to
 * draw after the dump is read.
 */
function bigDump(copies: number): string {
  const text = readFileSync(fixtureFile('jemalloc/all', /\.f\.heap$/), 'utf8');
  const head = text.slice(0, text.indexOf('\n@') + 1);
  const body = text.slice(text.indexOf('\n@') + 1, text.indexOf('\nMAPPED_LIBRARIES') + 1);
  const maps = text.slice(text.indexOf('\nMAPPED_LIBRARIES') + 1);
  const parts = [head];
  for (let i = 0; i < copies; i++) parts.push(body.replace(/0x[0-9a-f]+/g, (a) => `0x${(BigInt(a) + BigInt(i * 16)).toString(16)}`));
  parts.push(maps);
  const path = join(scratch, 'big.heap');
  writeFileSync(path, parts.join(''));
  return path;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Milliseconds from the signal to the end (undefined when none was sent). */
  afterSignalMs?: number;
}

function start(args: string[], nodeArgs: string[] = []): { child: ChildProcess; ended: Promise<Ended>; signalled: () => void } {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let signalAt: number | undefined;
  child.stderr!.on('data', (d) => (stderr += d));
  const ended = new Promise<Ended>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr, afterSignalMs: signalAt === undefined ? undefined : Date.now() - signalAt })),
  );
  return { child, ended, signalled: () => (signalAt = Date.now()) };
}

/** Whether the run ended because of Ctrl-C (killed by it, or exit code 130 from the cleanup handler). */
const interrupted = (r: Ended) => r.signal === 'SIGINT' || r.code === 130;

describe.skipIf(!built)('Ctrl-C on the executable', () => {
  let input: string;
  let whole: string;
  let fullRunMs: number;

  beforeAll(async () => {
    input = bigDump(3000);
    const out = join(scratch, 'whole.html');
    const started = Date.now();
    const run = start(['flamegraph', '--no-symbolize', '-o', out, input]);
    const r = await run.ended;
    fullRunMs = Date.now() - started;
    expect(r.code, r.stderr).toBe(0);
    whole = readFileSync(out, 'utf8');
    expect(whole.length).toBeGreaterThan(1_000_000);
  }, 60_000);

  it('at several points of a long render: no temporary file, the old output untouched or replaced whole', async () => {
    for (const share of [0.15, 0.4, 0.6, 0.85]) {
      const dir = join(scratch, `at-${share}`);
      mkdirSync(dir);
      const out = join(dir, 'out.html');
      writeFileSync(out, 'old\n');
      const run = start(['flamegraph', '--no-symbolize', '-o', out, input]);
      await new Promise((resolve) => setTimeout(resolve, share * fullRunMs));
      run.signalled();
      run.child.kill('SIGINT');
      const r = await run.ended;
      const what = `Ctrl-C at ${Math.round(share * 100)}% of the run`;
      expect(interrupted(r) || r.code === 0, `${what}: ${JSON.stringify(r)}`).toBe(true);
      expect(readdirSync(dir), what).toEqual(['out.html']);
      const now = readFileSync(out, 'utf8');
      if (interrupted(r)) expect(now === 'old\n' || now === whole, what).toBe(true);
      else expect(now, what).toBe(whole);
      expect(r.stderr, what).not.toMatch(/Error|\n\s+at /);
    }
  }, 60_000);

  it('the moment the temporary file appears: it is removed, the old output stays', async () => {
    const dir = join(scratch, 'at-temp');
    mkdirSync(dir);
    const out = join(dir, 'out.html');
    writeFileSync(out, 'old\n');
    const run = start(['flamegraph', '--no-symbolize', '-o', out, input]);
    let sawTemp = false;
    const watcher = watch(dir, (_, name) => {
      if (!sawTemp && name?.endsWith('.tmp')) {
        sawTemp = true;
        run.signalled();
        run.child.kill('SIGINT');
      }
    });
    const r = await run.ended;
    watcher.close();
    expect(sawTemp).toBe(true);
    expect(interrupted(r) || r.code === 0, JSON.stringify(r)).toBe(true);
    expect(readdirSync(dir)).toEqual(['out.html']);
    const now = readFileSync(out, 'utf8');
    expect(now === 'old\n' || now === whole).toBe(true);
  }, 30_000);

  it('a main thread stuck in a loop that never returns: Ctrl-C ends the process at once', async () => {
    // Loaded before the program: once the program has started reading its
    // input, the main thread spins for ever, as a hung writer would. A signal
    // handler that needs the event loop would never run.
    const stuck = join(scratch, 'stuck.cjs');
    writeFileSync(stuck, "setTimeout(() => { process.stderr.write('spinning\\n'); for (;;); }, 50);\n");
    const out = join(scratch, 'stuck.html');
    const run = start(['flamegraph', '--no-symbolize', '-o', out, input], ['--require', stuck]);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (run.child.exitCode !== null || run.child.signalCode !== null) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
      run.child.stderr!.on('data', (d) => {
        if (String(d).includes('spinning')) {
          clearInterval(poll);
          resolve();
        }
      });
    });
    // Spinning now; give it a moment to be well inside the loop.
    await new Promise((resolve) => setTimeout(resolve, 200));
    run.signalled();
    run.child.kill('SIGINT');
    const killer = setTimeout(() => run.child.kill('SIGKILL'), 10_000);
    const r = await run.ended;
    clearTimeout(killer);
    expect(r.signal, `ended ${JSON.stringify(r)}`).toBe('SIGINT');
    // "At once": far below the 10 s after which the test would kill it.
    expect(r.afterSignalMs!).toBeLessThan(5_000);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(scratch).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 30_000);
});
