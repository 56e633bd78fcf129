/**
 * gdb as the reference for inlined frames' names: unlike addr2line and
 * llvm-symbolizer, which print an inlined function's bare DWARF name where
 * it has no linkage name (`allocate`), gdb names every function block with
 * its class and namespace scope (`std::__new_allocator<…>::allocate`).
 * For each file address, the names of the function blocks around it,
 * innermost (inlined) first, from gdb's Python API (`gdb.block_for_pc`, then
 * each block's `superblock`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether gdb with Python scripting is installed. */
export const HAVE_GDB = (() => {
  try {
    return execFileSync('gdb', ['-batch', '-nx', '-ex', 'python print("py-ok")'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('py-ok');
  } catch {
    return false;
  }
})();

const SCRIPT = `
import gdb, os
for line in open(os.environ["HS_ADDRESSES"]):
    b = gdb.block_for_pc(int(line, 16))
    names = []
    while b is not None:
        if b.function is not None:
            names.append(b.function.print_name)
        b = b.superblock
    print("@" + line.strip() + "\\t" + "\\t".join(names))
`;

/** gdb's function names at each of `addresses` (file addresses of `binary`), innermost first. */
export function gdbFrames(binary: string, addresses: readonly bigint[]): Map<bigint, string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'heapscope-gdb-'));
  try {
    writeFileSync(join(dir, 'chain.py'), SCRIPT);
    writeFileSync(join(dir, 'addresses'), addresses.map((a) => `0x${a.toString(16)}\n`).join(''));
    const out = execFileSync('gdb', ['-batch', '-nx', '-ex', `file ${binary}`, '-x', join(dir, 'chain.py')], {
      encoding: 'utf8',
      env: { ...process.env, HS_ADDRESSES: join(dir, 'addresses') },
    });
    const frames = new Map<bigint, string[]>();
    for (const line of out.split('\n')) {
      if (!line.startsWith('@')) continue;
      const [address, ...names] = line.slice(1).split('\t');
      frames.set(BigInt(address), names.filter((n) => n !== ''));
    }
    if (frames.size !== new Set(addresses).size) throw new Error(`gdb answered ${frames.size} of ${addresses.length} addresses of ${binary}`);
    return frames;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
