/**
 * Parsing of external symbolizer and demangler output, with stand-in tools
 * (shell scripts printing the formats documented in `man addr2line` and
 * `man llvm-symbolizer`), so the parsers are tested whatever is installed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ToolError,
  findOnPath,
  runAddr2line,
  runDemangler,
  runLlvmSymbolizer,
} from '../src/symbolize/external-tools.js';

const haveSh = process.platform !== 'win32';

describe.skipIf(!haveSh)(haveSh ? 'external tool output' : 'external tool output — SKIPPED: needs /bin/sh', () => {
  let dir = '';
  const script = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'heapscope-tools-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('parses addr2line -f -i -a: inlined chains, discriminators, unknowns', async () => {
    // Real addr2line 2.40 output shapes for three addresses.
    const tool = script(
      'addr2line',
      `cat > /dev/null
printf '0x0000000000001187\\n_ZN2ns4Pool4grabEj\\n/src/c.cc:2\\n_ZN2ns4Pool4fillEj\\n/src/c.cc:4 (discriminator 1)\\n'
printf '0x0000000000099999\\n??\\n??:0\\n'
printf '0x0000000000001000\\n_init\\n??:?\\n'`,
    );
    const frames = await runAddr2line(tool, '/bin/x', [0x1187, 0x99999, 0x1000]);
    expect(frames).toEqual([
      [
        { name: '_ZN2ns4Pool4grabEj', file: '/src/c.cc', line: 2 },
        { name: '_ZN2ns4Pool4fillEj', file: '/src/c.cc', line: 4 },
      ],
      [],
      [{ name: '_init', file: '', line: 0 }],
    ]);
  });

  it('refuses addr2line output that does not answer each address in order', async () => {
    const short = script('short', `cat > /dev/null\nprintf '0x0000000000001000\\nf\\na.c:1\\n'`);
    await expect(runAddr2line(short, '/bin/x', [0x1000, 0x2000])).rejects.toThrow(ToolError);
    const swapped = script('swapped', `cat > /dev/null\nprintf '0x2000\\nf\\na.c:1\\n0x1000\\ng\\na.c:2\\n'`);
    await expect(runAddr2line(swapped, '/bin/x', [0x1000, 0x2000])).rejects.toThrow(/answer for 0x2000/);
  });

  it('parses llvm-symbolizer JSON, innermost first; fails when every answer is an error', async () => {
    const tool = script(
      'llvm-symbolizer',
      `cat > /dev/null
echo '{"Address":"0x11a7","ModuleName":"a","Symbol":[{"Column":13,"Discriminator":0,"FileName":"/src/a.c","FunctionName":"inner","Line":4,"StartAddress":"","StartFileName":"/src/a.c","StartLine":3},{"Column":13,"Discriminator":0,"FileName":"/src/a.c","FunctionName":"outer","Line":9,"StartAddress":"0x11a0","StartFileName":"","StartLine":8}]}'
echo '{"Address":"0x99999","ModuleName":"a","Symbol":[{"Column":0,"Discriminator":0,"FileName":"","FunctionName":"_end","Line":0,"StartAddress":"0x4030","StartFileName":"","StartLine":0}]}'`,
    );
    expect(await runLlvmSymbolizer(tool, '/bin/x', [0x11a7, 0x99999])).toEqual([
      [
        { name: 'inner', file: '/src/a.c', line: 4 },
        { name: 'outer', file: '/src/a.c', line: 9 },
      ],
      [{ name: '_end', file: '', line: 0 }],
    ]);
    const broken = script(
      'broken',
      `cat > /dev/null\necho '{"Address":"0x1","ModuleName":"x","Error":{"Message":"No such file or directory"}}'`,
    );
    await expect(runLlvmSymbolizer(broken, '/bin/x', [1])).rejects.toThrow(/No such file or directory/);
  });

  it('demangles line by line and checks the count', async () => {
    const upper = script('upper', `tr 'a-z' 'A-Z'`);
    expect(await runDemangler(upper, ['_zfoo', 'bar'])).toEqual(['_ZFOO', 'BAR']);
    const lossy = script('lossy', `head -n 1`);
    await expect(runDemangler(lossy, ['a', 'b'])).rejects.toThrow(/1 lines for 2 names/);
  });

  it('reports a tool that cannot start or exits non-zero', async () => {
    await expect(runDemangler(join(dir, 'no-such-tool'), ['x'])).rejects.toThrow(ToolError);
    const failing = script('failing', `echo "bad object" >&2\nexit 2`);
    await expect(runAddr2line(failing, '/bin/x', [1])).rejects.toThrow(/exited with status 2: bad object/);
  });

  it('times out a tool that does not answer', async () => {
    const slow = script('slow', `exec sleep 5`);
    await expect(runDemangler(slow, ['x'], 200)).rejects.toThrow(/no answer within 200 ms/);
  });

  it('finds commands on a PATH-style list', async () => {
    script('heapscope-test-tool', 'exit 0');
    expect(await findOnPath('heapscope-test-tool', `/nonexistent:${dir}`)).toBe(join(dir, 'heapscope-test-tool'));
    expect(await findOnPath('heapscope-test-tool', '/nonexistent')).toBeNull();
  });
});

/**
 * C++ allows UTF-8 identifiers; g++ mangles their bytes as they are
 * (`数据(unsigned long)` is `_Z6数据m`: 6 bytes). Both demanglers stop at
 * the first non-ASCII byte of a line they read, so such names must still
 * come back demangled.
 */
describe('UTF-8 identifiers, as g++ mangles them, demangled by the real tools', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapscope-utf8-names-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const mangled: string[] = [];
  beforeAll(() => {
    writeFileSync(join(dir, 'names.cc'), 'int 数据(unsigned long n) { return (int)n; }\nnamespace 名前 { int größe(int x) { return x; } }\nint plain(int x) { return x; }\n');
    execFileSync('g++', ['-c', '-o', join(dir, 'names.o'), join(dir, 'names.cc')]);
    const nm = execFileSync('nm', ['--defined-only', join(dir, 'names.o')], { encoding: 'utf8' });
    mangled.push(...nm.split('\n').flatMap((line) => /\s(_Z\S+)$/.exec(line)?.[1] ?? []).sort());
  });
  for (const tool of ['c++filt', 'llvm-cxxfilt']) {
    it(tool, async () => {
      const path = await findOnPath(tool, process.env.PATH ?? '');
      expect(path, `${tool} is installed by scripts/setup.sh`).not.toBeNull();
      expect(mangled).toHaveLength(3);
      const demangled = await runDemangler(path!, mangled);
      expect(new Set(demangled)).toEqual(new Set(['数据(unsigned long)', '名前::größe(int)', 'plain(int)']));
    });
  }
});
