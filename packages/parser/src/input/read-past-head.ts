/**
 * Reading an input past its head and back to its start: detection's search
 * for allocator statistics that start further in than the head it sniffs
 * (formats.ts, stats/past-head.ts).
 */
import { ParseError } from '../errors.js';
import { StreamError } from './lines.js';
import { Input } from './source.js';

/**
 * Reads `input` on past its head, chunk by chunk, until `found` returns true
 * (it sees each chunk once) or the content ends (then `atEnd` decides). When
 * found: the content again from its start, as a new input (Input.reopen, or
 * for a stream the chunks read kept and replayed: a stream holds what it
 * read until then); else null. Either way `input` is consumed, and a content
 * that holds nothing is read only once.
 */
export async function readPastHead(input: Input, found: (chunk: Uint8Array) => boolean, atEnd: () => boolean): Promise<Input | null> {
  const chunks = input.chunks();
  const kept: Uint8Array[] = [];
  const keep = input.reopen === undefined;
  try {
    if (input.head.length > 0) await chunks.next();
    for (;;) {
      const next = await chunks.next();
      if (next.done) {
        if (!atEnd()) return null;
        break;
      }
      if (keep) kept.push(next.value);
      if (found(next.value)) break;
    }
  } catch (error) {
    if (error instanceof StreamError) throw new ParseError(input.name, 1, error.message);
    throw error;
  }
  if (input.reopen) {
    await chunks.return(undefined);
    return input.reopen();
  }
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield* kept;
    kept.length = 0;
    yield* chunks;
  }
  return new Input(input.name, input.compression, input.member, input.head, replay(), input.maxLineBytes, input.sizeBytes);
}
