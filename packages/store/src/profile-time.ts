/**
 * A profile's time in the store: the dump's own, the one given, or the
 * file's modification time.
 */
import { ParseError, type HeapProfile } from '@heapscope/parser';
import type { TimeSource } from './profile-rows.js';

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
