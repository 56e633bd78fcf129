/**
 * Choosing allocators from the command line's options, finding their
 * libraries, and building the replayer (what happens without a compiler).
 */
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOCATORS, KNOWN_ALLOCATORS, ReplayOptionError, chooseAllocators, resolveAllocators } from '@heapscope/replay';
import { PACKAGE_DIR, buildReplayer } from './helpers.js';

describe('chooseAllocators', () => {
  it('defaults to glibc, jemalloc, tcmalloc and mimalloc, in that order', () => {
    expect(chooseAllocators().map((c) => [c.name, c.library])).toEqual([
      ['glibc', null],
      ['jemalloc', 'libjemalloc.so.2'],
      ['tcmalloc', 'libtcmalloc_minimal.so.4'],
      ['mimalloc', 'libmimalloc.so.2'],
    ]);
    expect(DEFAULT_ALLOCATORS).toEqual(Object.keys(KNOWN_ALLOCATORS));
  });

  it('adds --preload allocators, points a known name at another build, and scopes --env', () => {
    const choices = chooseAllocators({
      allocators: 'glibc, jemalloc',
      preload: ['hoard=/opt/hoard/libhoard.so', 'jemalloc=/opt/je/lib/libjemalloc.so.2'],
      env: ['jemalloc:MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0', 'hoard:A=1=2', 'EVERYONE=yes'],
    });
    expect(choices).toEqual([
      { name: 'glibc', library: null, env: { EVERYONE: 'yes' } },
      { name: 'jemalloc', library: '/opt/je/lib/libjemalloc.so.2', env: { MALLOC_CONF: 'dirty_decay_ms:0,muzzy_decay_ms:0', EVERYONE: 'yes' } },
      { name: 'hoard', library: '/opt/hoard/libhoard.so', env: { A: '1=2', EVERYONE: 'yes' } },
    ]);
  });

  it.each([
    [{ allocators: 'glibc,,jemalloc' }, '--allocators expects a comma-separated list of allocator names'],
    [{ allocators: 'glibc,glibc' }, 'allocator "glibc" is listed twice'],
    [{ allocators: 'tbbmalloc' }, 'unknown allocator "tbbmalloc" (known: glibc, jemalloc, tcmalloc, mimalloc; others need --preload tbbmalloc=LIBRARY)'],
    [{ preload: ['libhoard.so'] }, '--preload expects NAME=LIBRARY (a path or a soname), got "libhoard.so"'],
    [{ preload: ['glibc=/lib/libc.so.6'] }, '--preload glibc=…: glibc is the allocator with nothing preloaded; give the other allocator another name'],
    [{ env: ['NOEQUALS'] }, '--env expects [ALLOCATOR:]VARIABLE=VALUE, got "NOEQUALS"'],
    [{ env: ['jemalloc:1BAD=x'] }, '--env expects [ALLOCATOR:]VARIABLE=VALUE, got "jemalloc:1BAD=x"'],
    [{ env: ['tcmalloc:X=1'], allocators: 'glibc' }, '--env tcmalloc:X=1: allocator "tcmalloc" is not among those run (glibc)'],
    [{ env: ['LD_PRELOAD=/x.so'] }, '--env LD_PRELOAD=…: the allocator decides LD_PRELOAD; use --preload NAME=LIBRARY'],
  ])('rejects %j', (selection, message) => {
    expect(() => chooseAllocators(selection)).toThrow(new ReplayOptionError(message));
  });
});

describe('resolveAllocators', () => {
  // scripts/setup.sh installs libjemalloc2, libtcmalloc-minimal4 and libmimalloc2.0.
  it("finds the known allocators' libraries on this machine", () => {
    for (const allocator of resolveAllocators(chooseAllocators())) {
      expect(allocator.error).toBeNull();
      if (allocator.library === null) continue;
      expect(basename(allocator.path!)).toBe(allocator.library);
      expect(statSync(allocator.path!).isFile()).toBe(true);
    }
  });

  it('names the missing library and its Debian package', () => {
    const [missing] = resolveAllocators([{ name: 'jemalloc', library: 'libjemalloc.so.99', env: {} }]);
    expect(missing.error).toMatch(/^jemalloc: libjemalloc\.so\.99 not found; looked in ldconfig -p and /);
    const [known] = resolveAllocators([{ name: 'tcmalloc', library: '/nonexistent/libtcmalloc_minimal.so.4', env: {} }]);
    expect(known.error).toBe('tcmalloc: /nonexistent/libtcmalloc_minimal.so.4 not found; looked in /nonexistent/libtcmalloc_minimal.so.4');
  });
});

describe('native/build.mjs', () => {
  it('says what to install when there is no C compiler, and leaves the replayer as it was', () => {
    buildReplayer();
    const binary = join(PACKAGE_DIR, 'build', 'heapscope-replayer');
    const before = statSync(binary).mtimeMs;
    const env = { ...process.env, PATH: '/nonexistent-bin' };
    delete env.CC;
    const run = spawnSync(process.execPath, [join(PACKAGE_DIR, 'native', 'build.mjs'), '--force'], { env, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      'heapscope: cannot build the allocator replayer (packages/replay/native): no C compiler found (tried cc, gcc, clang). ' +
        'Install one, for example `apt-get install gcc` (Debian, Ubuntu) or `dnf install gcc` (Fedora), or set CC; then run `pnpm install` again.\n',
    );
    expect(existsSync(binary) && statSync(binary).mtimeMs).toBe(before);
  });
});
