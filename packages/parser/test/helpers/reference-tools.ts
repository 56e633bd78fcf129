/**
 * The reference tools the tests compare against: `go tool pprof`, and the
 * recorded `--text` output of jeprof and google-pprof (the golden/ folders of the fixtures).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Whether `go` (golang-go, for `go tool pprof`) is installed. */
export const HAVE_GO = (() => {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** An environment that keeps `go tool pprof` local: its own HOME and caches under `scratch`, no network, no symbolization. */
export function goEnv(scratch: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = join(scratch, 'home');
  mkdirSync(join(home, 'tmp'), { recursive: true });
  return {
    PATH: process.env.PATH,
    HOME: home,
    GOCACHE: join(home, 'gocache'),
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    PPROF_TMPDIR: join(home, 'tmp'),
    PPROF_BINARY_PATH: join(home, 'none'),
    ...extra,
  };
}

/** The four heap sample types. */
export const HEAP_TYPES = ['inuse_space', 'inuse_objects', 'alloc_space', 'alloc_objects'];
/** Functions defined in fixtures/src/workload.c. */
export const WORKLOAD_FUNCTIONS = ['leak_site', 'steady_site', 'churn_site', 'odd_size_site', 'realloc_site', 'make_node', 'inlined_site', 'main', 'worker_main'];

/** A function's row in a reference tool's `--text` or `-top` output. */
export interface ReferenceRow {
  name: string;
  flat: number;
  cum: number;
}

/** Reads jeprof/google-pprof `--text --show_bytes` output: "Total: N B|objects", then "flat flat% sum% cum cum% name" rows. */
export function readReferenceText(text: string): { total: number; rows: ReferenceRow[] } {
  const lines = text.trimEnd().split('\n');
  const total = /^Total: (-?\d+) /.exec(lines[0]);
  if (!total) throw new Error(`no "Total:" line in ${lines[0]}`);
  const rows = lines.slice(1).map((line) => {
    const m = /^\s*(-?\d+)\s+\S+%\s+\S+%\s+(-?\d+)\s+\S+%\s+(.*)$/.exec(line);
    if (!m) throw new Error(`unexpected reference line: ${line}`);
    // jeprof marks inlined frames "(inline)"; nm -D names carry symbol versions.
    const name = m[3].replace(/ \(inline\)$/, '').replace(/@@?[A-Z][A-Za-z0-9_.]*$/, '');
    return { name, flat: Number(m[1]), cum: Number(m[2]) };
  });
  return { total: Number(total[1]), rows };
}

/** The reference tools print integers (Perl `%d`): values agree when they differ by less than 1. */
export const agrees = (ours: number, theirs: number) => Math.abs(ours - theirs) < 1 + 1e-9 * Math.abs(theirs);
