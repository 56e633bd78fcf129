/**
 * What the tests of the store and of the CLI's `--db` share: a local
 * two-shard ClickHouse cluster (scripts/clickhouse.sh: started in a
 * temporary directory, stopped by the PIDs the script recorded, and
 * removed), dumps staged with known modification times (the time a store
 * gives a dump that records none), and a comparison of reports that allows
 * for the order in which an engine adds.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { REPO } from './paths.js';

/** A running local cluster. */
export interface Cluster {
  /** The store's URL: `clickhouse://127.0.0.1:P1,127.0.0.1:P2/heapscope?cluster=heapscope`. */
  url: string;
  /** Its directory: a `shard<N>` directory per server, with the server's `pid`. */
  dir: string;
  stop(): void;
}

/** Starts a two-shard ClickHouse cluster in a temporary directory (scripts/clickhouse.sh up). */
export function startCluster(): Cluster {
  const dir = join(mkdtempSync(join(tmpdir(), 'heapscope-ch-')), 'cluster');
  const script = join(REPO, 'scripts', 'clickhouse.sh');
  const out = execFileSync('bash', [script, 'up', dir], { encoding: 'utf8', timeout: 60_000 });
  const url = out.trim().split('\n').pop() as string;
  return {
    url,
    dir,
    stop: () => {
      execFileSync('bash', [script, 'down', dir], { encoding: 'utf8', timeout: 60_000 });
      rmSync(join(dir, '..'), { recursive: true, force: true });
    },
  };
}

/** One hour in ms. */
export const HOUR_MS = 3_600_000;

/** Copies `files` into `dir` with modification times `startMs`, +1 h, +2 h, …; returns the copies' paths. */
export function stageDumps(files: readonly string[], dir: string, startMs: number, prefix = ''): string[] {
  return files.map((file, i) => {
    const to = join(dir, `${prefix}${basename(file)}`);
    copyFileSync(file, to);
    const t = (startMs + i * HOUR_MS) / 1000;
    utimesSync(to, t, t);
    return to;
  });
}

/** Relative tolerance of sums: an engine adds in its own order. */
const RELATIVE = 1e-9;

function close(a: number, b: number): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= RELATIVE * Math.max(Math.abs(a), Math.abs(b), 1);
}

/**
 * Asserts that two reports are equal, numbers within a relative 1e-9.
 * Arrays of rows with a `name` (or `size`) are compared as sets keyed by
 * it, since rows whose sort values tie within rounding may come in either
 * order; every other array is compared element by element.
 */
export function expectSameReport(actual: unknown, expected: unknown, where = 'report'): void {
  const problems: string[] = [];
  compare(actual, expected, where, problems);
  expect(problems.slice(0, 10), `${problems.length} differences`).toEqual([]);
}

function rowKey(row: unknown): string | undefined {
  if (row === null || typeof row !== 'object') return undefined;
  const r = row as Record<string, unknown>;
  if (typeof r.name === 'string') return r.name;
  if (typeof r.size === 'number' && 'count' in r) return String(r.size);
  return undefined;
}

function compare(a: unknown, b: unknown, path: string, problems: string[]): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (!close(a, b)) problems.push(`${path}: ${a} ≠ ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      problems.push(`${path}: ${a.length} elements ≠ ${b.length}`);
      return;
    }
    const keyed = b.length > 0 && b.every((x) => rowKey(x) !== undefined);
    if (keyed) {
      const mine = new Map(a.map((x) => [rowKey(x), x]));
      for (const x of b) {
        const k = rowKey(x) as string;
        if (!mine.has(k)) problems.push(`${path}: no row ${k}`);
        else compare(mine.get(k), x, `${path}[${k}]`, problems);
      }
      return;
    }
    b.forEach((x, i) => compare(a[i], x, `${path}[${i}]`, problems));
    return;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) compare((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, problems);
    return;
  }
  if (a !== b) problems.push(`${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`);
}

/**
 * A cluster for a test file: started before its tests, stopped after them
 * (with `scratch`, the file's temporary directory, removed). Returns the
 * running cluster's URL, for use in tests and hooks.
 */
export function clusterForTests(scratch?: string): () => string {
  let cluster: Cluster | undefined;
  beforeAll(() => {
    cluster = startCluster();
  }, 120_000);
  afterAll(() => {
    cluster?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });
  return () => {
    if (!cluster) throw new Error('the cluster has not started');
    return cluster.url;
  };
}
