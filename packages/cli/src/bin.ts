/**
 * The `heapscope` program: the real process streams around `main()`.
 * Bundled into dist/heapscope.cjs, which the executable (launch.ts) runs.
 */
import { main } from './main.js';
import { removeTemporaryFilesOnSignals } from './output-file.js';
import { standardError, standardOutput, stderrFailed, watchStandardStreams } from './standard-streams.js';

// Ctrl-C (or a kill) leaves no partial output file: while an output is being
// written, its temporary file is removed first; at any other time the
// signal ends the process at once, however busy it is.
removeTemporaryFilesOnSignals();

watchStandardStreams();

// A CommonJS bundle has no top-level await.
void main(process.argv.slice(2), {
  stdout: standardOutput(),
  stderr: standardError(),
  stdin: process.stdin,
}).then((code) => {
  // Let pending writes to a pipe drain before exiting.
  process.exitCode = code === 0 && stderrFailed() ? 1 : code;
});
