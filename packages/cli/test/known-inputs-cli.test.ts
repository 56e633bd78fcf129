/**
 * What the CLI says of inputs that are not heap profiles it reads (issue 17):
 * a perf.data file (real, fixtures/cpu-perf) is refused with the perf script
 * command to run (exit 1, `heapscope: FILE:1: …`); the perf script text of
 * CPU samples is described by info as a CPU profile (no peak, no sizes) and
 * refused by the commands that need heap events (exit 2) while top reads it;
 * and info counts distinct stacks, not prefix-tree nodes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '@heapscope/testkit/paths';
import { runCli } from './run-cli.js';

const PERF_DATA = join(FIXTURES, 'cpu-perf/workload.cpu-clock.perf.data');
const CPU_TEXT = join(FIXTURES, 'cpu-perf/workload.cpu-clock.perf.txt.gz');
const JEMALLOC = join(FIXTURES, 'jemalloc/all/jeprof.24747.5.f.heap');

interface InfoJson {
  inputs: { format: string; profileKind: string; cpuSamples: { events: string[]; records: number } | null; peak: unknown; sizeKind: string; stacks: number | null; stackNodes: number; samples: number; sampleTypes: string[] }[];
}

describe('perf.data and other captures heapscope does not read', () => {
  it('perf.data: exit 1, one line naming the file and the perf script command', async () => {
    for (const command of ['info', 'top', 'sizes']) {
      const r = await runCli([command, PERF_DATA]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`heapscope: ${PERF_DATA}:1: this is a perf.data file (perf record): heapscope reads perf script's text of it: run \`perf script -i ${PERF_DATA} > ${PERF_DATA}.txt\` first, and give heapscope ${PERF_DATA}.txt\n`);
    }
  });

  it('a pprof profile (protobuf field 1 first, as a Perfetto trace) is still read as pprof', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hs-known-')), 'x.pb.gz');
    expect((await runCli(['convert', '--to', 'pprof', '-o', out, JEMALLOC])).code).toBe(0);
    const info = JSON.parse((await runCli(['info', '--format', 'json', out])).stdout) as InfoJson;
    expect(info.inputs[0].format).toBe('pprof');
  });
});

describe('perf script text of CPU samples', () => {
  it('info describes a CPU profile: events sampled, records, no heap fields', async () => {
    const r = await runCli(['info', '--quiet', CPU_TEXT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/profile {8}CPU samples of cpu-clock: [\d,]+ records over [\d.]+ m?s; no heap events/);
    expect(r.stdout).not.toMatch(/^ {2}(peak|sizes|sampling|live at end|events) |exact requested sizes|every allocation recorded/m);
    const json = JSON.parse((await runCli(['info', '--format', 'json', CPU_TEXT])).stdout) as InfoJson;
    const input = json.inputs[0];
    expect(input.profileKind).toBe('cpu');
    expect(input.cpuSamples!.events).toEqual(['cpu-clock']);
    expect(input.peak).toBeNull();
    expect(input.sizeKind).toBe('none');
    expect(input.sampleTypes).toEqual(['samples']);
  });

  it('the number of records is the text\'s sample records', async () => {
    const { gunzipSync } = await import('node:zlib');
    const { readFileSync } = await import('node:fs');
    const text = gunzipSync(readFileSync(CPU_TEXT)).toString('latin1');
    const records = text.split('\n').filter((l) => / cpu-clock:/.test(l)).length;
    const json = JSON.parse((await runCli(['info', '--format', 'json', CPU_TEXT])).stdout) as InfoJson;
    expect(json.inputs[0].cpuSamples!.records).toBe(records);
  });

  it('sizes, peak, churn and growth --windows refuse it, saying what they need; top reads it', async () => {
    for (const [args, need] of [
      [['sizes'], 'sizes needs allocation sizes'],
      [['peak'], 'peak needs live bytes over time'],
      [['churn'], 'churn needs allocations and frees'],
      [['growth', '--windows', '3'], 'growth needs live bytes'],
    ] as const) {
      const r = await runCli([...args, '--quiet', CPU_TEXT]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`heapscope: ${CPU_TEXT} holds CPU samples (cpu-clock), not heap events: ${need}. Record malloc and free probes (docs/formats.md#perf-script), or read CPU samples with top, flamegraph or convert\n`);
    }
    const top = await runCli(['top', '--quiet', '-n', '3', CPU_TEXT]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain(': samples total ');
  });
});

describe('info: stacks', () => {
  it('counts distinct stacks of the samples, not the prefix tree\'s nodes', async () => {
    for (const file of [JEMALLOC, join(FIXTURES, 'perf/workload.fp.perf.txt.gz'), CPU_TEXT]) {
      const json = JSON.parse((await runCli(['info', '--no-symbolize', '--format', 'json', file])).stdout) as InfoJson;
      const input = json.inputs[0];
      // Distinct stacks: no more than the samples (a sample is a stack on a thread), no more than the tree's nodes.
      expect(input.stacks!, file).toBeGreaterThan(0);
      expect(input.stacks!, file).toBeLessThanOrEqual(input.samples);
      expect(input.stackNodes, file).toBeGreaterThan(input.stacks!);
      // The same as the rows of top --by stack with every frame kept.
      const top = JSON.parse((await runCli(['top', '--no-symbolize', '--format', 'json', '--by', 'stack', '--keep-allocator-frames', '-t', input.sampleTypes[0], file])).stdout) as { rowCount: number };
      expect(input.stacks, file).toBeGreaterThanOrEqual(top.rowCount);
      const text = await runCli(['info', '--no-symbolize', '--quiet', file]);
      expect(text.stdout).toContain(`stacks         ${input.stacks} distinct`);
    }
  });
});
