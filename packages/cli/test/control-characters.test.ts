/**
 * Names from the inputs that hold control characters — ESC (terminal escape
 * sequences: clear the screen, retitle the window), NUL, BEL, CR, the C1
 * CSI (U+009B) — reach neither the terminal nor a text file raw: text
 * reports and stderr show them as visible escapes (`\x1b`), collapsed
 * stacks and SVG too (XML forbids them), while JSON keeps them exactly
 * (JSON-escaped). The names are function names, module (file) names and
 * thread (comm) names of a real perf record, rewritten.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeName, escapeText } from '../src/terminal-text.js';
import { collapsedFrame } from '../src/render/collapsed.js';
import { runCli } from './run-cli.js';
import { FIXTURES } from '@heapscope/testkit/paths';

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-control-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A function name that would clear the screen, retitle the window and hide its own end. */
const FUNCTION = 'leak\u001b]0;pwned\u0007\u001b[2J\u0000site\r\u009b31m';
const MODULE = 'work\u001b[31mload';
const COMM = 'work\u001b[8mer';
/** Every control character but the line feed. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let perf: string;
beforeAll(() => {
  const text = gunzipSync(readFileSync(join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz'))).toString('utf8');
  const crafted = text
    .replace(/ leak_site\+/g, ` ${FUNCTION}+`)
    .replace(/\/fixtures\/bin\/workload\)/g, `/fixtures/bin/${MODULE})`)
    .replace(/^workload /gm, `${COMM} `);
  perf = join(scratch, 'crafted.perf.txt');
  writeFileSync(perf, crafted);
});

describe('control characters in names', () => {
  it('are escaped in text reports (functions, modules, threads), and kept exactly in JSON', async () => {
    for (const [by, name] of [
      ['function', FUNCTION],
      ['module', MODULE],
      ['thread', COMM],
    ] as const) {
      const text = await runCli(['top', '--by', by, perf]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout, by).not.toMatch(RAW_CONTROL);
      expect(text.stdout, by).toContain(escapeName(name));
      expect(text.stderr, by).not.toMatch(RAW_CONTROL);
      const json = await runCli(['top', '--by', by, '--format', 'json', perf]);
      expect(json.code, json.stderr).toBe(0);
      // JSON-escaped: C0 by JSON itself, DEL and C1 (which JSON allows raw) too.
      expect(json.stdout, by).not.toMatch(RAW_CONTROL);
      const names: string[] = JSON.parse(json.stdout).rows.map((r: { name: string }) => r.name);
      expect(names.some((n) => n.includes(name)), `${by}: ${JSON.stringify(names)}`).toBe(true);
    }
    expect(escapeName(FUNCTION)).toBe('leak\\x1b]0;pwned\\x07\\x1b[2J\\x00site\\r\\x9b31m');
  });

  it('are escaped in every text report that lists names (sizes, churn, peak, growth windows)', async () => {
    for (const args of [['sizes', '--by', 'function'], ['churn'], ['peak', '--by', 'thread'], ['growth', '--windows', '3']]) {
      const r = await runCli([...args, perf]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).not.toMatch(RAW_CONTROL);
      expect(r.stdout, args.join(' ')).toMatch(/\\x1b/);
    }
  });

  it('are escaped in collapsed stacks and in SVG (which XML forbids them in); the HTML page keeps them in its JSON', async () => {
    const collapsed = await runCli(['convert', '--to', 'collapsed', perf]);
    expect(collapsed.code, collapsed.stderr).toBe(0);
    expect(collapsed.stdout).not.toMatch(RAW_CONTROL);
    expect(collapsed.stdout).toContain(collapsedFrame(FUNCTION));
    const speedscope = await runCli(['convert', '--to', 'speedscope', perf]);
    expect(speedscope.stdout).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(speedscope.stdout).shared.frames.map((f: { name: string }) => f.name)).toContain(FUNCTION);
    expect(collapsedFrame(FUNCTION)).toBe('leak\\x1b]0:pwned\\x07\\x1b[2J\\x00site \\x9b31m');
    const svg = join(scratch, 'crafted.svg');
    expect((await runCli(['flamegraph', '-o', svg, perf])).code).toBe(0);
    const svgText = readFileSync(svg, 'utf8');
    expect(svgText).not.toMatch(RAW_CONTROL);
    expect(svgText).toContain('leak\\x1b]0;pwned');
    const html = join(scratch, 'crafted.html');
    expect((await runCli(['flamegraph', '-o', html, perf])).code).toBe(0);
    const htmlText = readFileSync(html, 'utf8');
    // JSON escapes C0 (and heapscope's HTML-safe JSON keeps DEL and C1, which are plain characters inside a script string).
    expect(htmlText).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(htmlText).toContain(JSON.stringify(FUNCTION).slice(1, -1));
  });

  it('are escaped on stderr: an error quoting a malformed line, a warning naming a file', async () => {
    const dump = join(scratch, 'bad\u001b[2J.heap');
    writeFileSync(dump, 'heap_v2/524288\n  t*: 1: 1 [0: 0]\n@ 0x1\u001b[2J\u0000\n');
    const r = await runCli(['top', dump]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('bad\\x1b[2J.heap');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('bidirectional overrides (U+202E, U+2066–U+2069) are escaped in text, which they would show reversed, and kept in JSON', async () => {
    const text = gunzipSync(readFileSync(join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz'))).toString('utf8');
    const name = 'leak\u202eetis_kael\u2066x\u2069';
    const file = join(scratch, 'bidi.perf.txt');
    // Another module name, so that the binary does not name the frame again.
    writeFileSync(file, text.replace(/ leak_site\+/g, ` ${name}+`).replace(/\/fixtures\/bin\/workload\)/g, '/fixtures/bin/renamed-workload)'));
    const r = await runCli(['top', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(r.stdout).toContain('leak\\u202eetis_kael\\u2066x\\u2069');
    const json = await runCli(['top', '--format', 'json', file]);
    expect(JSON.parse(json.stdout).rows.map((row: { name: string }) => row.name)).toContain(name);
  });

  it('escapeText keeps line feeds and escapes the rest; escapeName escapes line feeds too', () => {
    expect(escapeText('a\tb\nc\u001b')).toBe('a\\tb\nc\\x1b');
    expect(escapeName('a\nb')).toBe('a\\nb');
    expect(escapeName('plain name (no controls) — ünïcode')).toBe('plain name (no controls) — ünïcode');
  });
});
