/**
 * What the symbolization tests share: binutils run for the expected values
 * (`nm`, `readelf`, `objdump`), and small profiles of hand-placed mappings
 * and stacks to symbolize. Used by symbolize.test.ts and
 * symbolize-libc.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { INUSE_SPACE, ProfileBuilder, type HeapProfile, type Mapping } from '@heapscope/parser';

export function which(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return null;
}

export function run(command: string, args: string[], cwd?: string): string {
  return execFileSync(command, args, { encoding: 'utf8', cwd, maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface NmSymbol {
  address: number;
  size: number;
  type: string;
  name: string;
}

/** `nm -S -n` (defined symbols with sizes, by address). */
export function nm(file: string, dynamic = false): NmSymbol[] {
  const out: NmSymbol[] = [];
  for (const line of run('nm', ['-S', '-n', '--defined-only', ...(dynamic ? ['-D'] : []), file]).split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (\S) (\S+)$/.exec(line);
    if (m) out.push({ address: parseInt(m[1], 16), size: parseInt(m[2], 16), type: m[3], name: m[4] });
  }
  return out;
}

export function symbol(file: string, name: string, dynamic = false): NmSymbol {
  const s = nm(file, dynamic).find((x) => x.name === name || x.name.startsWith(`${name}@`));
  if (!s) throw new Error(`${name} not in ${file}`);
  return s;
}

/** The executable PT_LOAD, from `readelf -lW`. */
export function execSegment(file: string): { offset: number; vaddr: number; memSize: number } {
  for (const line of run('readelf', ['-lW', file]).split('\n')) {
    const m = /^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x[0-9a-f]+$/.exec(
      line,
    );
    if (m && m[4].includes('E')) return { offset: parseInt(m[1], 16), vaddr: parseInt(m[2], 16), memSize: parseInt(m[3], 16) };
  }
  throw new Error(`no executable segment in ${file}`);
}

export function buildIdOf(file: string): string {
  const m = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', file]));
  return m ? m[1] : '';
}

export const PAGE = 0x1000;

/**
 * The mapping a loader would create for `file`'s executable segment with
 * load bias `bias` (0 for a non-PIE executable), as /proc/PID/maps shows it.
 */
export function execMapping(file: string, bias: bigint, path = file, buildId = ''): Mapping {
  const seg = execSegment(file);
  const start = seg.vaddr - (seg.vaddr % PAGE);
  const end = Math.ceil((seg.vaddr + seg.memSize) / PAGE) * PAGE;
  return {
    start: bias + BigInt(start),
    limit: bias + BigInt(end),
    fileOffset: BigInt(seg.offset - (seg.offset % PAGE)),
    path,
    buildId,
    perms: 'r-xp',
  };
}

/** A profile with these mappings and stacks (addresses leaf first), one sample per stack. */
export function profileOf(mappings: Mapping[], stacks: bigint[][], returnAddresses = true): HeapProfile {
  const b = new ProfileBuilder({
    sampleTypes: [INUSE_SPACE],
    meta: {
      format: 'test',
      variant: '',
      file: 'test.heap',
      sampling: { model: 'none', periodBytes: 0 },
      sizeKind: 'exact',
      returnAddresses,
      warnings: [],
    },
  });
  for (const m of mappings) b.addMapping(m);
  for (const stack of stacks) {
    const locations = stack.map((a) => b.locationForHex(a.toString(16)));
    b.addSample(b.internStack(locations), -1, [64]);
  }
  return b.finish();
}

export interface Frame {
  name: string;
  systemName: string;
  file: string;
  line: number;
}

/** The lines of the location at `address`, innermost first. */
export function framesAt(p: HeapProfile, address: bigint): Frame[] {
  let loc = -1;
  for (let l = 0; l < p.locations.length; l++) if (p.address(l) === address) loc = l;
  if (loc < 0) throw new Error(`no location at 0x${address.toString(16)}`);
  const out: Frame[] = [];
  const { lineStart, lineFunction, lineNumber } = p.locations;
  for (let k = lineStart[loc]; k < lineStart[loc + 1]; k++) {
    const f = lineFunction[k];
    out.push({
      name: p.strings[p.functions.name[f]],
      systemName: p.strings[p.functions.systemName[f]],
      file: p.strings[p.functions.fileName[f]],
      line: lineNumber[k],
    });
  }
  return out;
}

export const names = (frames: Frame[]) => frames.map((f) => f.name);

/** The address of the instruction after the first call to `callee` inside `fn` (`objdump -d`). */
export function returnAddressOfCall(file: string, fn: NmSymbol, callee: string): number {
  const text = run('objdump', [
    '-d',
    `--start-address=0x${fn.address.toString(16)}`,
    `--stop-address=0x${(fn.address + fn.size).toString(16)}`,
    file,
  ]);
  const insns = [...text.matchAll(/^\s*([0-9a-f]+):\t(.*)$/gm)].map((m) => ({ address: parseInt(m[1], 16), text: m[2] }));
  // `call … <malloc@plt>`, or with -fno-plt `call *…(%rip) # … <malloc@GLIBC_…>`.
  const i = insns.findIndex((x) => new RegExp(`\\b(call|callq|bl|blx|jal|jalr)\\b.*<${callee}@`).test(x.text));
  if (i < 0 || i + 1 >= insns.length) throw new Error(`no call to ${callee} in ${fn.name}`);
  return insns[i + 1].address;
}
