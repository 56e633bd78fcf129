/**
 * What the main thread and the ingest workers say to each other, and the
 * rule for a profile's time that both sides use.
 */
import { ParseError, type HeapProfile } from '@heapscope/parser';
import type { StoreLoadOptions } from './load.js';
import type { ProfileRows, TimeSource } from './profile-rows.js';

/** Given to every worker when it starts. */
export interface WorkerSetup {
  load: StoreLoadOptions;
  labels: Record<string, string>;
  /** The time for dumps that record none (ms since the epoch), or null: their file's mtime. */
  timeMs: number | null;
}

/** One dump to read. */
export interface WorkerTask {
  task: number;
  path: string;
}

/** A worker's answer for one task. */
export type WorkerReply =
  | { task: number; ok: true; rows: ProfileRows; bytes: number; warnings: string[] }
  | {
      task: number;
      ok: false;
      error: { kind: 'parse'; message: string; file: string; line: number; reason: string; format?: string } | { kind: 'other'; message: string; name: string };
    };

/** The error a worker reported, rebuilt on the main thread (a ParseError stays one). */
export function replyError(reply: Extract<WorkerReply, { ok: false }>): Error {
  const e = reply.error;
  if (e.kind === 'parse') return new ParseError(e.file, e.line, e.reason, e.format);
  const error = new Error(e.message);
  error.name = e.name;
  return error;
}

/**
 * Pprof's `time_nanos` before 2000-01-01 is not a wall-clock time (a
 * producer that counts from its own start): the dump's time is then unknown.
 */
const WALL_CLOCK_FROM_NS = Date.UTC(2000, 0, 1) * 1e6;

/**
 * A profile's time: the dump's own when its producer records a wall-clock
 * time, else the time given, else the file's modification time.
 */
export function resolveTime(profile: HeapProfile, mtimeMs: number | null, givenMs: number | null): { timeMs: number; timeSource: TimeSource } {
  const ns = profile.meta.timeNs;
  if (ns !== undefined && ns >= WALL_CLOCK_FROM_NS) return { timeMs: Math.round(ns / 1e6), timeSource: 'dump' };
  if (givenMs !== null) return { timeMs: givenMs, timeSource: 'given' };
  if (mtimeMs !== null) return { timeMs: Math.round(mtimeMs), timeSource: 'mtime' };
  throw new ParseError(profile.meta.file, 1, 'the dump records no time and has no file to take one from: give a time', profile.meta.format);
}
