/**
 * The reference tools the tests compare against: `go tool pprof`, and the
 * recorded `--text` output of jeprof and google-pprof (the golden/ folders of the fixtures).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** Whether `command args…` runs and exits 0 (a reference tool is installed). */
export function installed(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether `go` (golang-go, for `go tool pprof`) is installed. */
export const HAVE_GO = installed('go', ['version']);

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

/**
 * Expects heapscope's rows to agree with a reference tool's: flat and cum of
 * each of `functions` ({@link agrees}; a function the tool leaves out, as it
 * does rows that are zero, is zero or absent in heapscope's), and, unless
 * `flats` is false, the multiset of flat values of all rows — every value at
 * the same sites, even where the two name a library's frame differently.
 */
export function expectRowsAgree(ours: readonly ReferenceRow[], theirs: readonly ReferenceRow[], functions: readonly string[], flats = true): void {
  for (const fn of functions) {
    const reference = theirs.find((row) => row.name === fn);
    const mine = ours.find((row) => row.name === fn);
    if (!reference) {
      expect(mine === undefined || (agrees(mine.flat, 0) && agrees(mine.cum, 0)), `${fn} only in heapscope`).toBe(true);
      continue;
    }
    expect(mine, `${fn} missing`).toBeDefined();
    expect(agrees(mine!.flat, reference.flat), `${fn} flat ${mine!.flat} vs ${reference.flat}`).toBe(true);
    expect(agrees(mine!.cum, reference.cum), `${fn} cum ${mine!.cum} vs ${reference.cum}`).toBe(true);
  }
  if (!flats) return;
  const sorted = (rows: readonly ReferenceRow[]) => rows.map((row) => row.flat).filter((v) => Math.abs(v) >= 1).sort((a, b) => a - b);
  const [mineFlats, theirFlats] = [sorted(ours), sorted(theirs)];
  expect(mineFlats.length, `sites: ${JSON.stringify(ours)}`).toBe(theirFlats.length);
  mineFlats.forEach((v, i) => expect(agrees(v, theirFlats[i]), `flat ${v} vs ${theirFlats[i]}`).toBe(true));
}

/** A `go tool pprof -top` report: the total and one row per function. */
export interface GoTop {
  /** "of TOTAL total": the sum of the samples' absolute values. */
  total: number;
  /** "accounting for SHOWN": the sum of the rows' flat values (every row, with nodefraction=0). */
  shown: number;
  rows: ReferenceRow[];
  /** The report as printed, for failure messages. */
  text: string;
}

/**
 * `go tool pprof -top` of `file` for each sample type, from one run of
 * pprof's interactive shell (commands on stdin) instead of one process per
 * type: exact values (`unit=B`: no kB/MB rounding; counts get a `B` suffix,
 * stripped here), every node (`nodefraction=0`, no node limit), addresses
 * left unsymbolized. A type the file does not have makes the run fail.
 * `settings` are more of the shell's settings (`granularity=lines`).
 */
export function goPprofTops(file: string, types: readonly string[], env: NodeJS.ProcessEnv, settings: readonly string[] = []): Map<string, GoTop> {
  const commands = ['nodecount=1000000000', 'nodefraction=0', 'edgefraction=0', 'unit=B', ...settings, ...types.flatMap((t) => [`sample_index=${t}`, 'top']), 'quit'];
  let out: string;
  try {
    out = execFileSync('go', ['tool', 'pprof', '-symbolize=none', file], { env, input: commands.join('\n') + '\n', stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  } catch (error) {
    const e = error as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`go tool pprof failed on ${file}: ${e.stderr?.toString()}${e.stdout?.toString()}`);
  }
  // Each `top` prints "Showing nodes accounting for …, …% of TOTAL total", then the table.
  const reports = out.split(/(?=Showing nodes accounting for )/).slice(1);
  if (reports.length !== types.length) throw new Error(`go tool pprof printed ${reports.length} reports for ${types.length} sample types on ${file}:\n${out}`);
  const tops = new Map<string, GoTop>();
  reports.forEach((text, i) => {
    const head = /^Showing nodes accounting for (-?[\d.]+)B?, .* of (-?[\d.]+)B? total/.exec(text);
    if (!head) throw new Error(`no total in go tool pprof output:\n${text}`);
    const rows: ReferenceRow[] = [];
    for (const line of text.split('\n')) {
      // Shares may be printed as 9e-05%.
      const m = /^\s*(-?[\d.]+)B?\s+\S+%\s+\S+%\s+(-?[\d.]+)B?\s+\S+%\s+(.*)$/.exec(line);
      // A function both inlined and not is marked "(partial-inline)".
      if (m) rows.push({ name: m[3].replace(/ \((partial-)?inline\)$/, ''), flat: Number(m[1]), cum: Number(m[2]) });
    }
    tops.set(types[i], { total: Number(head[2]), shown: Number(head[1]), rows, text });
  });
  return tops;
}
