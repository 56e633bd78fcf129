/**
 * @heapscope/cli — the `heapscope` command line, usable in process.
 */
export { main, buildProgram, VERSION } from './main.js';
export * from './io.js';
export * from './report-output.js';
