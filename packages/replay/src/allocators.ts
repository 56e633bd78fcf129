/**
 * Which allocators a replay or a trial runs, and where their libraries are.
 *
 * An allocator is a name and a shared library that LD_PRELOAD puts in front
 * of libc's malloc (glibc: nothing preloaded). The four heapscope knows come
 * from Debian packages; `--preload NAME=LIB` adds any other (or points a
 * known name at another build), and `--env [NAME:]VAR=VALUE` sets tuning
 * variables for one allocator's runs (or for all).
 *
 * Libraries named without a slash are found as the dynamic linker would:
 * in `ldconfig -p` (entries for this machine's architecture), then in the
 * standard multiarch and library directories.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** An allocator heapscope knows by name. */
export interface KnownAllocator {
  /** The library to preload (a soname), or null for the system allocator. */
  soname: string | null;
  /** The Debian package that provides it. */
  debianPackage: string;
}

/** The allocators known by name. */
export const KNOWN_ALLOCATORS: Readonly<Record<string, KnownAllocator>> = {
  glibc: { soname: null, debianPackage: 'libc6' },
  jemalloc: { soname: 'libjemalloc.so.2', debianPackage: 'libjemalloc2' },
  tcmalloc: { soname: 'libtcmalloc_minimal.so.4', debianPackage: 'libtcmalloc-minimal4' },
  mimalloc: { soname: 'libmimalloc.so.2', debianPackage: 'libmimalloc2.0' },
};

/** The allocators a replay or trial runs when none are named (`--allocators`' default). */
export const DEFAULT_ALLOCATORS: readonly string[] = ['glibc', 'jemalloc', 'tcmalloc', 'mimalloc'];

/** The allocator options as the command line gives them. */
export interface AllocatorSelection {
  /** Names, in run order (a list or a comma-separated string); default {@link DEFAULT_ALLOCATORS}. */
  allocators?: readonly string[] | string;
  /** `NAME=LIB`: adds allocator NAME preloading LIB (a path or a soname), or points a known NAME at LIB. */
  preload?: readonly string[];
  /** `NAME:VAR=VALUE` (one allocator's runs) or `VAR=VALUE` (every run). */
  env?: readonly string[];
}

/** One allocator to run. */
export interface AllocatorChoice {
  name: string;
  /** The library as named (soname or path); null for the system allocator. */
  library: string | null;
  /** Environment variables of its runs. */
  env: Record<string, string>;
}

/** An allocator with its library found (or the reason it was not). */
export interface ResolvedAllocator extends AllocatorChoice {
  /** Absolute path of the library to preload (as found, symbolic links kept); null for the system allocator or when not found. */
  path: string | null;
  /** Why the allocator cannot run (library missing); null when it can. */
  error: string | null;
}

/** A malformed replay or trial option (the CLI reports it as a usage error). */
export class ReplayOptionError extends Error {
  override readonly name = 'ReplayOptionError';
}

const NAME = /^[A-Za-z0-9_.+-]+$/;
const VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Turns the command line's allocator options into the allocators to run, in order. */
export function chooseAllocators(selection: AllocatorSelection = {}): AllocatorChoice[] {
  const listed = selection.allocators === undefined ? [...DEFAULT_ALLOCATORS] : typeof selection.allocators === 'string' ? selection.allocators.split(',') : [...selection.allocators];
  const names = listed.map((n) => n.trim());
  if (names.length === 0 || names.some((n) => n === '')) throw new ReplayOptionError('--allocators expects a comma-separated list of allocator names');
  const preloads = new Map<string, string>();
  for (const spec of selection.preload ?? []) {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, eq);
    const library = spec.slice(eq + 1);
    if (eq <= 0 || !NAME.test(name) || library === '') throw new ReplayOptionError(`--preload expects NAME=LIBRARY (a path or a soname), got "${spec}"`);
    if (name === 'glibc') throw new ReplayOptionError('--preload glibc=…: glibc is the allocator with nothing preloaded; give the other allocator another name');
    preloads.set(name, library);
    if (!names.includes(name)) names.push(name);
  }
  const seen = new Set<string>();
  const choices: AllocatorChoice[] = names.map((name) => {
    if (!NAME.test(name)) throw new ReplayOptionError(`invalid allocator name "${name}"`);
    if (seen.has(name)) throw new ReplayOptionError(`allocator "${name}" is listed twice`);
    seen.add(name);
    const known = KNOWN_ALLOCATORS[name];
    const library = preloads.get(name) ?? known?.soname;
    if (library === undefined) {
      throw new ReplayOptionError(`unknown allocator "${name}" (known: ${Object.keys(KNOWN_ALLOCATORS).join(', ')}; others need --preload ${name}=LIBRARY)`);
    }
    return { name, library, env: {} };
  });
  for (const spec of selection.env ?? []) {
    const scoped = /^([^:=]+):([^=]+)=(.*)$/s.exec(spec);
    const global = /^([^=]+)=(.*)$/s.exec(spec);
    const [target, variable, value] = scoped ? [scoped[1], scoped[2], scoped[3]] : global ? [null, global[1], global[2]] : [null, '', ''];
    if (!VAR.test(variable) || (!scoped && !global)) throw new ReplayOptionError(`--env expects [ALLOCATOR:]VARIABLE=VALUE, got "${spec}"`);
    if (variable === 'LD_PRELOAD') throw new ReplayOptionError('--env LD_PRELOAD=…: the allocator decides LD_PRELOAD; use --preload NAME=LIBRARY');
    const targets = target === null ? choices : choices.filter((c) => c.name === target);
    if (targets.length === 0) throw new ReplayOptionError(`--env ${spec}: allocator "${target}" is not among those run (${choices.map((c) => c.name).join(', ')})`);
    for (const c of targets) c.env[variable] = value;
  }
  return choices;
}

