/**
 * Symbolization against real binaries built here with gcc/g++ (a PIE with
 * inlining, a C++ program, a shared library and its stripped copy, a non-PIE
 * executable, a split debug file); the system's libc is symbolize-libc.test.ts's.
 *
 * Expected values come from binutils (`nm`, `readelf`, `objdump`), not from
 * the code under test. Skipped, with a message in the test title, when gcc
 * or binutils are missing.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIntegrity, type Mapping } from '@heapscope/parser';
import { Symbolizer, symbolize, type SymbolizeOptions } from '../src/symbolize/index.js';
import { which, run, nm, symbol, buildIdOf, execMapping, profileOf, framesAt, names, returnAddressOfCall } from './helpers/elf-tools.js';

// ---------------------------------------------------------------------------
// Sources. Line numbers below are asserted: keep the markers in sync.

const APP_C = [
  '#include <stdio.h>',
  '#include <stdlib.h>',
  '',
  'static inline __attribute__((always_inline)) void *grow(size_t n) {',
  '  void *p = malloc(n); /* LINE_MALLOC */',
  '  if (!p) abort();',
  '  return p;',
  '}',
  '',
  '__attribute__((noinline)) void *make_buffer(size_t n) {',
  '  return grow(n * 2); /* LINE_GROW */',
  '}',
  '',
  'volatile int sink;',
  '__attribute__((noinline)) void step_one(int x) { sink = x + 1; }',
  '__attribute__((noinline)) void step_two(int x) { sink = x * 3; }',
  '__attribute__((noinline)) void step_three(int x) { sink = x - 7; }',
  '__attribute__((noinline)) void step_four(int x) { sink = x ^ 5; }',
  '',
  'int main(int argc, char **argv) {',
  '  step_one(argc); step_two(argc); step_three(argc); step_four(argc);',
  '  printf("%p %s\\n", make_buffer((size_t)argc), argv[0]);',
  '  return 0;',
  '}',
  '',
].join('\n');
const lineOf = (source: string, marker: string) => source.split('\n').findIndex((l) => l.includes(marker)) + 1;

const WIDGET_CC = [
  '#include <vector>',
  'namespace heapscope {',
  'struct Widget {',
  '  __attribute__((noinline)) static std::vector<int> *make(int n);',
  '};',
  'std::vector<int> *Widget::make(int n) { return new std::vector<int>(n); }',
  '}  // namespace heapscope',
  'int main(int argc, char **) { return heapscope::Widget::make(argc)->size() == 7; }',
  '',
].join('\n');

const LIB_C = [
  'volatile int lib_sink;',
  'static __attribute__((noinline, used)) int hidden_helper(int x) { lib_sink = x; return x * 5 + lib_sink; }',
  'int widget_alloc(int n) { return hidden_helper(n) + 1; }',
  'int widget_free(int n) { lib_sink = n; return 0; }',
  '',
].join('\n');

// ---------------------------------------------------------------------------

const gcc = which('gcc');
const gxx = which('g++');
const binutils = ['nm', 'readelf', 'objdump', 'objcopy', 'strip'].every((t) => which(t) !== null);
const canBuild = gcc !== null && gxx !== null && binutils;
const skipReason = !gcc ? 'gcc not found on PATH' : !gxx ? 'g++ not found on PATH' : 'binutils (nm, readelf, objdump, objcopy, strip) not found';

/** Runtime load biases: where the "process" mapped each file. */
const APP_BIAS = 0x555555554000n;
const LIB_BIAS = 0x7f1234560000n;

