/**
 * `pnpm heapscope …` from inside the repository prints heapscope's output and
 * nothing else: no script banner on stdout, no error footer on stderr, the
 * exit code heapscope's, relative paths from the directory it is run in —
 * byte for byte what the command itself prints, for JSON, for binary pprof,
 * with stdin, and on a usage error. (The workspace root depends on
 * @heapscope/cli, so pnpm runs the `heapscope` binary as `pnpm exec` would,
 * not a package.json script.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '@heapscope/testkit/paths';
import { hasCommand, runProcess, userEnv } from './run-process.js';

const BIN = fileURLToPath(new URL('../bin/heapscope.mjs', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/heapscope.cjs', import.meta.url)));
const pnpm = hasCommand('pnpm');
if (!built) console.warn('[heapscope tests] packages/cli/dist is not built (run pnpm build): the pnpm heapscope tests are skipped');
if (!pnpm) console.warn('[heapscope tests] pnpm is not on PATH: the pnpm heapscope tests are skipped');

describe.skipIf(!built || !pnpm)('pnpm heapscope', () => {
  // A subdirectory of the repository, and a path relative to it.
  const cwd = join(FIXTURES, 'jemalloc', 'all');
  const dump = 'jeprof.24747.5.f.heap';
  const env = userEnv();

  /** `pnpm heapscope args` and the command itself (`heapscope args`), both from `cwd`. */
  async function both(args: string[], input?: Uint8Array) {
    const [viaPnpm, direct] = await Promise.all([
      runProcess('pnpm', ['heapscope', ...args], { cwd, env, input }),
      runProcess(process.execPath, [BIN, ...args], { cwd, env, input }),
    ]);
    return { viaPnpm, direct };
  }

  it('prints the JSON report and nothing else', async () => {
    const { viaPnpm, direct } = await both(['top', '--format', 'json', '--no-symbolize', dump]);
    expect(viaPnpm.stderr).toBe('');
    expect(viaPnpm.code).toBe(0);
    expect(viaPnpm.stdout.toString()).toBe(direct.stdout.toString());
    expect(JSON.parse(viaPnpm.stdout.toString()).rows.length).toBeGreaterThan(0);
  });

  it('writes binary pprof to a pipe unchanged', async () => {
    const { viaPnpm, direct } = await both(['convert', '--to', 'pprof', '--no-symbolize', dump]);
    expect(viaPnpm.stderr).toBe('');
    expect(viaPnpm.stdout.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(viaPnpm.stdout.equals(direct.stdout)).toBe(true);
  });

  it('reads stdin', async () => {
    const { viaPnpm, direct } = await both(['top', '-n', '3', '--no-symbolize', '-'], readFileSync(join(cwd, dump)));
    expect(viaPnpm.stderr).toBe('');
    expect(viaPnpm.stdout.toString()).toMatch(/^-: inuse_space total/);
    expect(viaPnpm.stdout.toString()).toBe(direct.stdout.toString());
  });

  it('passes a usage error through as heapscope reports it: one line, exit 2', async () => {
    const { viaPnpm, direct } = await both(['top', '-n', 'abc', dump]);
    expect(viaPnpm.code).toBe(2);
    expect(viaPnpm.stdout.length).toBe(0);
    expect(viaPnpm.stderr).toBe(direct.stderr);
    expect(viaPnpm.stderr).toMatch(/^heapscope: [^\n]*\n$/);
  });
});
