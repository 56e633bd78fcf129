#!/usr/bin/env node
/**
 * The `heapscope` executable: the real process streams around `main()`.
 */
import { main } from './main.js';

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
// Let pending writes to a pipe drain before exiting.
process.exitCode = code;
