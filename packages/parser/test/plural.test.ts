/**
 * Nouns after counts: one rule, so that no message says "1 frees" or
 * "1 locations" — and the messages that count things follow it.
 */
import { describe, expect, it } from 'vitest';
import { counted, formatWarning, openBytes, parseTrace, plural, traceBuilder, type TraceImporter, detectImporter } from '@heapscope/parser';

describe('plural', () => {
  it('one is singular, every other count plural; counts read as printed (rounded)', () => {
    expect(counted(1, 'free')).toBe('1 free');
    expect(counted(0, 'free')).toBe('0 frees');
    expect(counted(2, 'location')).toBe('2 locations');
    expect(plural(1.2, 'object')).toBe('object');
    expect(plural(1.6, 'object')).toBe('objects');
    expect(counted(1, 'stack frame')).toBe('1 stack frame');
    expect(counted(3, 'entry', 'entries')).toBe('3 entries');
  });

  it('a perf record cut at one bad frame says "1 stack frame … was cut from 1 stack"', async () => {
    const text = [
      'app  100 [000]  1.000000:  probe_libc:malloc: (7f0000001000) size=16',
      '\t    1000 malloc+0x0 (/usr/lib/libc.so.6)',
      '\t       0 [unknown] ([unknown])',
      '',
      '',
    ].join('\n');
    const input = await openBytes('cut.perf.txt', new TextEncoder().encode(text));
    const importer = detectImporter(input) as TraceImporter;
    const builder = traceBuilder(input, importer);
    const sink = { alloc() {}, free() {}, realloc() {}, allocUntracked() {}, threadDone() {}, sample() {} };
    await parseTrace(input, importer, builder, sink);
    const lines = builder.meta.warnings.map(formatWarning);
    expect(lines.some((l) => l.startsWith('1 stack frame outside every executable mapping') && l.includes('was cut from 1 stack, with every frame above it;'))).toBe(true);
  });
});
