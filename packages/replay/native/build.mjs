#!/usr/bin/env node
/**
 * Builds heapscope-replayer (packages/replay/build/heapscope-replayer) from
 * native/*.c with the system C compiler: `$CC` when set, else the first of
 * cc, gcc, clang that runs. `pnpm install` runs it (the package's "install"
 * script), and so does `bash scripts/setup.sh` through it; the tests run it
 * too. Nothing is done when the binary is newer than every source.
 *
 *   node packages/replay/native/build.mjs [--force]
 *
 * Without a compiler it fails with a message saying what to install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const packageDir = dirname(nativeDir);
const output = join(packageDir, 'build', 'heapscope-replayer');
const sources = readdirSync(nativeDir).filter((f) => /\.[ch]$/.test(f)).sort().map((f) => join(nativeDir, f));
const inputs = [...sources, fileURLToPath(import.meta.url)];

function fail(message) {
  process.stderr.write(`heapscope: cannot build the allocator replayer (packages/replay/native): ${message}\n`);
  process.exit(1);
}

function upToDate() {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((f) => statSync(f).mtimeMs <= built);
}

/** The first compiler that answers `--version`, as [command, ...its own words] ($CC may carry flags). */
function findCompiler() {
  const tried = [];
  const candidates = process.env.CC ? [process.env.CC] : [];
  candidates.push('cc', 'gcc', 'clang');
  for (const candidate of candidates) {
    const words = candidate.trim().split(/\s+/);
    tried.push(candidate);
    const probe = spawnSync(words[0], [...words.slice(1), '--version'], { stdio: 'ignore' });
    if (!probe.error && probe.status === 0) return words;
  }
  fail(
    `no C compiler found (tried ${tried.join(', ')}). Install one, for example \`apt-get install gcc\` ` +
      '(Debian, Ubuntu) or `dnf install gcc` (Fedora), or set CC; then run `pnpm install` again.',
  );
}

if (!process.argv.includes('--force') && upToDate()) process.exit(0);
const [cc, ...ccArgs] = findCompiler();
mkdirSync(dirname(output), { recursive: true });
const temp = `${output}.${process.pid}.tmp`;
const args = [...ccArgs, '-std=gnu11', '-O2', '-g', '-Wall', '-Wextra', '-pthread', '-o', temp, ...sources.filter((f) => f.endsWith('.c')), '-ldl'];
const result = spawnSync(cc, args, { encoding: 'utf8' });
if (result.error || result.status !== 0) {
  rmSync(temp, { force: true });
  fail(`${[cc, ...args].join(' ')} failed${result.error ? `: ${result.error.message}` : ''}\n${result.stderr ?? ''}`);
}
renameSync(temp, output);
