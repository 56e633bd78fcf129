#!/usr/bin/env node
// The `heapscope` command (package.json "bin"): runs the launcher the build
// writes, dist/heapscope.mjs (src/launch.ts). This file is committed, not
// built, so that `pnpm install` in a fresh clone can link the command before
// the build has run; a symlink to it (scripts/install-command.sh) works too,
// since Node runs the file a link points to, from its own directory.
const launcher = new URL('../dist/heapscope.mjs', import.meta.url);
try {
  await import(launcher.href);
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || error.url !== launcher.href) throw error;
  process.stderr.write(`heapscope: ${launcher.pathname} is missing: run \`pnpm build\` in the repository\n`);
  process.exitCode = 1;
}
