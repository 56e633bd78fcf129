/**
 * What the perf script importer's hand-written tests share (perf-script.test.ts,
 * perf-script-lines.test.ts): importing text into a recording sink, the
 * events and samples it saw, stacks as text, and the records of a real
 * capture to build inputs from.
 */
import {
  ParseError,
  detectImporter,
  openBytes,
  parseTrace,
  perfScriptImporter,
  traceBuilder,
  type HeapProfile,
  type PerfScriptFacts,
  type TraceSink,
  type Warning,
} from '@heapscope/parser';

/** The warning about records whose stack is their own address, as `messages` renders it. */
export const OWN_ADDRESS = (n: number) =>
  `records without a callchain (recorded without -g, or printed with perf script -G, or -F without ip: add ip,sym,symoff,dso to the fields to print the callchain perf recorded): each stack is the record's own address, as perf report attributes it (an entry probe's function, or a return probe's return address in the caller) ×${n}`;

export const hex = (hi: number, lo: number) => (hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0'));

export type Event = (string | number)[];

export interface Imported {
  events: Event[];
  samples: { stack: string; thread: string; weight: number; timeNs: number }[];
  facts: PerfScriptFacts;
  warnings: Warning[];
  profile: HeapProfile;
}

/** A stack as `leaf < … < root` of function names (`@0x…` for a location without lines, `{mapping}` appended when asked). */
export function stackText(p: HeapProfile, stack: number, withModules = false): string {
  return p
    .stackLocations(stack)
    .map((l) => {
      const { lineStart, lineFunction, mapping } = p.locations;
      const names: string[] = [];
      for (let k = lineStart[l]; k < lineStart[l + 1]; k++) names.push(p.strings[p.functions.name[lineFunction[k]]]);
      const name = names.length > 0 ? names.join('|') : `@${p.addressHex(l)}`;
      const m = mapping[l];
      return withModules ? `${name}{${m >= 0 ? p.mappings[m].path : ''}}` : name;
    })
    .join(' < ');
}

export async function importPerf(
  content: string | Uint8Array,
  options: { chunkBytes?: number; lenient?: boolean; detect?: boolean; modules?: boolean; sizeArg?: string; allocEvent?: RegExp; freeEvent?: RegExp; keepBadFrames?: boolean } = {},
): Promise<Imported> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const input = await openBytes('records.txt', bytes, { chunkBytes: options.chunkBytes });
  const importer = options.detect ? detectImporter(input) : perfScriptImporter;
  if (importer.kind !== 'trace') throw new Error(`detected ${importer.id}`);
  const builder = traceBuilder(input, importer);
  const raw: (string | number)[][] = [];
  const rawSamples: [number, number, number, number][] = [];
  const sink: TraceSink & { sample(stack: number, thread: number, weight: number, timeNs: number): void } = {
    alloc: (hi, lo, size, op, stack, thread, t) => raw.push(['alloc', hex(hi, lo), size, op, stack, thread, t]),
    free: (hi, lo, stack, thread, t) => raw.push(['free', hex(hi, lo), stack, thread, t]),
    realloc: (oh, ol, nh, nl, size, stack, thread, t) => raw.push(['realloc', hex(oh, ol), hex(nh, nl), size, stack, thread, t]),
    allocUntracked: (size, op, stack, thread, t) => raw.push(['untracked', size, op, stack, thread, t]),
    threadDone: (thread, t) => raw.push(['threadDone', thread, t]),
    sample: (stack, thread, weight, t) => rawSamples.push([stack, thread, weight, t]),
  };
  const facts = (await parseTrace(input, importer, builder, sink, {
    lenient: options.lenient,
    sizeArg: options.sizeArg,
    allocEvent: options.allocEvent,
    freeEvent: options.freeEvent,
    keepBadFrames: options.keepBadFrames,
  })) as PerfScriptFacts;
  const profile = builder.finish();
  const thread = (t: number) => `${profile.threads[t].key}/${profile.threads[t].name}`;
  const stack = (s: number) => stackText(profile, s, options.modules);
  const events = raw.map((e) => {
    const out = [...e];
    const stackAt = e[0] === 'realloc' ? 4 : e[0] === 'free' ? 2 : e[0] === 'untracked' ? 3 : 4;
    out[stackAt] = stack(e[stackAt] as number);
    out[stackAt + 1] = thread(e[stackAt + 1] as number);
    return out;
  });
  const samples = rawSamples.map(([s, t, weight, timeNs]) => ({ stack: stack(s), thread: thread(t), weight, timeNs }));
  return { events, samples, facts, warnings: profile.meta.warnings, profile };
}

export async function importError(content: string, options: { chunkBytes?: number } = {}): Promise<ParseError> {
  try {
    await importPerf(content, options);
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error('expected a ParseError');
}

export const messages = (w: Warning[]) => w.map((x) => `${x.message} ×${x.count}`);

export const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
export const APP = '/path/to/app';

/** Records of a real capture (perf 6.1, x86-64, glibc 2.36; `perf record -g` on malloc, malloc%return and free probes): main → mid → leaf_alloc → malloc(8225), then free from main. */
export const REAL_RECORDS = `t 23700 [001]  1280.785321:         probe_libc:malloc: (7fe7f34d0930) size=8225
\t           98930 malloc+0x0 (${LIBC})
\t            1188 mid+0x9 (${APP})
\t            11b2 main+0x28 (${APP})
\t           2724a __libc_start_call_main+0x7a (${LIBC})

t 23700 [001]  1280.785364: probe_libc:malloc__return: (7fe7f34d0930 <- 5627ce88c172) ptr=0x5628008242a0
\t            1172 leaf_alloc+0x9 (${APP})
\t            1188 mid+0x9 (${APP})
\t            11b2 main+0x28 (${APP})
\t           2724a __libc_start_call_main+0x7a (${LIBC})

t 23700 [001]  1280.794253:           probe_libc:free: (7fe7f34d0ef0) ptr=94729807217312
\t           98ef0 cfree@GLIBC_2.2.5+0x0 (${LIBC})
\t           2724a __libc_start_call_main+0x7a (${LIBC})

`;
