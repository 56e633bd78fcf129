/**
 * The real C++ program of the real-capture benchmarks: cppcheck, the
 * Debian package (C++17, linked against libstdc++, libtinyxml2 and libpcre,
 * built without frame pointers, stripped), checking real C sources that a
 * Debian package installs: the cgo C files of the Go distribution
 * (golang-1.19-src, which `go` itself depends on; `go tool pprof` is one
 * of the reference tools, so it is there).
 *
 * Every generator of a cppcheck input runs the same program with the same
 * options (`CPPCHECK_ARGS`); they differ in the files checked, because
 * what each profiler writes per allocation differs by orders of
 * magnitude: a perf record with a 127-frame callchain is about 2 KiB of
 * text, a jemalloc stack is written once however often it allocates.
 *
 * `ensureCppcheck` installs the package with apt-get when it is missing
 * and the generator runs as root (as `scripts/setup.sh` installs the other
 * tools); otherwise it says what to install.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { run, which } from './exec.mjs';

/** The program, as Debian installs it. */
export const CPPCHECK = '/usr/bin/cppcheck';

/**
 * Options of every profiled cppcheck run: quiet, every checker (more code
 * paths, so more distinct stacks), inconclusive findings too. Findings go
 * to stderr, which the generators discard; cppcheck exits 0 whatever it
 * finds.
 */
export const CPPCHECK_ARGS = ['-q', '--enable=all', '--inconclusive'];

/**
 * What cppcheck checks, relative to GOROOT (`go env GOROOT`):
 * * `snapshots`: the cgo runtime and the cgo tests, 95 C files, 127 KB —
 *   about 3.7 M allocations, 40k distinct allocation stacks (jemalloc,
 *   gperftools and heaptrack inputs);
 * * `perf`: the largest single cgo file, 6 KB — about 0.35 M
 *   allocation and free records (the perf captures, some 600 MB of text
 *   with frame-pointer callchains);
 * * `perfSmall`: a 1 KB cgo test file — about 48k records (`--quick`).
 */
export const SOURCES = {
  snapshots: ['src/runtime/cgo', 'misc/cgo'],
  perf: ['src/runtime/cgo/gcc_signal_ios_arm64.c'],
  perfSmall: ['misc/cgo/test/callback_c.c'],
};

/** Version commands for the record. */
export const CPPCHECK_TOOLS = {
  cppcheck: ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'cppcheck'],
  'golang-1.19-src': ['sh', '-c', "dpkg-query -W -f '${Package} ${Version}\\n' 'golang-*-src' | head -1"],
};

function debianInstall(pkg, log) {
  if (process.getuid?.() !== 0 || !which('apt-get')) return false;
  log(`apt-get install -y --no-install-recommends ${pkg}`);
  return run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', pkg], { env: { DEBIAN_FRONTEND: 'noninteractive' } }).then(
    () => true,
    (error) => {
      throw new Error(`${pkg} is not installed and apt-get install ${pkg} failed: ${error.message.split('\n')[0]}`);
    },
  );
}

/**
 * Makes sure cppcheck and the Go sources are installed (installing
 * cppcheck when root), and returns { argv(set), goroot, files(set) }:
 * `argv(set)` is the cppcheck command line for source set `set` of
 * SOURCES, with absolute paths.
 */
export async function ensureCppcheck(log) {
  if (!existsSync(CPPCHECK)) {
    if (!(await debianInstall('cppcheck', log))) throw new Error(`${CPPCHECK} not found: apt-get install cppcheck (as root)`);
    if (!existsSync(CPPCHECK)) throw new Error(`apt-get install cppcheck did not install ${CPPCHECK}`);
  }
  if (!which('go')) throw new Error('go not found: apt-get install golang-go (its golang-1.*-src package holds the C sources cppcheck checks)');
  const goroot = (await run(['go', 'env', 'GOROOT'])).stdout.trim();
  const files = (set) => SOURCES[set].map((rel) => path.join(goroot, rel));
  const missing = Object.keys(SOURCES).flatMap(files).filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`the Go sources cppcheck checks are missing (${missing.join(', ')}): apt-get install golang-go`);
  return { goroot, files, argv: (set) => [CPPCHECK, ...CPPCHECK_ARGS, ...files(set)] };
}

/**
 * argv running `argv` with ASLR off (setarch -R), the environment reset to
 * PATH and `vars` (NAME=VALUE strings) applied by `env` after setarch, so
 * that setarch itself is not profiled (as fixtures/scripts/lib.sh runs the
 * fixture workloads).
 */
export function profiledArgv(vars, argv) {
  const setarch = which('setarch') ? ['setarch', '-R'] : [];
  return ['env', '-i', `PATH=${process.env.PATH}`, ...setarch, 'env', ...vars, ...argv];
}

/** The source set as the report shows it: paths relative to GOROOT. */
export function describeSources(set) {
  return `cppcheck ${CPPCHECK_ARGS.join(' ')} ${SOURCES[set].map((s) => `$GOROOT/${s}`).join(' ')}`;
}
