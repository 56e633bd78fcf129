/**
 * The real `heapscope` executable (the bundle `pnpm build` writes) as a
 * process: a reader that stops early, Ctrl-C, and the progress line.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Progress } from '../src/progress.js';
import { fixtureFile, zstdSync } from '@heapscope/testkit/inputs';
import { ZSTD_THREAD_MIN_BYTES } from '@heapscope/parser';

const BIN = fileURLToPath(new URL('../dist/heapscope.mjs', import.meta.url));
const built = existsSync(BIN);
if (!built) console.warn(`[heapscope tests] ${BIN} is missing (run pnpm build): process tests are skipped`);

function run(args: string[], options: { closeStdoutAfter?: number; signalAfterMs?: number } = {}) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => {
      seen += d.length;
      if (options.closeStdoutAfter !== undefined && seen >= options.closeStdoutAfter) child.stdout.destroy();
    });
    if (options.signalAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), options.signalAfterMs);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe.skipIf(!built)('the heapscope process', () => {
  const dump = fixtureFile('jemalloc/all', /\.f\.heap$/);

  it('loads the store (and DuckDB) only for a run that uses it', async () => {
    // A preload that records every module the program requires: the store is loaded lazily (store-access.ts),
    // so that a run over files does not pay for DuckDB's native module at start-up.
    const dir = mkdtempSync(join(tmpdir(), 'hs-lazy-'));
    const hook = join(dir, 'hook.cjs');
    writeFileSync(hook, `const M = require('node:module'); const fs = require('node:fs'); const load = M._load;
      M._load = function (request, ...rest) { if (/duckdb|@heapscope\\/store/.test(request)) fs.appendFileSync(process.env.HS_LOADED, request + '\\n'); return load.call(this, request, ...rest); };`);
    const loaded = async (args: string[]) => {
      const log = join(dir, `loaded-${args[0]}.txt`);
      writeFileSync(log, '');
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['-r', hook, BIN, ...args], { stdio: 'ignore', env: { ...process.env, HS_LOADED: log } });
        child.on('close', resolve);
      });
      expect(code).toBe(0);
      return readFileSync(log, 'utf8');
    };
    expect(await loaded(['--version'])).toBe('');
    expect(await loaded(['top', '--no-symbolize', dump])).toBe('');
    expect(await loaded(['ingest', '--no-symbolize', '--db', join(dir, 'x.duckdb'), dump])).toMatch(/duckdb/);
  });

  it('loads the program from the code cache the build wrote (V8 accepts it)', async () => {
    // In a fresh Node, as the executable runs: V8 checks the cache against its version and flags.
    const probe = `import { programScript } from ${JSON.stringify(new URL('../dist/program-script.js', import.meta.url).href)};
      const p = programScript(${JSON.stringify(BIN.replace(/\.mjs$/, '.cjs'))});
      console.log(JSON.stringify({ hadCache: p.hadCache, rejected: p.script.cachedDataRejected }));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', probe], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((resolve) => child.on('close', resolve));
    expect(JSON.parse(out)).toEqual({ hadCache: true, rejected: false });
  });

  it('exits quietly when the reader closes the pipe early', async () => {
    const r = await run(['info', '--no-symbolize', dump, dump, dump], { closeStdoutAfter: 1 });
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.code).toBe(0);
  });

  it('a zstd recording decompressed on a worker thread: a bad line or an unknown format ends the process at once, with the line', async () => {
    // Random strings make the recording compress poorly: it passes the size from which the worker decompresses.
    const dir = mkdtempSync(join(tmpdir(), 'hs-zstd-'));
    // Seeded, so every run writes the same files: unseeded random text is, now and then, sniffed as a pprof message.
    let seed = 0x2545f491;
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const a = seed;
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (a.toString(36) + seed.toString(36)).slice(1);
    };
    const strings = Array.from({ length: 120_000 }, () => `s ${random()}${random()}${random()}`);
    const lines = ['v 10400 2', ...strings, 'i 1 1', 't 1 0', 'a 10 1', ...Array.from({ length: 1000 }, (_, i) => (i % 2 ? '- 0' : '+ 0')), '+ zz', '+ 0'];
    const bad = join(dir, 'bad.zst');
    writeFileSync(bad, zstdSync(new TextEncoder().encode(lines.join('\n') + '\n'), '--no-check'));
    const unknown = join(dir, 'unknown.zst');
    writeFileSync(unknown, zstdSync(new TextEncoder().encode(strings.map((l) => l.slice(2)).join('\n') + '\n')));
    for (const file of [bad, unknown]) expect(readFileSync(file).length).toBeGreaterThanOrEqual(ZSTD_THREAD_MIN_BYTES);
    const r = await run(['info', '--no-symbolize', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`heapscope: ${bad}:${lines.length - 1}: expected "+ <allocation info>" or "+ <size> <trace> <pointer>": "+ zz"\n`);
    const u = await run(['info', '--no-symbolize', unknown]);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/^heapscope: .*unknown\.zst:1: unrecognized input format/);
  });

  it('Ctrl-C leaves no output file and no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapscope-sigint-'));
    // A large enough input that the run is still going when the signal comes.
    const big = join(dir, 'big.heap');
    const text = readFileSync(dump, 'utf8');
    const body = text.slice(text.indexOf('\n@') + 1, text.indexOf('\nMAPPED_LIBRARIES'));
    writeFileSync(big, text.slice(0, text.indexOf('\n@') + 1) + `${body}\n`.repeat(30000));
    const out = join(dir, 'out.json');
    const r = await run(['top', '--no-symbolize', '--format', 'json', '-o', out, big], { signalAfterMs: 300 });
    expect(r.code === 130 || r.signal === 'SIGINT').toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['big.heap']);
  });
});

describe('progress line', () => {
  it('appears on a terminal only after a second, and is erased at the end', () => {
    let written = '';
    const sink = { write: (s: string | Uint8Array) => (written += String(s)), isTTY: true };
    const progress = new Progress(sink, true);
    const now = Date.now;
    let t = 1_000_000;
    Date.now = () => t;
    try {
      const report = progress.reporter('big.heap')!;
      report(1 << 20, 10 << 20);
      expect(written).toBe(''); // under a second: nothing
      t += 1500;
      report(5 << 20, 10 << 20);
      expect(written).toMatch(/heapscope: reading big\.heap: 5 MiB of 10 MiB \(50%\)$/);
      progress.done();
      expect(written.endsWith('\r\u001b[2K')).toBe(true);
    } finally {
      Date.now = now;
    }
    expect(new Progress(sink, false).reporter('x')).toBeUndefined();
  });

  it('counts inputs done (ingest) with the same delay, in the singular for one', () => {
    let written = '';
    const sink = { write: (s: string | Uint8Array) => (written += String(s)), isTTY: true };
    const now = Date.now;
    let t = 1_000_000;
    Date.now = () => t;
    try {
      const progress = new Progress(sink, true);
      const count = progress.counter('ingested', 'dump')!;
      count(1, 1000);
      expect(written).toBe('');
      t += 1500;
      count(120, 1000);
      expect(written).toMatch(/\r\u001b\[2Kheapscope: ingested 120 of 1,000 dumps \(12%\)$/);
      t += 100;
      count(130, 1000); // within the redraw interval: not drawn
      expect(written).not.toMatch(/130 of/);
      const one = new Progress(sink, true);
      const single = one.counter('ingested', 'dump')!;
      t += 1500;
      single(0, 1);
      expect(written).toMatch(/ingested 0 of 1 dump \(0%\)$/);
      one.done();
      expect(written.endsWith('\r\u001b[2K')).toBe(true);
    } finally {
      Date.now = now;
    }
    expect(new Progress(sink, false).counter('ingested', 'dump')).toBeUndefined();
  });
});