describe.skipIf(!canBuild)(canBuild ? 'symbolize binaries built with gcc' : `symbolize binaries built with gcc — SKIPPED: ${skipReason}`, () => {
  let dir = '';
  let app = ''; // PIE, -O2 -g
  let appId = '';
  let other = ''; // same name, different program: another build id
  let cxx = '';
  let lib = '';
  let libStripped = '';
  let nopie = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'heapscope-symbolize-'));
    writeFileSync(join(dir, 'app.c'), APP_C);
    writeFileSync(join(dir, 'widget.cc'), WIDGET_CC);
    writeFileSync(join(dir, 'lib.c'), LIB_C);
    mkdirSync(join(dir, 'bin'));
    app = join(dir, 'bin', 'app');
    // -falign-functions=1 packs the step_* functions back to back (for the −1 test).
    run('gcc', ['-O2', '-g', '-fPIE', '-pie', '-falign-functions=1', '-Wl,--build-id', '-o', app, 'app.c'], dir);
    appId = buildIdOf(app);
    mkdirSync(join(dir, 'other'));
    other = join(dir, 'other', 'app');
    writeFileSync(join(dir, 'other.c'), `${APP_C}\nint unrelated(void) { return 42; }\n`);
    run('gcc', ['-O2', '-g', '-fPIE', '-pie', '-Wl,--build-id', '-o', other, 'other.c'], dir);
    cxx = join(dir, 'widget');
    run('g++', ['-O2', '-g', '-Wl,--build-id', '-o', cxx, 'widget.cc'], dir);
    lib = join(dir, 'libwidget.so');
    run('gcc', ['-O2', '-g', '-shared', '-fPIC', '-Wl,--build-id', '-o', lib, 'lib.c'], dir);
    mkdirSync(join(dir, 'stripped'));
    libStripped = join(dir, 'stripped', 'libwidget.so');
    run('strip', ['-o', libStripped, lib]);
    nopie = join(dir, 'nopie');
    run('gcc', ['-O2', '-g', '-fno-pie', '-no-pie', '-Wl,--build-id', '-o', nopie, 'app.c'], dir);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const none: SymbolizeOptions = { external: 'none' };
  const tools = (['addr2line', 'llvm-symbolizer'] as const).filter((t) => which(t) !== null);

  it('resolves function names of a PIE through its mapping (symbol tables only)', async () => {
    const makeBuffer = symbol(app, 'make_buffer');
    const main = symbol(app, 'main');
    const a = APP_BIAS + BigInt(makeBuffer.address + 1);
    const b = APP_BIAS + BigInt(main.address + 1);
    const p = profileOf([execMapping(app, APP_BIAS, app, appId)], [[a], [b]]);
    const { profile, report } = await symbolize(p, none);
    expect(checkIntegrity(profile)).toEqual([]);
    expect(names(framesAt(profile, a))).toEqual(['make_buffer']);
    expect(names(framesAt(profile, b))).toEqual(['main']);
    expect(report.binaries).toHaveLength(1);
    expect(report.binaries[0]).toMatchObject({
      path: app,
      status: 'symbolized',
      file: app,
      translation: 'file-offset',
      symbolTables: ['symtab'],
      locations: 2,
      resolved: 2,
      unresolved: 0,
      external: null,
    });
    expect(report.missing).toEqual([]);
  });

  for (const tool of tools) {
    it(`gives file:line and the inlined chain, innermost first, with ${tool}`, async () => {
      const makeBuffer = symbol(app, 'make_buffer');
      const ret = returnAddressOfCall(app, makeBuffer, 'malloc');
      const leaf = APP_BIAS + BigInt(symbol(app, 'step_one').address + 1);
      const caller = APP_BIAS + BigInt(ret); // a return address: looked up at − 1, inside the call
      const p = profileOf([execMapping(app, APP_BIAS)], [[leaf, caller]]);
      const { profile, report } = await symbolize(p, { external: tool });
      const frames = framesAt(profile, caller);
      expect(frames.map((f) => [f.name, f.file, f.line])).toEqual([
        ['grow', join(dir, 'app.c'), lineOf(APP_C, 'LINE_MALLOC')],
        ['make_buffer', join(dir, 'app.c'), lineOf(APP_C, 'LINE_GROW')],
      ]);
      expect(names(framesAt(profile, leaf))).toEqual(['step_one']);
      expect(report.binaries[0]).toMatchObject({ external: tool, externalError: null, debugFile: app, resolved: 2 });
    });
  }

  it('demangles C++ names and keeps the mangled one as systemName', async () => {
    const make = symbol(cxx, '_ZN9heapscope6Widget4makeEi');
    const address = APP_BIAS + BigInt(make.address + 2);
    const p = profileOf([execMapping(cxx, APP_BIAS)], [[address]]);
    const demangler = which('c++filt') ?? which('llvm-cxxfilt');
    for (const external of ['none', ...tools] as const) {
      const { profile, report } = await symbolize(p, { external });
      const [frame] = framesAt(profile, address);
      expect(frame.systemName).toBe('_ZN9heapscope6Widget4makeEi');
      if (demangler) {
        expect(frame.name).toBe('heapscope::Widget::make(int)');
        expect(report.demangler).not.toBeNull();
      }
      if (external !== 'none') expect(frame.file).toBe(join(dir, 'widget.cc'));
    }
    // Without a demangler the raw name is kept.
    const { profile } = await symbolize(p, { external: 'none', demangle: 'none' });
    expect(framesAt(profile, address)[0]).toMatchObject({ name: '_ZN9heapscope6Widget4makeEi' });
  });

  describe('return addresses', () => {
    // Two functions back to back: `before` ends exactly where `after` begins,
    // so `after.start` is `after` but `after.start − 1` is `before`.
    const adjacent = () => {
      const syms = nm(app).filter((s) => /^[tTwW]$/.test(s.type) && s.size > 0);
      for (let i = 0; i + 1 < syms.length; i++) {
        if (syms[i].address + syms[i].size === syms[i + 1].address && syms[i].name !== syms[i + 1].name) {
          return { before: syms[i], after: syms[i + 1] };
        }
      }
      throw new Error('no two adjacent functions in the test binary');
    };

    it('looks up every frame of a return-address profile at address − 1, the leaf included', async () => {
      const { before, after } = adjacent();
      const boundary = APP_BIAS + BigInt(after.address);
      const other = APP_BIAS + BigInt(symbol(app, 'main').address + 1);
      const mapping = execMapping(app, APP_BIAS);

      // At the leaf: the return address of a call that ends `before`.
      const asLeaf = await symbolize(profileOf([mapping], [[boundary, other]]), none);
      expect(names(framesAt(asLeaf.profile, boundary))).toEqual([before.name]);
      expect(asLeaf.report.returnAddressLocations).toBe(2);

      const asCaller = await symbolize(profileOf([mapping], [[other, boundary]]), none);
      expect(names(framesAt(asCaller.profile, boundary))).toEqual([before.name]);
    });

    it('looks up the addresses of a profile of plain addresses as they are', async () => {
      const { after } = adjacent();
      const boundary = APP_BIAS + BigInt(after.address);
      const mapping = execMapping(app, APP_BIAS);
      const plain = await symbolize(profileOf([mapping], [[APP_BIAS, boundary]], false), none);
      expect(names(framesAt(plain.profile, boundary))).toEqual([after.name]);
      expect(plain.report.returnAddressLocations).toBe(0);
    });
  });

  it('refuses a file whose build id differs from the mapping’s, and says so', async () => {
    const otherId = buildIdOf(other);
    expect(otherId).not.toBe(appId);
    const address = APP_BIAS + BigInt(symbol(app, 'make_buffer').address + 1);
    // The dump's path does not exist here; the only candidate is another build.
    const mapping = execMapping(app, APP_BIAS, '/opt/prod/bin/app', appId);
    const refused = await symbolize(profileOf([mapping], [[address]]), { ...none, symbolPaths: [other] });
    expect(framesAt(refused.profile, address)).toEqual([]);
    expect(refused.report.missing).toHaveLength(1);
    expect(refused.report.missing[0]).toMatchObject({ path: '/opt/prod/bin/app', buildId: appId, status: 'not-found' });
    expect(refused.report.missing[0].rejected).toEqual([
      { file: other, buildId: otherId, reason: expect.stringContaining('build id') },
    ]);

    // With the right build further down the list, that one is used.
    const found = await symbolize(profileOf([mapping], [[address]]), { ...none, symbolPaths: [other, app] });
    expect(names(framesAt(found.profile, address))).toEqual(['make_buffer']);
    expect(found.report.binaries[0]).toMatchObject({ file: app, status: 'symbolized' });
    expect(found.report.binaries[0].rejected).toHaveLength(1);
  });

  it('finds binaries in --symbols: a file by basename, a directory by basename, a sysroot tree, a .build-id tree', async () => {
    const makeBuffer = APP_BIAS + BigInt(symbol(app, 'make_buffer').address + 1);
    const widgetAlloc = LIB_BIAS + BigInt(symbol(lib, 'widget_alloc').address + 1);
    const appMapping = execMapping(app, APP_BIAS, '/opt/prod/bin/app', appId);
    const libMapping = execMapping(lib, LIB_BIAS, '/system/lib64/libwidget.so', buildIdOf(lib));
    const p = profileOf([appMapping, libMapping], [[widgetAlloc, makeBuffer]]);

    // A file given directly, matched by basename; a directory searched by basename.
    const direct = await symbolize(p, { ...none, symbolPaths: [app, dir] });
    expect(names(framesAt(direct.profile, makeBuffer))).toEqual(['make_buffer']);
    expect(names(framesAt(direct.profile, widgetAlloc))).toEqual(['widget_alloc']);
    expect(direct.report.binaries.map((b) => b.file)).toEqual([app, lib]);

    // An Android-style symbols/ tree: <dir>/system/lib64/libwidget.so.
    const tree = join(dir, 'symbols');
    mkdirSync(join(tree, 'system', 'lib64'), { recursive: true });
    copyFileSync(lib, join(tree, 'system', 'lib64', 'libwidget.so'));
    const viaTree = await symbolize(p, { ...none, symbolPaths: [tree] });
    expect(names(framesAt(viaTree.profile, widgetAlloc))).toEqual(['widget_alloc']);
    expect(viaTree.report.binaries[1].file).toBe(join(tree, 'system', 'lib64', 'libwidget.so'));
    expect(viaTree.report.missing.map((b) => b.path)).toEqual(['/opt/prod/bin/app']);

    // A .build-id tree holding only split debug files: the debug file gives
    // names, lines and (with the real binary at the dump path) the layout.
    const debugRoot = join(dir, 'debug');
    const debugFile = join(debugRoot, '.build-id', appId.slice(0, 2), `${appId.slice(2)}.debug`);
    mkdirSync(dirname(debugFile), { recursive: true });
    run('objcopy', ['--only-keep-debug', app, debugFile]);
    const real = execMapping(app, APP_BIAS, app, appId);
    const viaBuildId = await symbolize(profileOf([real], [[makeBuffer]]), { symbolPaths: [debugRoot] });
    expect(names(framesAt(viaBuildId.profile, makeBuffer))[0]).toMatch(/make_buffer|grow/);
    expect(viaBuildId.report.binaries[0]).toMatchObject({ file: debugFile, translation: 'file-offset' });
    const auto = tools.includes('llvm-symbolizer') ? 'llvm-symbolizer' : tools[0];
    if (auto) expect(viaBuildId.report.binaries[0]).toMatchObject({ debugFile, external: auto });

    // The debug file alone (the binary is not at the dump path): its
    // executable segment is assumed to start the mapping.
    const alone = await symbolize(profileOf([appMapping], [[makeBuffer]]), { ...none, symbolPaths: [debugRoot] });
    expect(names(framesAt(alone.profile, makeBuffer))).toEqual(['make_buffer']);
    expect(alone.report.binaries[0]).toMatchObject({ file: debugFile, translation: 'debug-file-guess' });
  });

  it('reads a stripped library’s .dynsym: exported functions resolve, static ones stay unresolved', async () => {
    const exported = symbol(lib, 'widget_alloc');
    const hidden = symbol(lib, 'hidden_helper');
    const a = LIB_BIAS + BigInt(exported.address + 1);
    const h = LIB_BIAS + BigInt(hidden.address + 1);
    const mapping = execMapping(lib, LIB_BIAS, '/usr/lib/libwidget.so', buildIdOf(lib));
    const { profile, report } = await symbolize(profileOf([mapping], [[a], [h]]), {
      symbolPaths: [join(dir, 'stripped')],
    });
    expect(names(framesAt(profile, a))).toEqual(['widget_alloc']);
    expect(framesAt(profile, h)).toEqual([]);
    expect(report.binaries[0]).toMatchObject({
      file: libStripped,
      symbolTables: ['dynsym'],
      debugFile: null,
      external: null,
      resolved: 1,
      unresolved: 1,
    });
  });

  it('never drops: unresolvable addresses keep no lines, and the report counts them', async () => {
    const good = APP_BIAS + BigInt(symbol(app, 'main').address + 1);
    const mappings: Mapping[] = [
      execMapping(app, APP_BIAS),
      { start: 0x10000000n, limit: 0x10100000n, fileOffset: 0n, path: '[heap]', buildId: '', perms: 'rw-p' },
      { start: 0x7f0000000000n, limit: 0x7f0000100000n, fileOffset: 0n, path: '/no/such/libgone.so', buildId: '', perms: 'r-xp' },
    ];
    const inHeap = 0x10000040n;
    const inMissing = 0x7f0000000123n;
    const unmapped = 0x20000000n;
    const pastCode = APP_BIAS + 0x100000n - 1n; // in the mapping's range? no: beyond it, unmapped
    const { profile, report } = await symbolize(profileOf(mappings, [[inHeap, inMissing, unmapped, good], [pastCode]]), none);
    expect(checkIntegrity(profile)).toEqual([]);
    expect(profile.locations.length).toBe(5);
    for (const a of [inHeap, inMissing, unmapped, pastCode]) expect(framesAt(profile, a)).toEqual([]);
    expect(names(framesAt(profile, good))).toEqual(['main']);
    expect(report.pseudoLocations).toBe(1);
    expect(report.unmappedLocations).toBe(2);
    expect(report.missing).toEqual([
      expect.objectContaining({ path: '/no/such/libgone.so', status: 'not-found', locations: 1, unresolved: 1, file: null }),
    ]);
  });

  it('non-PIE executables: runtime addresses are vaddrs, with or without mappings', async () => {
    const makeBuffer = symbol(nopie, 'make_buffer');
    const address = BigInt(makeBuffer.address + 1);
    const withMapping = await symbolize(profileOf([execMapping(nopie, 0n)], [[address]]), none);
    expect(names(framesAt(withMapping.profile, address))).toEqual(['make_buffer']);
    expect(withMapping.report.binaries[0].translation).toBe('identity');

    // No maps section at all, one --symbols file: addresses are its vaddrs.
    const bare = await symbolize(profileOf([], [[address]]), { ...none, symbolPaths: [nopie] });
    expect(bare.report.noMappingsRule).toBe(true);
    expect(names(framesAt(bare.profile, address))).toEqual(['make_buffer']);
    expect(bare.report.binaries[0]).toMatchObject({ path: nopie, file: nopie, translation: 'identity' });

    // …but not with two files (which one would it be?).
    const two = await symbolize(profileOf([], [[address]]), { ...none, symbolPaths: [nopie, app] });
    expect(two.report.noMappingsRule).toBe(false);
    expect(two.report.unmappedLocations).toBe(1);
  });

  it('falls back to the symbol tables when the external tool fails, and reports it', async () => {
    const failing = join(dir, 'failing-symbolizer');
    writeFileSync(failing, '#!/bin/sh\necho "cannot open file" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    const symbolizer = new Symbolizer({ tools: { 'llvm-symbolizer': failing, addr2line: '' } });
    const address = APP_BIAS + BigInt(symbol(app, 'make_buffer').address + 1);
    const { profile, report } = await symbolize(profileOf([execMapping(app, APP_BIAS)], [[address]]), { symbolizer });
    expect(names(framesAt(profile, address))).toEqual(['make_buffer']);
    expect(framesAt(profile, address)[0].file).toBe('');
    expect(report.binaries[0]).toMatchObject({ external: null, resolved: 1 });
    expect(report.binaries[0].externalError).toMatch(/exited with status 3: cannot open file/);

    const absent = new Symbolizer({ tools: { addr2line: '' } });
    const asked = await symbolize(profileOf([execMapping(app, APP_BIAS)], [[address]]), {
      symbolizer: absent,
      external: 'addr2line',
    });
    expect(asked.report.binaries[0].externalError).toBe('addr2line: not found');
    expect(names(framesAt(asked.profile, address))).toEqual(['make_buffer']);
  });

  it('caches per binary: a series of dumps reads each binary once and runs each tool once per new address', async () => {
    const symbolizer = new Symbolizer();
    const mapping = execMapping(app, APP_BIAS, app, appId);
    const a = APP_BIAS + BigInt(symbol(app, 'make_buffer').address + 1);
    const b = APP_BIAS + BigInt(symbol(app, 'main').address + 1);
    const c = APP_BIAS + BigInt(symbol(app, 'step_two').address + 1);
    // Same roles in both dumps (a leaf, b a caller), so the same file addresses.
    const first = await symbolize(profileOf([mapping], [[a, b]]), { symbolizer });
    const second = await symbolize(profileOf([mapping], [[a], [a, b]]), { symbolizer });
    expect(framesAt(second.profile, b)).toEqual(framesAt(first.profile, b));
    expect(symbolizer.stats.symbolTablesRead).toBe(1);
    const runsAfterTwo = symbolizer.stats.externalRuns;
    expect(runsAfterTwo).toBe(tools.length > 0 ? 1 : 0);
    // The same addresses again: no new process. A new address: one more.
    await symbolize(profileOf([mapping], [[a]]), { symbolizer });
    expect(symbolizer.stats.externalRuns).toBe(runsAfterTwo);
    await symbolize(profileOf([mapping], [[c]]), { symbolizer });
    expect(symbolizer.stats.externalRuns).toBe(runsAfterTwo + (tools.length > 0 ? 1 : 0));
    expect(symbolizer.stats.symbolTablesRead).toBe(1);
  });

  it("gives a mapping without a build id the one of the binary found for it, and keeps a dump's own", async () => {
    const address = APP_BIAS + BigInt(symbol(app, 'main').address + 1);
    const bare = await symbolize(profileOf([execMapping(app, APP_BIAS)], [[address]]), none);
    expect(appId).not.toBe('');
    expect(bare.profile.mappings[0].buildId).toBe(appId);
    const missing = await symbolize(profileOf([execMapping(app, APP_BIAS, '/no/such/binary')], [[address]]), none);
    expect(missing.profile.mappings[0].buildId).toBe('');
    const own = await symbolize(profileOf([execMapping(app, APP_BIAS, app, appId)], [[address]]), none);
    expect(own.profile.mappings[0].buildId).toBe(appId);
  });

  it('keeps lines a location already has, unless asked to resymbolize', async () => {
    const address = APP_BIAS + BigInt(symbol(app, 'main').address + 1);
    const once = await symbolize(profileOf([execMapping(app, APP_BIAS)], [[address]]), none);
    const twice = await symbolize(once.profile, { ...none, demangle: 'none' });
    expect(twice.report.keptLocations).toBe(1);
    expect(framesAt(twice.profile, address)).toEqual(framesAt(once.profile, address));
    const again = await symbolize(once.profile, { ...none, resymbolize: true });
    expect(again.report.keptLocations).toBe(0);
    expect(names(framesAt(again.profile, address))).toEqual(['main']);
  });
});

// ---------------------------------------------------------------------------
