/**
 * `heapscope convert`: formats picked by --to or by the output name, the
 * collapsed-stack format, speedscope names and units, binary output that
 * refuses a terminal, and output written whole or not at all.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '@heapscope/cli';
import { loadSnapshot } from '@heapscope/parser';
import { runCli } from './run-cli.js';
import { validateSpeedscope } from './speedscope-schema.js';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile, fixtureFiles } from '@heapscope/testkit/inputs';
import { HAVE_GO, goEnv } from '@heapscope/testkit/reference-tools';
import { execFileSync } from 'node:child_process';

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-convert-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const JEMALLOC = fixtureFile('jemalloc/all', /\.f\.heap$/);
const GPERFTOOLS = join(FIXTURES, 'gperftools', 'workload.0005.heap');

/** Runs the CLI with a stdout that says it is a terminal. */
async function runOnTerminal(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (c) => (stdout += String(c)), isTTY: true },
    stderr: { write: (c) => (stderr += String(c)) },
    stdin: Readable.from([]),
  });
  return { code, stdout, stderr };
}

describe('heapscope convert', () => {
  it('writes gzipped pprof, picked from the file name, that heapscope reads back', async () => {
    const out = join(scratch, 'heap.pb.gz');
    const r = await runCli(['convert', '--symbols', WORKLOAD, '-o', out, JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const bytes = readFileSync(out);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(gunzipSync(new Uint8Array(bytes)).length).toBeGreaterThan(bytes.length);
    const back = await loadSnapshot(out);
    expect(back.meta.format).toBe('pprof');
    expect(back.total(back.sampleTypeIndex('inuse_space'))).toBe(9063232);
  });

  it('-t sets the pprof default sample type', async () => {
    const out = join(scratch, 'alloc.pb.gz');
    const r = await runCli(['convert', '--to', 'pprof', '-t', 'alloc_space', '--no-symbolize', '-o', out, JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    expect((await loadSnapshot(out)).defaultSampleType).toBe('alloc_space');
  });

  it('refuses to write binary pprof to a terminal (exit 2), but writes it to a pipe', async () => {
    const tty = await runOnTerminal(['convert', '--to', 'pprof', '--no-symbolize', JEMALLOC]);
    expect(tty.code).toBe(2);
    expect(tty.stderr).toBe('heapscope: pprof output is binary: give -o FILE (or redirect standard output)\n');
    expect(tty.stdout).toBe('');
    let bytes = 0;
    let first = -1;
    const code = await main(['convert', '--to', 'pprof', '--no-symbolize', JEMALLOC], {
      stdout: {
        write: (c) => {
          if (first < 0) first = (c as Uint8Array)[0];
          bytes += (c as Uint8Array).length;
        },
      },
      stderr: { write: () => undefined },
      stdin: Readable.from([]),
    });
    expect(code).toBe(0);
    expect(first).toBe(0x1f);
    expect(bytes).toBeGreaterThan(100);
  });

  it('says how to pick a format when the name does not tell', async () => {
    const r = await runCli(['convert', '-o', join(scratch, 'out.bin'), JEMALLOC]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --to pprof\|speedscope\|collapsed\|svg\|html/);
  });

  it('rejects stack filters for pprof (it keeps the whole profile)', async () => {
    const r = await runCli(['convert', '--to', 'pprof', '--focus', 'leak', '-o', join(scratch, 'x.pb.gz'), JEMALLOC]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/filters do not apply to pprof output/);
  });

  it('writes collapsed stacks: root first, one line per distinct path, summing to the total', async () => {
    const r = await runCli(['convert', '--to', 'collapsed', '--symbols', WORKLOAD, JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain('_start;__libc_start_main_impl;__libc_start_call_main;main;leak_site 5242880');
    const sum = lines.reduce((s, line) => s + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(sum).toBe(9063232);
    expect(new Set(lines.map((l) => l.slice(0, l.lastIndexOf(' ')))).size).toBe(lines.length);
    expect([...lines].sort()).toEqual(lines);
    // Another sample type, and filters.
    const objects = await runCli(['convert', '--to', 'collapsed', '-t', 'inuse_objects', '--focus', 'leak_site', '--symbols', WORKLOAD, JEMALLOC]);
    expect(objects.stdout).toBe('_start;__libc_start_main_impl;__libc_start_call_main;main;leak_site 1280\n');
    const hidden = await runCli(['convert', '--to', 'collapsed', '--hide', '^__libc|^_start$', '--focus', 'leak_site', '--symbols', WORKLOAD, JEMALLOC]);
    expect(hidden.stdout).toBe('main;leak_site 5242880\n');
  });

  it('rounds fractional (unsampled) values so that the collapsed total is the total rounded', async () => {
    const path = fixtureFile('jemalloc/sampled', /\.f\.heap$/);
    const r = await runCli(['convert', '--to', 'collapsed', '--no-symbolize', path]);
    expect(r.code, r.stderr).toBe(0);
    const sum = r.stdout
      .trimEnd()
      .split('\n')
      .reduce((s, line) => s + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    const p = await loadSnapshot(path);
    expect(sum).toBe(Math.round(p.total(p.sampleTypeIndex('inuse_space'))));
    expect(r.stdout).not.toMatch(/ -?\d+\.\d+$/m);
  });

  it('writes speedscope with one named profile per sample type, valid against the schema', async () => {
    const out = join(scratch, 'heap.speedscope.json');
    const r = await runCli(['convert', '--symbols', WORKLOAD, '-o', out, GPERFTOOLS]);
    expect(r.code, r.stderr).toBe(0);
    const file = JSON.parse(readFileSync(out, 'utf8'));
    expect(validateSpeedscope(file)).toEqual([]);
    expect(file.$schema).toBe('https://www.speedscope.app/file-format-schema.json');
    expect(file.profiles.map((p: { name: string; unit: string }) => [p.name, p.unit])).toEqual([
      ['alloc_objects (objects allocated (cumulative)) — workload.0005.heap', 'none'],
      ['alloc_space (bytes allocated (cumulative)) — workload.0005.heap', 'bytes'],
      ['inuse_objects (objects in use) — workload.0005.heap', 'none'],
      ['inuse_space (bytes in use) — workload.0005.heap', 'bytes'],
    ]);
    expect(file.activeProfileIndex).toBe(3);
    const inuse = file.profiles[3];
    const frames = file.shared.frames as { name: string; file?: string }[];
    const leak = inuse.samples.findIndex((s: number[]) => frames[s[s.length - 1]].name === 'leak_site');
    expect(inuse.samples[leak].map((f: number) => frames[f].name)).toEqual(['_start', '__libc_start_main_impl', '__libc_start_call_main', 'main', 'leak_site']);
    expect(inuse.weights[leak]).toBe(5242880);
    expect(frames[inuse.samples[leak][4]].file).toMatch(/workload\.c$/);
  });

  it('writes an output file whole or not at all', async () => {
    const dir = join(scratch, 'atomic');
    const target = join(dir, 'missing-dir', 'x.pb.gz');
    const r = await runCli(['convert', '--no-symbolize', '-o', target, JEMALLOC]);
    expect(r.code).toBe(1);
    expect(existsSync(target)).toBe(false);
    // A failing input leaves an existing output untouched, and no temporary file.
    const out = join(scratch, 'keep.pb.gz');
    writeFileSync(out, 'previous');
    const bad = join(scratch, 'bad.heap');
    writeFileSync(bad, 'heap_v2/524288\n  t*: 1: oops [0: 0]\n');
    const failed = await runCli(['convert', '--no-symbolize', '-o', out, bad]);
    expect(failed.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(readdirSync(scratch).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('converts several inputs as their sum', async () => {
    const one = join(FIXTURES, 'gperftools', 'workload.0001.heap');
    const r = await runCli(['convert', '--to', 'collapsed', '-t', 'alloc_space', '--no-symbolize', one, GPERFTOOLS]);
    expect(r.code, r.stderr).toBe(0);
    const sum = r.stdout
      .trimEnd()
      .split('\n')
      .reduce((s, line) => s + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    const a = await loadSnapshot(one);
    const b = await loadSnapshot(GPERFTOOLS);
    expect(sum).toBe(Math.round(a.total(a.sampleTypeIndex('alloc_space')) + b.total(b.sampleTypeIndex('alloc_space'))));
  });
});

/** The flags `go tool pprof -raw` prints per mapping of a pprof file: `{ "<path>": "[FN][FL]…" }`. */
function pprofMappingFlags(file: string): Record<string, string> {
  const raw = execFileSync('go', ['tool', 'pprof', '-raw', '-symbolize=none', file], { env: goEnv(scratch), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Record<string, string> = {};
  for (const line of raw.slice(raw.indexOf('\nMappings\n')).split('\n')) {
    const m = /^\s*\d+: 0x[0-9a-f]+\/0x[0-9a-f]+\/0x[0-9a-f]+ (\S+)(?: [0-9a-f]+)?\s*((?:\[[A-Z]+\])*)$/.exec(line);
    if (m) out[m[1].slice(m[1].lastIndexOf('/') + 1)] = m[2];
  }
  return out;
}

describe.skipIf(!HAVE_GO)(`pprof mapping flags, as go tool pprof -raw reads them${HAVE_GO ? '' : ' — SKIPPED: no go'}`, () => {
  const CXX_BIN = join(FIXTURES, 'cxx', 'bin');
  const CXX_DUMP = join(FIXTURES, 'cxx', 'gperftools', 'cxx.0001.heap');

  it('say what symbolization found in some of the mapping\'s locations: DWARF gives all four, a symbol table only names', async () => {
    const out = join(scratch, 'cxx.pb.gz');
    const r = await runCli(['convert', '--to', 'pprof', '--symbols', CXX_BIN, '-o', out, CXX_DUMP]);
    expect(r.code, r.stderr).toBe(0);
    const flags = pprofMappingFlags(out);
    // Our binaries have DWARF: names, files, lines and inlined frames, although
    // some of their locations (_start, from crt1.o) have no line.
    expect(flags['cxx-workload']).toBe('[FN][FL][LN][IN]');
    expect(flags['libhsshapes.so']).toBe('[FN][FL][LN][IN]');
    // libstdc++: names from its symbol table (and more with its debug file),
    // though one of its addresses is in no symbol of its .dynsym.
    expect(flags['libstdc++.so.6.0.30']).toMatch(/^\[FN\]/);
  });

  it('are all off when nothing was symbolized, and names only for perf\'s frames', async () => {
    const bare = join(scratch, 'cxx-bare.pb.gz');
    expect((await runCli(['convert', '--to', 'pprof', '--no-symbolize', '-o', bare, CXX_DUMP])).code).toBe(0);
    for (const value of Object.values(pprofMappingFlags(bare))) expect(value).toBe('');
    const perf = join(scratch, 'cxx-perf.pb.gz');
    expect((await runCli(['convert', '--to', 'pprof', '--no-symbolize', '-o', perf, join(FIXTURES, 'cxx', 'perf', 'cxx.fp.perf.txt.gz')])).code).toBe(0);
    expect(pprofMappingFlags(perf)['libc.so.6']).toBe('[FN]');
  });
});
