/**
 * No writer can hang or write garbage on a number that is not finite, even
 * when one gets past the importers: pprof (whose varint writer looped for
 * ever on Infinity), speedscope (which wrote `null` weights), collapsed
 * stacks, SVG and HTML flamegraphs, and the reports as JSON (`null`) and
 * text ("NaN B") all refuse it with a NonFiniteValueError that says what
 * and where. The profiles here are built directly, with a damaged value
 * column; the CLI cases feed a crafted dump through every writer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot, type HeapProfile } from '@heapscope/parser';
import { formatBytes, formatCount, formatShare, NonFiniteValueError, profileInfo } from '@heapscope/analyzer';
import { ReportOutput } from '@heapscope/cli';
import { encodePprof } from '../src/render/pprof.js';
import { toSpeedscope } from '../src/render/speedscope.js';
import { toCollapsed } from '../src/render/collapsed.js';
import { plainFlameData } from '../src/flame-words.js';
import { renderFlame } from '../src/render/flamegraph.js';
import { runCli } from './run-cli.js';
import { fixtureFile } from '@heapscope/testkit/inputs';

const JEMALLOC = fixtureFile('jemalloc/all', /\.f\.heap$/);
const SAMPLED = fixtureFile('jemalloc/sampled', /\.f\.heap$/);
const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));
const built = existsSync(join(CLI_DIR, 'dist', 'render', 'pprof.js'));
const scratch = mkdtempSync(join(tmpdir(), 'heapscope-nonfinite-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let clean: HeapProfile;
beforeAll(async () => {
  clean = await loadSnapshot(JEMALLOC);
});

/** `profile` with `value` in sample `index` of `type`. */
function damaged(profile: HeapProfile, value: number, type = 'inuse_space', index = 0): HeapProfile {
  const t = profile.sampleTypeIndex(type);
  const values = profile.samples.values.map((column, i) => {
    if (i !== t) return column;
    const copy = Float64Array.from(column);
    copy[index] = value;
    return copy;
  });
  return profile.with({ samples: { ...profile.samples, values } });
}

const BAD = [NaN, Infinity, -Infinity];

describe('profile writers refuse non-finite values', () => {
  for (const bad of BAD) {
    it(`${bad}: pprof, speedscope, collapsed, SVG and HTML flamegraphs`, () => {
      const p = damaged(clean, bad);
      const where = new RegExp(`^inuse_space of sample 1 of .*${JEMALLOC.replace(/.*\//, '').replace(/\./g, '\\.')} is ${String(bad).replace('+', '')}, not a finite number: refusing to write it$`);
      const writers: [string, () => unknown][] = [
        ['pprof', () => encodePprof(p)],
        ['speedscope', () => toSpeedscope(p, { title: 't', exporter: 'test' })],
        ['collapsed', () => toCollapsed(p, p.sampleTypeIndex('inuse_space'))],
        ['svg', () => renderFlame(plainFlameData(p, ['x'], p.sampleTypes[p.sampleTypeIndex('inuse_space')], {}), 'svg', 'flame')],
        ['html', () => renderFlame(plainFlameData(p, ['x'], p.sampleTypes[p.sampleTypeIndex('inuse_space')], {}), 'html', 'flame')],
      ];
      for (const [name, write] of writers) {
        let error: unknown;
        try {
          write();
        } catch (e) {
          error = e;
        }
        expect(error, name).toBeInstanceOf(NonFiniteValueError);
        expect((error as Error).message, name).toMatch(where);
      }
    });
  }

  it('pprof: a numeric label that is infinite, a sampling period that is, and a value beyond an int64', () => {
    const labels = clean.samples.labels.map((l) => ({ ...l, values: Float64Array.from(l.values, (v, i) => (i === 0 ? Infinity : v)) }));
    expect(labels.length).toBeGreaterThan(0);
    expect(() => encodePprof(clean.with({ samples: { ...clean.samples, labels } }))).toThrow(/^label bytes of sample 1 of .* is Infinity, not a finite number/);
    expect(() => encodePprof(clean.with({ meta: { ...clean.meta, sampling: { model: 'poisson', periodBytes: Infinity } } }))).toThrow(/^the sampling period of .* is Infinity/);
    expect(() => encodePprof(damaged(clean, 1e20))).toThrow(/^a pprof value is 100000000000000000000, beyond the range of an int64: refusing to write it$/);
    // Absent labels (NaN) are no damage.
    expect(() => encodePprof(clean)).not.toThrow();
  });

  it('finite values whose sum is not (every sample 1.7e308: call paths that two samples share overflow) are refused too', () => {
    const t = clean.sampleTypeIndex('inuse_space');
    const values = clean.samples.values.map((c, i) => (i === t ? Float64Array.from(c, () => 1.7e308) : c));
    const huge = clean.with({ samples: { ...clean.samples, values } });
    expect(() => toSpeedscope(huge, { title: 't', exporter: 'test' })).toThrow(NonFiniteValueError);
    expect(() => toCollapsed(huge, t)).toThrow(NonFiniteValueError);
  });

  it.skipIf(!built)('the pprof writer ends, in a process of its own, instead of looping on Infinity', () => {
    // A hang inside a synchronous loop would stop the test runner itself: the encoder runs in a child with a time limit.
    const script = `
      import { loadSnapshot } from '@heapscope/parser';
      import { encodePprof } from './dist/render/pprof.js';
      const p = await loadSnapshot(${JSON.stringify(JEMALLOC)});
      const t = p.sampleTypeIndex('inuse_space');
      const values = p.samples.values.map((c, i) => (i === t ? Float64Array.from(c, () => Infinity) : c));
      try { encodePprof(p.with({ samples: { ...p.samples, values } })); console.log('written'); }
      catch (e) { console.log(e.name); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: CLI_DIR, timeout: 30_000, encoding: 'utf8' });
    expect(r.signal, 'the encoder was killed after 30 s: it hangs').toBeNull();
    expect(r.stdout.trim(), r.stderr).toBe('NonFiniteValueError');
  });
});

describe('reports refuse non-finite values, as JSON and as text', () => {
  for (const bad of BAD) {
    it(`${bad} in an info report`, () => {
      const report = { inputs: [profileInfo(damaged(clean, bad))] };
      for (const json of [true, false]) {
        let written = '';
        const out = new ReportOutput({ stdout: { write: (c) => (written += String(c)) }, stderr: { write: () => undefined } }, undefined);
        expect(() => out.writeReport(report, json, () => 'text')).toThrow(
          new RegExp(`^the report's inputs\\[0\\]\\.totals\\.inuse_space is ${String(bad)}, not a finite number: refusing to write it$`),
        );
        expect(written).toBe('');
      }
    });
  }

  it('the text formatters refuse them too (no "NaN B", no "Infinity PiB")', () => {
    for (const bad of BAD) {
      expect(() => formatBytes(bad)).toThrow(NonFiniteValueError);
      expect(() => formatCount(bad)).toThrow(NonFiniteValueError);
      expect(() => formatShare(bad, 1)).toThrow(NonFiniteValueError);
      expect(() => formatShare(1, bad)).toThrow(NonFiniteValueError);
    }
    expect(formatBytes(1536)).toBe('1.50 KiB');
  });
});

