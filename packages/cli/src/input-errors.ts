/**
 * The waste analyses' refusals as the command line reports bad input: one
 * line `heapscope: FILE:1: message` and exit 1 (docs/design.md#exit-codes).
 * The analyzer's errors name their file first (`FILE: message`); the line
 * is 1 because they are about an input as a whole, not one of its lines.
 */
import { BinStatsError, FragmentationInputError, SizeClassWasteInputError } from '@heapscope/analyzer';
import { ParseError } from '@heapscope/parser';

/** Whether `error` is one of the waste analyses' input refusals. */
export function isWasteInputError(error: unknown): error is Error {
  return error instanceof FragmentationInputError || error instanceof BinStatsError || error instanceof SizeClassWasteInputError;
}

/**
 * `error` as a ParseError located at the one of `files` its message begins
 * with (the first of `files` when it begins with none); other errors unchanged.
 */
export function wasteInputError(error: unknown, files: readonly string[]): unknown {
  if (!isWasteInputError(error)) return error;
  const file = files.find((f) => error.message.startsWith(`${f}: `));
  if (file !== undefined) return new ParseError(file, 1, error.message.slice(file.length + 2));
  // "FILE is a jemalloc profile, but …": the location names the file already.
  const subject = files.find((f) => error.message.startsWith(`${f} is `));
  if (subject !== undefined) return new ParseError(subject, 1, `it${error.message.slice(subject.length)}`);
  return new ParseError(files[0], 1, error.message);
}
