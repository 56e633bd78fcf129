/**
 * Reading a snapshot input end to end: open, detect, parse.
 */
import { ParseError } from './errors.js';
import { detectImporter } from './formats.js';
import { ParseContext, type ImportOptions, type SnapshotImporter } from './importers/importer.js';
import { openInput, type Input, type OpenOptions } from './input/source.js';
import { LimitExceededError } from './model/builder.js';
import type { HeapProfile } from './model/profile.js';

/** Options for {@link loadSnapshot}. */
export interface LoadOptions extends OpenOptions, ImportOptions {
  /** Importer id that overrides detection (`--input-format`). */
  inputFormat?: string;
}

/** Parses an opened input with a snapshot importer, turning size limits into located errors. */
export async function parseSnapshot(input: Input, importer: SnapshotImporter, options: ImportOptions = {}): Promise<HeapProfile> {
  const ctx = new ParseContext(input.name, importer.id, options);
  try {
    return await importer.parse(input, ctx);
  } catch (error) {
    if (error instanceof LimitExceededError) throw new ParseError(input.name, 1, error.message, importer.id);
    throw error;
  }
}

/** Opens `path` (`-` = stdin), detects its format and parses it. */
export async function loadSnapshot(path: string, options: LoadOptions = {}): Promise<HeapProfile> {
  const input = await openInput(path, options);
  const importer = detectImporter(input, options.inputFormat);
  return parseSnapshot(input, importer, options);
}
