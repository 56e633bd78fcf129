#!/usr/bin/env node
/**
 * The `heapscope` launcher (dist/heapscope.mjs, which the command
 * bin/heapscope.mjs runs): loads the bundled program (dist/heapscope.cjs, see
 * scripts/bundle.mjs) with the V8 code cache the build wrote beside it.
 *
 * Why: compiling the whole program is a noticeable part of every run, even of
 * `heapscope top` on a large dump (docs/BENCHMARKS.md#measured-design-choices);
 * from the cache, V8 deserializes the compiled code instead. A cache that does not match this Node (another
 * version, other V8 flags) is rejected by V8 and the program compiles as
 * usual; a missing one is no error either.
 */
import { fileURLToPath } from 'node:url';
import { programScript } from './program-script.js';

/** Set by the build: write the code cache when the run ends. */
const WRITE_CACHE = 'HEAPSCOPE_WRITE_CODE_CACHE';

const program = programScript(fileURLToPath(new URL('./heapscope.cjs', import.meta.url)));
if (process.env[WRITE_CACHE] === '1') {
  // After the run, so the functions it compiled are in the cache too.
  process.once('exit', () => program.writeCache());
}
program.run();
