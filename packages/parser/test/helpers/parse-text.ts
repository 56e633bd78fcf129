/** Parses text held in the test, as an input without a file name. */
import { ParseContext, detectImporter, importerById, openBytes, parseSnapshot, type HeapProfile, type SnapshotImporter } from '@heapscope/parser';

export async function parseText(text: string, options: { lenient?: boolean; format?: string; chunkBytes?: number; name?: string } = {}): Promise<HeapProfile> {
  const input = await openBytes(options.name ?? 'test.heap', new TextEncoder().encode(text), { chunkBytes: options.chunkBytes });
  const importer = (options.format ? importerById(options.format) : detectImporter(input)) as SnapshotImporter;
  return parseSnapshot(input, importer, { lenient: options.lenient });
}

export { ParseContext };

/** Value of sample type `type` summed over samples with stack `stack`. */
export function valueOf(p: HeapProfile, type: string, predicate: (i: number) => boolean = () => true): number {
  const col = p.samples.values[p.sampleTypeIndex(type)];
  let sum = 0;
  for (let i = 0; i < p.samples.length; i++) if (predicate(i)) sum += col[i];
  return sum;
}
