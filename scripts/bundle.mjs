/**
 * Bundles the CLI (packages/cli/dist/bin.js, as compiled by tsc) and the
 * workspace packages it imports into one CommonJS file,
 * packages/cli/dist/heapscope.cjs, and the loading pipeline's reading worker
 * into packages/cli/dist/heapscope-read-worker.cjs, and the zstd decompression worker
 * into packages/cli/dist/heapscope-zstd-worker.cjs; packages/cli/dist/heapscope.mjs, the
 * launcher (src/launch.ts) that the `heapscope` command (bin/heapscope.mjs)
 * runs, loads it; and then writes the V8 code cache the launcher loads it
 * with (heapscope.cjs.cache), from a run of
 * `heapscope top` over a jemalloc and a gperftools fixture.
 *
 * Why: loading about a hundred separate ES modules costs a CLI run several
 * times what one bundle costs, and the bundle loads faster again from its
 * code cache — for a tool whose runs take under a second, a noticeable share
 * of the time (docs/BENCHMARKS.md#measured-design-choices). Dependencies that read files beside themselves
 * (speedscope's viewer) keep resolving from packages/cli, where the bundle
 * lives.
 *
 * The store (`heapscope ingest`, `--db`): DuckDB's native module stays
 * outside the bundle (esbuild cannot bundle a `.node` file) and resolves from
 * packages/cli, which declares it; the store's ingest reads its dumps on the
 * loading pipeline's reading worker, like every other command.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const cli = `${root}packages/cli/`;
// Native modules (DuckDB's bindings) and what loads them resolve at run time, from packages/cli's dependencies.
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', external: ['@duckdb/node-api'] };

await build({
  ...common,
  entryPoints: [`${cli}dist/bin.js`],
  outfile: `${cli}dist/heapscope.cjs`,
  format: 'cjs',
  sourcemap: 'linked',
  // The sources are ES modules: `import.meta.url` is the bundle's own URL.
  define: { 'import.meta.url': '__heapscopeUrl' },
  banner: { js: "const __heapscopeUrl = require('node:url').pathToFileURL(__filename).href;" },
});
// The workers, each a program of its own started once per worker thread, which their
// starters look for beside the bundle: the loading pipeline's reading worker
// (packages/analyzer/src/pipeline/read-pool.ts) and the zstd decompression worker
// (packages/parser/src/input/zstd-thread.ts).
for (const [entry, name] of [
  ['analyzer/dist/pipeline/read-worker.js', 'heapscope-read-worker.cjs'],
  ['parser/dist/input/zstd-worker.js', 'heapscope-zstd-worker.cjs'],
]) {
  await build({
    ...common,
    entryPoints: [`${root}packages/${entry}`],
    outfile: `${cli}dist/${name}`,
    format: 'cjs',
    sourcemap: 'linked',
    define: { 'import.meta.url': '__heapscopeUrl' },
    banner: { js: "const __heapscopeUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}
// The executable runs the program as a vm.Script, which has no loader for import().
const program = readFileSync(`${cli}dist/heapscope.cjs`, 'utf8');
const dynamicImport = /\bimport\(\s*["'`]/.exec(program);
if (dynamicImport) throw new Error(`dist/heapscope.cjs has a dynamic import() at offset ${dynamicImport.index}: use createRequire instead`);
await build({ ...common, entryPoints: [`${cli}dist/launch.js`], outfile: `${cli}dist/heapscope.mjs`, format: 'esm' });
rmSync(`${cli}dist/heapscope.mjs.map`, { force: true }); // from builds before the launcher

const cache = `${cli}dist/heapscope.cjs.cache`;
rmSync(cache, { force: true });
execFileSync(
  process.execPath,
  [`${cli}dist/heapscope.mjs`, 'top', '--no-symbolize', '-n', '5', `${root}fixtures/jemalloc/all/jeprof.24747.5.f.heap`, `${root}fixtures/gperftools/workload.0006.heap`],
  // Its warnings (the two inputs differ in format and sampling, on purpose:
  // both importers get compiled) are captured, and shown only if the run fails.
  { env: { ...process.env, HEAPSCOPE_WRITE_CODE_CACHE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
);
