/**
 * The `heapscope` program: the real process streams around `main()`.
 * Bundled into dist/heapscope.cjs, which the executable (launch.ts) runs.
 */
import { main } from './main.js';
import { removeTemporaryFiles } from './io.js';

// Ctrl-C (or a kill) leaves no partial output file: temporary files are
// removed, and an existing output is never replaced by a partial one.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    removeTemporaryFiles();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

// `pnpm heapscope …` runs this from the repository root; resolve relative
// paths against the directory the user typed the command in.
if (process.env.npm_lifecycle_event === 'heapscope' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

// A reader that stops early (`heapscope top … | head`) closes the pipe:
// that ends the report, it is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// A CommonJS bundle has no top-level await.
void main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
}).then((code) => {
  // Let pending writes to a pipe drain before exiting.
  process.exitCode = code;
});