/** The Debian multiarch directory name of this machine's architecture. */
function multiarchTriplet(): string | null {
  const triplets: Record<string, string> = {
    x64: 'x86_64-linux-gnu',
    arm64: 'aarch64-linux-gnu',
    arm: 'arm-linux-gnueabihf',
    ia32: 'i386-linux-gnu',
    ppc64: 'powerpc64le-linux-gnu',
    s390x: 's390x-linux-gnu',
    riscv64: 'riscv64-linux-gnu',
  };
  return triplets[process.arch] ?? null;
}

/** How `ldconfig -p` tags libraries of this machine's architecture (null: take any). */
function ldconfigArchTag(): string | null {
  const tags: Record<string, string> = { x64: 'x86-64', arm64: 'AArch64', ppc64: 'ppc64', s390x: '64bit', riscv64: 'riscv64' };
  return tags[process.arch] ?? null;
}

/** The directories searched after `ldconfig -p`, in order. */
export function libraryDirectories(): string[] {
  const triplet = multiarchTriplet();
  const dirs = triplet ? [`/usr/lib/${triplet}`, `/lib/${triplet}`] : [];
  return [...dirs, '/usr/lib64', '/lib64', '/usr/local/lib', '/usr/lib', '/lib'];
}

/** `ldconfig -p`'s soname → path entries for this architecture (empty when ldconfig cannot be run). */
function ldconfigEntries(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const run = spawnSync(ldconfig, ['-p'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    if (run.error || run.status !== 0) continue;
    const tag = ldconfigArchTag();
    // "\tlibjemalloc.so.2 (libc6,x86-64) => /lib/x86_64-linux-gnu/libjemalloc.so.2"
    for (const line of run.stdout.split('\n')) {
      const m = /^\s*(\S+) \(([^)]*)\) => (.+)$/.exec(line);
      if (!m || entries.has(m[1])) continue;
      if (tag !== null && !m[2].split(',').includes(tag)) continue;
      entries.set(m[1], m[3].trim());
    }
    break;
  }
  return entries;
}

/**
 * Finds every chosen allocator's library. A library that is missing is not
 * an exception: the allocator gets an `error` and the others still run.
 */
export function resolveAllocators(choices: readonly AllocatorChoice[]): ResolvedAllocator[] {
  let ldconfig: Map<string, string> | undefined;
  return choices.map((choice) => {
    if (choice.library === null) return { ...choice, path: null, error: null };
    const library = choice.library;
    const missing = (where: string) => {
      const pkg = KNOWN_ALLOCATORS[choice.name]?.soname === library ? ` (Debian package ${KNOWN_ALLOCATORS[choice.name].debianPackage})` : '';
      return { ...choice, path: null, error: `${choice.name}: ${library} not found${pkg}; looked in ${where}` };
    };
    if (library.includes('/')) {
      const path = resolve(library);
      return existsSync(path) ? { ...choice, path, error: null } : missing(path);
    }
    ldconfig ??= ldconfigEntries();
    const listed = ldconfig.get(library);
    if (listed !== undefined && existsSync(listed)) return { ...choice, path: listed, error: null };
    for (const dir of libraryDirectories()) {
      const path = join(dir, library);
      if (existsSync(path)) return { ...choice, path, error: null };
    }
    return missing(`ldconfig -p and ${libraryDirectories().join(', ')}`);
  });
}
