/**
 * What the replay tests share: the replayer built before they run, test
 * "allocators" compiled from preload/*.c, traces written to a temporary
 * directory, and an independent count of a trace's live bytes after every
 * operation (a Map over pointers, as simple as it gets) to hold the
 * replayer's own count against.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectImporter, openInput, parseTrace, traceBuilder, type TraceImporter, type TraceSink } from '@heapscope/parser';

export const PACKAGE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const REPO = resolve(PACKAGE_DIR, '..', '..');

/** Builds heapscope-replayer when a source is newer than it (what `pnpm install` does). */
export function buildReplayer(): void {
  execFileSync(process.execPath, [join(PACKAGE_DIR, 'native', 'build.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** A temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'heapscope-replay-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `text` to `dir/name`; returns the path. */
export function writeTrace(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Compiles test/preload/<name>.c into a shared library in `dir`; returns its path. */
export function buildPreload(name: string, dir: string): string {
  const out = join(dir, `${name}.so`);
  execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', out, join(PACKAGE_DIR, 'test', 'preload', `${name}.c`)], { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

/**
 * The trace's live bytes after every operation the replay counts (index 0:
 * before the first), by a sink that keeps a Map of live pointers. An
 * allocation at a live pointer frees the old block first, as the replay does.
 */
export async function liveBytesAfterEachOp(path: string): Promise<number[]> {
  const live = new Map<string, number>();
  let bytes = 0;
  const after = [0];
  const key = (hi: number, lo: number) => `${hi}:${lo}`;
  const kill = (k: string) => {
    const size = live.get(k);
    if (size !== undefined) {
      bytes -= size;
      live.delete(k);
    }
  };
  const born = (k: string, size: number) => {
    kill(k);
    live.set(k, size);
    bytes += size;
  };
  const sink: TraceSink = {
    alloc(hi, lo, size) {
      born(key(hi, lo), size);
      after.push(bytes);
    },
    free(hi, lo) {
      if (hi !== 0 || lo !== 0) kill(key(hi, lo));
      after.push(bytes);
    },
    realloc(oldHi, oldLo, newHi, newLo, size) {
      kill(key(oldHi, oldLo));
      born(key(newHi, newLo), size);
      after.push(bytes);
    },
    allocUntracked() {},
    threadDone() {},
    sample() {},
  };
  const input = await openInput(path);
  const importer = detectImporter(input) as TraceImporter;
  await parseTrace(input, importer, traceBuilder(input, importer), sink);
  return after;
}
