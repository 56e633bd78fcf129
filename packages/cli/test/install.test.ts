/**
 * heapscope installs as a command. `pnpm -r pack` gives one tarball per
 * workspace package (every package under packages/*, new ones included)
 * whose manifest a registry would take: real version ranges, engines, types,
 * exports, bin, files that exist, no build caches. `npm install -g` of all of
 * them, into a temporary prefix and with heapscope's own scope pointed at a
 * closed port (so they can only come from the tarballs), gives a `heapscope`
 * that prints what the repository's prints. And scripts/install-command.sh
 * (run by setup) puts the repository's command where a new login shell
 * finds it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, REPO } from '@heapscope/testkit/paths';
import { hasCommand, runProcess, userEnv } from './run-process.js';

const BIN = fileURLToPath(new URL('../bin/heapscope.mjs', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/heapscope.cjs', import.meta.url)));
const npm = hasCommand('npm');
const pnpm = hasCommand('pnpm');
if (!npm) console.warn('[heapscope tests] npm is not on PATH: the install-from-tarballs tests are skipped');
if (!pnpm) console.warn('[heapscope tests] pnpm is not on PATH: the install-from-tarballs tests are skipped');
if (!built) console.warn('[heapscope tests] packages/cli/dist is not built (run pnpm build): the install-from-tarballs tests are skipped');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  engines?: { node?: string };
  types?: string;
  main?: string;
  exports?: unknown;
  bin?: Record<string, string>;
  files?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Packed {
  name: string;
  version: string;
  /** The tarball. */
  filename: string;
  /** Its files, relative to the package. */
  paths: string[];
  /** package.json as packed. */
  manifest: Manifest;
  /** Where the tarball was unpacked (its `package/` directory). */
  root: string;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** The publishable packages of the workspace: packages/* that are not private. */
function workspacePackages(): Manifest[] {
  return readdirSync(join(REPO, 'packages'))
    .filter((d) => existsSync(join(REPO, 'packages', d, 'package.json')))
    .map((d) => readJson<Manifest>(join(REPO, 'packages', d, 'package.json')))
    .filter((m) => !m.private);
}