describe('the CLI on a dump whose values unsample to NaN and Infinity (zero bytes with a positive count)', () => {
  let crafted: string;
  beforeAll(() => {
    // A sampled dump: unsampling 1 object of 0 bytes divides by 1 − exp(0) = 0.
    const lines = readFileSync(SAMPLED, 'utf8').split('\n');
    const first = lines.findIndex((l) => l.startsWith('@ '));
    lines[first + 1] = lines[first + 1].replace(/^(\s*t\*: )(\d+): (\d+)/, '$11: 0');
    lines[first + 2] = lines[first + 2].replace(/^(\s*t\d+: )(\d+): (\d+)/, '$11: 0');
    crafted = join(scratch, 'zero-bytes.heap');
    writeFileSync(crafted, lines.join('\n'));
  });

  const commands: [string, string[], string | undefined][] = [
    ['info', ['info'], undefined],
    ['info --format json', ['info', '--format', 'json'], undefined],
    ['top', ['top'], undefined],
    ['top --format json', ['top', '--format', 'json'], undefined],
    ['convert --to pprof', ['convert', '--to', 'pprof'], 'out.pb.gz'],
    ['convert --to speedscope', ['convert', '--to', 'speedscope'], 'out.json'],
    ['convert --to collapsed', ['convert', '--to', 'collapsed'], 'out.collapsed'],
    ['flamegraph svg', ['flamegraph'], 'out.svg'],
    ['flamegraph html', ['flamegraph'], 'out.html'],
    ['merge', ['merge'], 'merged.pb.gz'],
  ];
  for (const [name, args, output] of commands) {
    it(`${name}: exit 1, one line, nothing written`, async () => {
      const out = output ? join(scratch, output) : undefined;
      const r = await runCli([...args, '--no-symbolize', ...(out ? ['-o', out] : []), crafted]);
      expect(r.code, r.stderr).toBe(1);
      const errors = r.stderr.split('\n').filter((l) => l && !l.startsWith('heapscope: warning: '));
      expect(errors, r.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(/^heapscope: .*(not a finite number|NaN|Infinity|zero)/i);
      expect(r.stdout).toBe('');
      if (out) expect(existsSync(out), out).toBe(false);
      expect(readdirSync(dirname(crafted)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }
});
