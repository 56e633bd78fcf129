/**
 * The real `go tool pprof` reads every pprof file heapscope writes from the
 * fixture dumps and reports the same totals and the same top functions as
 * the reference tools did on the original dumps (jeprof for jemalloc,
 * google-pprof for gperftools; their outputs are in each fixture's golden/,
 * read as in reference-agreement.test.ts).
 *
 * go tool pprof runs with `-symbolize=none` and a private HOME, GOCACHE and
 * PPROF_TMPDIR, so it never reaches the network or the user's files. It
 * applies the file's `drop_frames` (the allocator entry points), which is
 * how it finds the same call sites as jeprof.
 *
 * pprof values are integers: heapscope rounds each sample's value (keeping
 * every total the exact total rounded), so a function's value may differ
 * from the reference's by less than one per sample of it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { FIXTURES, findFiles } from '../../parser/test/helpers/paths.js';
import { HAVE_GO, HEAP_TYPES, WORKLOAD_FUNCTIONS, goEnv, readReferenceText, type ReferenceRow } from '../../parser/test/helpers/reference-tools.js';

if (!HAVE_GO) console.warn('[heapscope tests] `go` not found (apt-get install golang-go): the go tool pprof agreement tests are skipped');

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const TYPES = HEAP_TYPES;

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-gopprof-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const env = () => goEnv(scratch);

type Row = ReferenceRow;

/** `go tool pprof -top -unit=B` output: "Showing nodes accounting for …, …% of TOTAL total", then rows. */
function readGoTop(text: string): { total: number; rows: Row[] } {
  const total = /of (-?[\d.]+)B? total/.exec(text);
  if (!total) throw new Error(`no total in go tool pprof output:\n${text}`);
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    // Shares may be printed as 9e-05%.
    const m = /^\s*(-?[\d.]+)B?\s+\S+%\s+\S+%\s+(-?[\d.]+)B?\s+\S+%\s+(.*)$/.exec(line);
    if (m) rows.push({ name: m[3].replace(/ \(inline\)$/, ''), flat: Number(m[1]), cum: Number(m[2]) });
  }
  return { total: Number(total[1]), rows };
}


const cases = [
  ...findFiles(join(FIXTURES, 'jemalloc'), /\.heap$/).map((dump) => ({ dump, tool: 'jeprof' })),
  ...findFiles(join(FIXTURES, 'gperftools'), /\.heap$/).map((dump) => ({ dump, tool: 'google-pprof' })),
];

describe.skipIf(!HAVE_GO)('go tool pprof on heapscope pprof output agrees with jeprof and google-pprof on the dumps', () => {
  it('has dumps', () => expect(cases.length).toBeGreaterThanOrEqual(18));

  cases.forEach(({ dump, tool }, n) => {
    it(dump.slice(FIXTURES.length + 1), async () => {
      const out = join(scratch, `${n}.pb.gz`);
      const r = await runCli(['convert', '--to', 'pprof', '--symbols', WORKLOAD, '-o', out, dump]);
      expect(r.code, r.stderr).toBe(0);
      for (const type of TYPES) {
        const golden = join(dirname(dump), 'golden', `${basename(dump)}.${type}.${tool}.txt`);
        const reference = readReferenceText(readFileSync(golden, 'utf8'));
        let text: string;
        try {
          text = execFileSync('go', ['tool', 'pprof', '-symbolize=none', '-top', '-unit=B', '-nodefraction=0', '-nodecount=1000000', `-sample_index=${type}`, out], {
            env: env(),
            stdio: ['ignore', 'pipe', 'pipe'],
          }).toString();
        } catch (error) {
          const e = error as { stderr?: Buffer };
          // A sample type the dump does not have (jemalloc without prof_accum) is not in the file either.
          if (/sample index .* out of range|sample_index .*(not|no) /i.test(e.stderr?.toString() ?? '') || reference.total === 0) continue;
          throw new Error(`go tool pprof failed on ${out} (${type}): ${e.stderr?.toString()}`);
        }
        const ours = readGoTop(text);
        const close = (a: number, b: number, slack = 1.5) => Math.abs(a - b) <= slack + 1e-9 * Math.abs(b);
        expect(close(ours.total, reference.total), `${type} total: go tool pprof ${ours.total}, ${tool} ${reference.total}`).toBe(true);
        for (const fn of WORKLOAD_FUNCTIONS) {
          const theirs = reference.rows.find((row) => row.name === fn);
          const mine = ours.rows.find((row) => row.name === fn);
          if (!theirs) {
            expect(mine === undefined || (close(mine.flat, 0) && close(mine.cum, 0)), `${type}: ${fn} only in go tool pprof`).toBe(true);
            continue;
          }
          expect(mine, `${type}: ${fn} missing from go tool pprof -top:\n${text}`).toBeDefined();
          expect(close(mine!.flat, theirs.flat, 3), `${type}: ${fn} flat ${mine!.flat} vs ${tool} ${theirs.flat}`).toBe(true);
          expect(close(mine!.cum, theirs.cum, 3), `${type}: ${fn} cum ${mine!.cum} vs ${tool} ${theirs.cum}`).toBe(true);
        }
        // Every call site gets the same value, whatever the two call library frames.
        const flats = (rows: Row[]) => rows.map((row) => row.flat).filter((v) => Math.abs(v) >= 1).sort((a, b) => a - b);
        const mineFlats = flats(ours.rows);
        const theirFlats = flats(reference.rows);
        expect(mineFlats.length, `${type}: ${text}`).toBe(theirFlats.length);
        mineFlats.forEach((v, i) => expect(close(v, theirFlats[i], 3), `${type}: flat ${v} vs ${theirFlats[i]}`).toBe(true));
      }
    });
  });
});