/** Every string in an `exports` map (the files it points to). */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports && typeof exports === 'object') return Object.values(exports).flatMap(exportTargets);
  return [];
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!npm || !pnpm || !built)('the packed packages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapscope-install-'));
  const prefix = join(dir, 'prefix');
  let packed: Packed[] = [];

  beforeAll(async () => {
    const r = await runProcess('pnpm', ['-r', 'pack', '--json', '--pack-destination', join(dir, 'packed')], { cwd: REPO, env: userEnv() });
    expect(r.code, r.stderr).toBe(0);
    // pnpm packs private packages too (the testkit): only the publishable ones are installed and checked.
    const publishable = new Set(workspacePackages().map((m) => m.name));
    const list = (JSON.parse(r.stdout.toString()) as { name: string; version: string; filename: string; files: { path: string }[] }[]).filter((p) => publishable.has(p.name));
    packed = list.map((p) => {
      const root = join(dir, 'unpacked', p.name);
      mkdirSync(root, { recursive: true });
      execFileSync('tar', ['-xzf', p.filename, '-C', root]);
      return {
        name: p.name,
        version: p.version,
        filename: p.filename,
        paths: p.files.map((f) => f.path),
        manifest: readJson<Manifest>(join(root, 'package', 'package.json')),
        root: join(root, 'package'),
      };
    });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are one tarball per package under packages/*', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(workspacePackages().map((m) => m.name).sort());
  });

  it('have manifests a registry takes: real version ranges, engines, license, types and exports', () => {
    const engines = readJson<Manifest>(join(REPO, 'package.json')).engines?.node;
    const versions = new Map(packed.map((p) => [p.name, p.version]));
    for (const { name, manifest } of packed) {
      const ranges = { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies, ...manifest.devDependencies };
      for (const [dep, range] of Object.entries(ranges)) {
        expect(range, `${name} → ${dep}`).not.toMatch(/^(workspace|link|file):/);
        // A sibling is required at the version packed beside it (what the tarballs install together).
        if (versions.has(dep)) expect(range.replace(/^[\^~]/, ''), `${name} → ${dep}`).toBe(versions.get(dep));
      }
      expect(manifest.engines?.node, `${name} engines.node`).toBe(engines);
      expect(manifest.license, name).toBeTruthy();
      expect(manifest.files?.length, `${name} files`).toBeGreaterThan(0);
      expect(manifest.types, `${name} types`).toMatch(/\.d\.ts$/);
      expect((manifest.exports as Record<string, { types?: string }>)?.['.']?.types, `${name} exports["."].types`).toBe(manifest.types);
    }
  });

  it('hold every file their manifests name, and no build caches or tests', () => {
    for (const { name, manifest, paths, root } of packed) {
      const named = [manifest.types, manifest.main, ...exportTargets(manifest.exports), ...Object.values(manifest.bin ?? {})].filter((p): p is string => !!p);
      for (const file of named) expect(paths, `${name}: ${file}`).toContain(file.replace(/^\.\//, ''));
      for (const bin of Object.values(manifest.bin ?? {})) expect(readFileSync(join(root, bin), 'utf8'), `${name}: ${bin}`).toMatch(/^#!\/usr\/bin\/env node\n/);
      expect(paths.filter((p) => /\.tsbuildinfo$|(^|\/)tests?\/|\.test\.[cm]?[jt]s$/.test(p)), name).toEqual([]);
    }
    const cli = packed.find((p) => p.name === '@heapscope/cli')!;
    expect(cli.manifest.bin).toEqual({ heapscope: './bin/heapscope.mjs' });
    // The bundled program and its code cache: the installed command starts as fast as the repository's.
    expect(cli.paths).toEqual(expect.arrayContaining(['dist/heapscope.mjs', 'dist/heapscope.cjs', 'dist/heapscope.cjs.cache']));
    // The loading pipeline's reading worker (--jobs), which the bundle starts from beside itself.
    expect(cli.paths).toContain('dist/heapscope-read-worker.cjs');
  });

  it('install with npm -g into a prefix, ours from the tarballs only, and heapscope prints what the repository\'s prints', async () => {
    const scopes = [...new Set(packed.map((p) => p.name.split('/')[0]).filter((s) => s.startsWith('@')))];
    const closed = `http://127.0.0.1:${await closedPort()}/`;
    const args = ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--fetch-retries=0', '--loglevel=error'];
    // Any registry request for our own packages fails at once: the tarballs must satisfy one another.
    for (const scope of scopes) args.push(`--${scope}:registry=${closed}`);
    const install = await runProcess('npm', [...args, ...packed.map((p) => p.filename)], { cwd: dir, env: userEnv() });
    expect(install.code, install.stderr).toBe(0);

    const installed = join(prefix, 'bin', 'heapscope');
    expect(realpathSync(installed).startsWith(realpathSync(prefix))).toBe(true);
    // From a directory outside the repository, with nothing of the repository's environment.
    const cwd = join(dir, 'elsewhere');
    mkdirSync(cwd);
    const env = userEnv();
    const jemalloc = join(FIXTURES, 'jemalloc', 'all', 'jeprof.24747.5.f.heap');
    const gperftools = join(FIXTURES, 'gperftools', 'workload.0005.heap');
    const series = [0, 1, 2, 3, 4].map((seq) => join(FIXTURES, 'jemalloc', 'all', `jeprof.24747.${seq}.m${seq}.heap`));
    const runs = [
      ['--version'],
      ['top', '--format', 'json', jemalloc],
      ['top', '-n', '5', '--by', 'stack', gperftools],
      ['convert', '--to', 'pprof', jemalloc],
      // Inputs read on worker threads: the installed bundle finds its worker.
      ['growth', '--jobs', '2', '--format', 'json', ...series],
    ];
    for (const argv of runs) {
      const [got, want] = await Promise.all([runProcess(installed, argv, { cwd, env }), runProcess(process.execPath, [BIN, ...argv], { cwd, env })]);
      expect(got.code, `${argv.join(' ')}: ${got.stderr}`).toBe(0);
      expect(got.stderr, argv.join(' ')).toBe(want.stderr);
      expect(got.stdout.equals(want.stdout), `heapscope ${argv.join(' ')}: same output as the repository's`).toBe(true);
    }
    const cli = packed.find((p) => p.name === '@heapscope/cli')!;
    expect((await runProcess(installed, ['--version'], { cwd, env })).stdout.toString()).toBe(`${cli.version}\n`);

    // The store: ingest on the installed program's reading workers, DuckDB's native module resolved from
    // the installed package; the store it wrote reads as the repository's reads it.
    const db = join(dir, 'installed.duckdb');
    const dumps = series.slice(0, 3);
    const ingest = await runProcess(installed, ['ingest', '--db', db, '--label', 'host=a', '--no-symbol-cache', '--jobs', '2', '--format', 'json', ...dumps], { cwd, env });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout.toString())).toMatchObject({ ingested: dumps.length, present: 0 });
    for (const argv of [
      ['top', '--db', db, '--where', 'host=a', '--format', 'json'],
      ['growth', '--db', db, '--by-label', 'host'],
    ]) {
      const got = await runProcess(installed, argv, { cwd, env });
      const want = await runProcess(process.execPath, [BIN, ...argv], { cwd, env });
      expect(got.code, `${argv.join(' ')}: ${got.stderr}`).toBe(0);
      expect(want.code, `the repository's ${argv.join(' ')}: ${want.stderr}`).toBe(0);
      expect(got.stdout.toString(), `heapscope ${argv.join(' ')}: same output as the repository's`).toBe(want.stdout.toString());
    }

    // The installed program loads from the code cache the build wrote (V8 accepts it there too).
    const dist = join(prefix, 'lib', 'node_modules', '@heapscope', 'cli', 'dist');
    const probe = `import { programScript } from ${JSON.stringify(`file://${dist}/program-script.js`)};
      const p = programScript(${JSON.stringify(join(dist, 'heapscope.cjs'))});
      console.log(JSON.stringify({ hadCache: p.hadCache, rejected: p.script.cachedDataRejected }));`;
    const cache = await runProcess(process.execPath, ['--input-type=module', '-e', probe], { cwd, env });
    expect(JSON.parse(cache.stdout.toString())).toEqual({ hadCache: true, rejected: false });
  }, 300_000);
});

describe('scripts/install-command.sh', () => {
  it('links the repository\'s heapscope where a new login shell runs it, from any directory, ahead of another heapscope; a second run changes nothing', async () => {
    const home = mkdtempSync(join(tmpdir(), 'heapscope-home-'));
    try {
      // A profile that puts another `heapscope` first on PATH (as an older install might).
      mkdirSync(join(home, 'other'));
      writeFileSync(join(home, 'other', 'heapscope'), '#!/bin/sh\necho other heapscope\n', { mode: 0o755 });
      writeFileSync(join(home, '.profile'), 'export PATH="$HOME/other:$PATH"\n');
      const binDir = join(home, '.local', 'bin');
      const env = userEnv({ HOME: home, HEAPSCOPE_BIN_DIR: binDir });
      for (let run = 0; run < 2; run++) {
        const r = await runProcess('bash', [join(REPO, 'scripts', 'install-command.sh')], { env });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toBe(''); // no warning: the login shell found it and ran it
      }
      expect(readlinkSync(join(binDir, 'heapscope'))).toBe(join(realpathSync(REPO), 'packages', 'cli', 'bin', 'heapscope.mjs'));
      // A login shell with a clean environment: /etc/profile, then the profile.
      const login = await runProcess('env', ['-i', `HOME=${home}`, 'bash', '-lc', 'cd / && command -v heapscope && heapscope --version']);
      expect(login.stdout.toString()).toBe(`${binDir}/heapscope\n${readJson<Manifest>(join(REPO, 'packages', 'cli', 'package.json')).version}\n`);
      const profile = readFileSync(join(home, '.profile'), 'utf8');
      expect(profile.match(/heapscope \(scripts\/install-command\.sh\)/g)).toHaveLength(1);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
