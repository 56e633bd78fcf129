/**
 * `heapscope churn` text and JSON: lifetime histograms below the site table
 * for traces (perf malloc probes of the fixture workload), `--lifetimes`
 * per site, the per-interval table for series of dumps (jemalloc
 * prof_accum:true), the JSON fields, and the usage errors.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { FIXTURES, findFiles } from '@heapscope/testkit/paths';

const S = ['--symbols', join(FIXTURES, 'bin', 'workload')];
const FP = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
const SIZES_ONLY = join(FIXTURES, 'perf', 'workload.sizes.perf.txt.gz');
const manual = findFiles(join(FIXTURES, 'jemalloc', 'all'), /\.m\d+\.heap$/);
const gperf = findFiles(join(FIXTURES, 'gperftools'), /^workload\.000[1-5]\.heap$/);

const num = (s: string) => Number(s.replace(/,/g, ''));

/** The rows of the text histogram that follows the line matching `title`: [label, count, share]. */
function histogramRows(text: string, title: RegExp): string[][] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => title.test(l));
  expect(at, `no line matching ${title}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    const m = /^\s+(\S+(?: \S+)*?)\s{2,}([\d,]+)\s+(\S+%)/.exec(line);
    if (!m) break;
    rows.push([m[1], m[2], m[3]]);
  }
  return rows;
}

describe('churn on a trace: lifetimes', () => {
  it('text: the whole trace in events and in time below the site table, counts adding up to the freed blocks', async () => {
    const [text, json] = await Promise.all([runCli(['churn', '-n', '3', FP]), runCli(['churn', '--format', 'json', '-n', '3', FP])]);
    expect(text.code).toBe(0);
    const r = JSON.parse(json.stdout);
    const freed: number = r.lifetimes.freedObjects;
    expect(text.stdout).toContain(`\nlifetimes of the ${freed.toLocaleString('en-US')} blocks freed in the trace (every site), in allocation events:\n`);
    const events = histogramRows(text.stdout, /^lifetimes of the/);
    expect(events.length).toBeGreaterThan(2);
    expect(events.reduce((s, row) => s + num(row[1]), 0)).toBe(freed);
    // Powers of 4, bounds inclusive: 1–3, 4–15, 16–63, …
    expect(events.map((row) => row[0]).slice(0, 3)).toEqual(['1–3', '4–15', '16–63']);
    // The first bucket holds churn_site's 10,000 temporaries and more: it has the longest bar.
    expect(num(events[0][1])).toBeGreaterThanOrEqual(10000);
    const time = histogramRows(text.stdout, /^in time \(/);
    expect(text.stdout).toContain(`\nin time (${r.lifetimes.timedObjects.toLocaleString('en-US')} freed blocks with timestamps):\n`);
    expect(time.reduce((s, row) => s + num(row[1]), 0)).toBe(r.lifetimes.timedObjects);
    for (const [label] of time) expect(label).toMatch(/^(<|≥)?[\d.]+( (ns|µs|ms|s))?(–[\d.]+ (ns|µs|ms|s))?$/);
    // Bars: the largest bucket gets the full width.
    const max = Math.max(...events.map((row) => num(row[1])));
    const barOf = (label: string) => text.stdout.split('\n').find((l) => l.trimStart().startsWith(`${label} `) && l.includes('%'))!.replace(/.*% {2}/, '');
    expect(barOf(events.find((row) => num(row[1]) === max)![0])).toBe('█'.repeat(30));
    // Not per site unless asked.
    expect(text.stdout).not.toMatch(/lifetimes per site/);
  });

  it('--lifetimes: one row per shown site, shares of its freed blocks; churn_site half in the first bucket', async () => {
    const r = await runCli(['churn', '-n', '3', '--lifetimes', FP]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('lifetimes per site'));
    expect(at).toBeGreaterThan(0);
    const header = lines[at + 1].trim().split(/\s+/);
    expect(header[0]).toBe('freed');
    expect(header.at(-1)).toBe('name');
    expect(header[1]).toBe('<4');
    const rows = lines.slice(at + 2, at + 5).map((l) => l.trim().split(/\s+/));
    expect(rows.map((row) => row.at(-1))).toEqual(['churn_site', 'odd_size_site', 'realloc_site']);
    const churnSite = rows[0];
    expect(churnSite[0]).toBe('20,000');
    expect(churnSite[1]).toBe('50%');
    // odd_size_site: everything at 1,024–4,095 events, the <4Ki column.
    const odd = rows[1];
    expect(odd[header.indexOf('<4Ki')]).toBe('100%');
    expect(odd.slice(1, header.indexOf('<4Ki')).every((c) => c === '·')).toBe(true);
  });

  it('JSON: lifetimes for the trace and per row; the contract fields unchanged', async () => {
    const r = JSON.parse((await runCli(['churn', '--format', 'json', FP])).stdout);
    expect(r.source).toBe('trace');
    expect(r.intervals).toBeNull();
    expect(Object.keys(r.lifetimes)).toEqual(['freedObjects', 'events', 'timedObjects', 'ns']);
    expect(Object.keys(r.lifetimes.events[0])).toEqual(['fromEvents', 'toEvents', 'count', 'share']);
    expect(Object.keys(r.lifetimes.ns[0])).toEqual(['fromNs', 'toNs', 'count', 'share']);
    const row = r.rows.find((x: { name: string }) => x.name === 'churn_site');
    expect(row).toMatchObject({ allocObjects: 20000, allocBytes: 2720000, liveObjects: 0, liveBytes: 0, temporary: 10000, intervals: null });
    expect(row.lifetimes.freedObjects).toBe(20000);
    // The temporaries (lifetime 1) and the ring's few short ones: 1–3 events.
    expect(row.lifetimes.events[0]).toMatchObject({ fromEvents: 1, toEvents: 4 });
    expect(row.lifetimes.events[0].count).toBeGreaterThanOrEqual(10000);
    expect(row.lifetimes.events[0].share).toBe(row.lifetimes.events[0].count / 20000);
    // Every row's histogram adds up; all rows' freed blocks are the trace's.
    let freed = 0;
    for (const x of r.rows) {
      freed += x.lifetimes.freedObjects;
      expect(x.lifetimes.events.reduce((s: number, b: { count: number }) => s + b.count, 0)).toBe(x.lifetimes.freedObjects);
    }
    expect(freed).toBe(r.lifetimes.freedObjects);
  });

  it('a size-only perf capture has no lifetimes: none in the text, null in JSON, and --lifetimes is a usage error', async () => {
    const text = await runCli(['churn', SIZES_ONLY]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/lifetimes/);
    expect(JSON.parse((await runCli(['churn', '--format', 'json', SIZES_ONLY])).stdout).lifetimes).toBeNull();
    const flag = await runCli(['churn', '--lifetimes', SIZES_ONLY]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--lifetimes: this trace does not record pointers/);
  });

  it('with a filter, the text says the whole-trace histograms ignore it', async () => {
    const r = await runCli(['churn', '--focus', 'churn_site', FP]);
    expect(r.stdout).toMatch(/blocks freed in the trace \(every site: the filters do not apply\)/);
  });
});

describe('churn on a series of dumps: per interval', () => {
  it('text: the site totals, then the process per interval from the process start', async () => {
    const r = await runCli(['churn', '-n', '3', ...S, ...manual]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe('from a series of 5 dumps ordered by dump sequence number: allocated minus retained, per interval');
    const at = lines.findIndex((l) => l.startsWith('per interval, all sites'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1].trim().split(/\s{2,}/)).toEqual(['interval', 'allocs', 'alloc bytes', 'retained', 'retained bytes', 'churned', 'churned bytes', 'live', 'live bytes']);
    const rows = lines.slice(at + 2, at + 7).map((l) => l.trim().split(/\s{2,}/));
    expect(rows.map((row) => row[0])).toEqual(['start→1', '1→2', '2→3', '3→4', '4→5']);
    for (const row of rows.slice(1)) expect([row[1], row[3], row[5]]).toEqual(['25,391', '+306', '25,085']);
    expect(rows[4][7]).toBe('2,661'); // in use at the last dump: its header's t* count
    expect(lines[at + 7]).toBe(`  dumps: ${manual.map((f, i) => `${i + 1}=${f.replace(/.*\//, '')}`).join(' ')}`);
  });

  it('JSON: intervals with their dumps, per row too, adding up to the totals', async () => {
    const r = JSON.parse((await runCli(['churn', '--format', 'json', ...S, ...[...gperf].reverse()])).stdout);
    expect(r.source).toBe('series');
    expect(r.lifetimes).toBeNull();
    expect(r.intervals.map((iv: { from: string | null; to: string }) => [iv.from, iv.to])).toEqual(gperf.map((f, k) => [k === 0 ? null : gperf[k - 1], f]));
    expect(Object.keys(r.intervals[0])).toEqual(['from', 'to', 'allocObjects', 'allocBytes', 'retainedObjects', 'retainedBytes', 'churnObjects', 'churnBytes', 'liveObjects', 'liveBytes']);
    const sum = (values: { allocObjects: number }[]) => values.reduce((s, v) => s + v.allocObjects, 0);
    let rowsAlloc = 0;
    for (const row of r.rows) {
      expect(row.intervals).toHaveLength(5);
      expect(sum(row.intervals)).toBeCloseTo(row.allocObjects, 6);
      rowsAlloc += row.allocObjects;
    }
    expect(sum(r.intervals)).toBeCloseTo(rowsAlloc, 6);
    expect(r.rows[0]).toMatchObject({ name: 'churn_site', allocObjects: 100000, allocBytes: 13600000, liveObjects: 0, liveBytes: 0, lifetimes: null });
    expect(r.warnings).toEqual([]);
  });

  it('one dump: no interval table in the text; --lifetimes is a usage error', async () => {
    const one = await runCli(['churn', ...S, gperf[4]]);
    expect(one.code).toBe(0);
    expect(one.stdout).not.toMatch(/per interval/);
    const flag = await runCli(['churn', '--lifetimes', ...S, ...manual]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--lifetimes needs an event trace/);
  });

  it('a series that is not one says so, on stderr and in JSON', async () => {
    const r = await runCli(['churn', '--format', 'json', ...S, manual[0], gperf[1]]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/heapscope: warning: inputs have different formats/);
    expect(JSON.parse(r.stdout).warnings.join('\n')).toMatch(/inputs have different formats/);
  });

  it('sampled dumps: said to be estimates, in the text and in JSON; unsampled ones not', async () => {
    const sampled = findFiles(join(FIXTURES, 'jemalloc', 'sampled'), /\.m\d+\.heap$/);
    for (const [files, isSampled] of [
      [sampled, true],
      [manual, false],
      [gperf, false],
    ] as const) {
      const text = await runCli(['churn', ...S, ...files]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout.includes('values are estimates: the dumps are sampled'), files[0]).toBe(isSampled);
      const json = await runCli(['churn', '--format', 'json', ...S, ...files]);
      expect(JSON.parse(json.stdout).sampled).toBe(isSampled);
    }
    // One sampled dump, alone: the same.
    const one = await runCli(['churn', '--format', 'json', ...S, sampled[0]]);
    expect(JSON.parse(one.stdout)).toMatchObject({ source: 'snapshot', sampled: true });
  });

  it('--help shows the new output and an example', async () => {
    const r = await runCli(['churn', '--help']);
    expect(r.stdout).toMatch(/--lifetimes/);
    expect(r.stdout).toMatch(/per interval/);
    expect(r.stdout).toMatch(/\$ heapscope churn -n 5 --lifetimes/);
  });
});
