/**
 * Small, reviewable summaries of imported profiles (counts, totals per sample
 * type, top stacks), compared against golden files in test/golden/.
 * Run the tests with UPDATE_GOLDEN=1 to write (or rewrite) the goldens
 * after an intended change, then review the diff; without it a missing
 * golden is a failure.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { HeapProfile } from '@heapscope/parser';

const GOLDEN = fileURLToPath(new URL('../golden', import.meta.url));

/** The facts about a profile that a golden records. */
export function summarize(p: HeapProfile) {
  const typeIndex = p.sampleTypeIndex(p.defaultSampleType);
  const byStack = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const s = p.samples.stack[i];
    byStack.set(s, (byStack.get(s) ?? 0) + p.samples.values[typeIndex][i]);
  }
  const topStacks = [...byStack.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 3)
    .map(([stack, value]) => ({
      value,
      frames: p.stackLocations(stack).length,
      leaf: p.stackLocations(stack).slice(0, 3).map((l) => p.addressHex(l)),
    }));
  const totals: Record<string, number> = {};
  p.sampleTypes.forEach((t, i) => (totals[t.type] = p.total(i)));
  return {
    format: p.meta.format,
    variant: p.meta.variant,
    sampling: p.meta.sampling,
    sizeKind: p.meta.sizeKind,
    sampleTypes: p.sampleTypes.map((t) => `${t.type}/${t.unit}`),
    defaultSampleType: p.defaultSampleType,
    totals,
    samples: p.samples.length,
    stacks: p.stacks.length,
    locations: p.locations.length,
    mappings: p.mappings.length,
    threads: p.threads.length,
    namedThreads: p.threads.filter((t) => t.name !== '').length,
    topStacks,
    warnings: p.meta.warnings.map((w) => `${w.message} ×${w.count}`),
  };
}

/**
 * Compares a summary with its golden file. A missing golden fails the test:
 * goldens are written only when asked for, with UPDATE_GOLDEN=1, and
 * reviewed before they are committed — a test that writes what it then
 * compares against would pass on anything.
 */
export function expectGolden(name: string, summary: unknown): void {
  const file = join(GOLDEN, `${name.replace(/[/\\]/g, '__')}.json`);
  const text = `${JSON.stringify(summary, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden ${file} is missing: run the test with UPDATE_GOLDEN=1, review the file it writes, and commit it`);
  expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}
