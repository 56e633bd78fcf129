/**
 * Opening an input: a file, stdin (`-`) or bytes in memory; plain, gzip or
 * zip (first member, as AOSP's memory_replay reads it). Decompression
 * streams through fflate; nothing holds the whole input.
 *
 * An {@link Input} exposes the first bytes (`head`, for format detection)
 * and then the whole decompressed content once, as chunks or as lines.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Gunzip, Unzip, UnzipInflate } from 'fflate';
import { ParseError } from '../errors.js';
import { LineSource, DEFAULT_MAX_LINE_BYTES, StreamError } from './lines.js';

/** How many decompressed bytes format detection gets to see. */
export const HEAD_BYTES = 64 * 1024;
/** Default read size. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

export type Compression = 'none' | 'gzip' | 'zip';

export interface OpenOptions {
  /** Bytes per read (tests use 1 and 7 to exercise chunk boundaries). */
  chunkBytes?: number;
  /** Where `-` reads from (defaults to process.stdin). */
  stdin?: AsyncIterable<Uint8Array>;
  /** Longest line accepted. */
  maxLineBytes?: number;
  /**
   * Called after each chunk read from the file or stdin (compressed bytes),
   * with the total size when known (files).
   */
  onProgress?: (bytesRead: number, totalBytes: number | undefined) => void;
}

/** An opened input, positioned at its start. Its content can be consumed once. */
export class Input {
  private consumed = false;

  constructor(
    /** Display name: the path, or `-` for stdin. */
    readonly name: string,
    /** Compression that was removed. */
    readonly compression: Compression,
    /** For zip input, the member read. */
    readonly member: string | undefined,
    /** The first (up to) {@link HEAD_BYTES} decompressed bytes. */
    readonly head: Uint8Array,
    private readonly rest: AsyncIterator<Uint8Array>,
    private readonly maxLineBytes: number,
  ) {}

  /** The head decoded leniently, for sniffing. */
  headText(): string {
    return new TextDecoder('utf-8').decode(this.head);
  }

  /** The decompressed content as chunks, from the start. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    if (this.consumed) throw new Error(`input ${this.name} was already read`);
    this.consumed = true;
    if (this.head.length > 0) yield this.head;
    for (;;) {
      const next = await this.rest.next();
      if (next.done) return;
      yield next.value;
    }
  }

  /** The line source handed out by `lines()`, once it was called. */
  lineSource: LineSource | undefined;

  /** The decompressed content as batches of lines, from the start. */
  lines(): LineSource {
    this.lineSource = new LineSource(this.name, this.chunks(), this.maxLineBytes);
    return this.lineSource;
  }

  /** The whole decompressed content in one buffer (binary formats such as pprof). */
  async readAll(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const c of this.chunks()) {
        parts.push(c);
        total += c.length;
      }
    } catch (error) {
      if (error instanceof StreamError) throw new ParseError(this.name, 1, error.message);
      throw error;
    }
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}

/** Opens a path, or `-` for stdin. */
export async function openInput(path: string, options: OpenOptions = {}): Promise<Input> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let raw: AsyncIterable<Uint8Array>;
  if (path === '-') {
    raw = options.stdin ?? (process.stdin as AsyncIterable<Uint8Array>);
  } else {
    raw = readFileChunks(path, chunkBytes);
  }
  if (options.onProgress) {
    const total = path === '-' ? undefined : await stat(path).then((st) => st.size, () => undefined);
    raw = counted(raw, total, options.onProgress);
  }
  return openStream(path, raw, options);
}

/** Opens bytes held in memory, fed in chunks of `chunkBytes`. */
export async function openBytes(name: string, bytes: Uint8Array, options: OpenOptions = {}): Promise<Input> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
  }
  return openStream(name, chunks(), options);
}

async function* counted(
  source: AsyncIterable<Uint8Array>,
  total: number | undefined,
  report: (bytesRead: number, totalBytes: number | undefined) => void,
): AsyncGenerator<Uint8Array> {
  let read = 0;
  for await (const chunk of source) {
    read += chunk.length;
    report(read, total);
    yield chunk;
  }
}

async function* readFileChunks(path: string, chunkBytes: number): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: chunkBytes });
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reason =
      e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new ParseError(path, 1, `cannot read input: ${reason}`);
  }
}

/** Reads ahead until `min` bytes (or the end) are buffered; returns them and the iterator. */
async function takeHead(
  source: AsyncIterable<Uint8Array>,
  min: number,
): Promise<{ head: Uint8Array; rest: AsyncIterator<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  const parts: Uint8Array[] = [];
  let total = 0;
  while (total < min) {
    const next = await it.next();
    if (next.done) break;
    parts.push(next.value);
    total += next.value.length;
  }
  const head = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    head.set(p, offset);
    offset += p.length;
  }
  return { head, rest: it };
}

function* once(first: Uint8Array): Generator<Uint8Array> {
  if (first.length > 0) yield first;
}

async function* prepend(first: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* once(first);
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
// Local file header, or the end-of-central-directory record of an empty archive.
const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6));

async function openStream(name: string, raw: AsyncIterable<Uint8Array>, options: OpenOptions): Promise<Input> {
  try {
    return await openDecompressed(name, raw, options);
  } catch (error) {
    if (error instanceof StreamError) throw new ParseError(name, 1, error.message);
    throw error;
  }
}

async function openDecompressed(name: string, raw: AsyncIterable<Uint8Array>, options: OpenOptions): Promise<Input> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // Four bytes are enough to recognise gzip and zip.
  const sniffed = await takeHead(raw, 4);
  const compressed = prepend(sniffed.head, sniffed.rest);
  let compression: Compression = 'none';
  let member: string | undefined;
  let content: AsyncIterable<Uint8Array> = compressed;
  if (isGzip(sniffed.head)) {
    compression = 'gzip';
    content = gunzip(compressed);
  } else if (isZip(sniffed.head)) {
    compression = 'zip';
    const unzipped = firstZipMember(compressed);
    content = unzipped.data;
    const { head, rest } = await takeHead(content, HEAD_BYTES);
    member = unzipped.member();
    return new Input(name, compression, member, head, rest, maxLineBytes);
  }
  const { head, rest } = await takeHead(content, HEAD_BYTES);
  return new Input(name, compression, member, head, rest, maxLineBytes);
}

/**
 * Gunzips a stream (multi-member files included). fflate accepts a stream cut
 * inside the 8-byte trailer, so the last member's ISIZE is checked here.
 */
async function* gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = [];
  let memberBytes = 0;
  const inflater = new Gunzip((data) => {
    out.push(data);
    memberBytes += data.length;
  });
  inflater.onmember = () => {
    memberBytes = 0;
  };
  let tail: Uint8Array = new Uint8Array(0); // the last 4 input bytes seen
  let previous: Uint8Array | undefined;
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      inflater.push(chunk, final);
    } catch (error) {
      throw new StreamError(`corrupt or truncated gzip data (${(error as Error).message})`);
    }
  };
  for await (const chunk of source) {
    if (previous) {
      push(previous, false);
      if (out.length) {
        yield* out;
        out = [];
      }
    }
    previous = chunk;
    tail = lastBytes(tail, chunk, 4);
  }
  push(previous ?? new Uint8Array(0), true);
  yield* out;
  const isize = tail.length === 4 ? (tail[0] | (tail[1] << 8) | (tail[2] << 16) | (tail[3] << 24)) >>> 0 : -1;
  if (isize !== memberBytes % 0x100000000) {
    throw new StreamError('truncated gzip data (the trailer does not match the decompressed size)');
  }
}

function lastBytes(tail: Uint8Array, chunk: Uint8Array, n: number): Uint8Array {
  if (chunk.length >= n) return chunk.slice(chunk.length - n);
  const joined = new Uint8Array(Math.min(n, tail.length + chunk.length));
  const fromTail = joined.length - chunk.length;
  joined.set(tail.subarray(tail.length - fromTail), 0);
  joined.set(chunk, fromTail);
  return joined;
}

/** Streams the first member of a zip archive; later members are not read. */
function firstZipMember(
  source: AsyncIterable<Uint8Array>,
): { data: AsyncIterable<Uint8Array>; member: () => string | undefined } {
  let memberName: string | undefined;
  async function* data(): AsyncGenerator<Uint8Array> {
    let out: Uint8Array[] = [];
    let seen = false;
    let done = false;
    let failure: Error | undefined;
    const unzip = new Unzip((file) => {
      if (seen) return; // only the first member, as memory_replay reads it
      seen = true;
      memberName = file.name;
      file.ondata = (err, chunk, final) => {
        if (err) failure = err;
        else {
          if (chunk.length) out.push(chunk);
          if (final) done = true;
        }
      };
      file.start();
    });
    unzip.register(UnzipInflate);
    const push = (chunk: Uint8Array, final: boolean) => {
      try {
        unzip.push(chunk, final);
      } catch (error) {
        failure = error as Error;
      }
      if (failure) throw new StreamError(`corrupt or truncated zip data (${failure.message})`);
    };
    for await (const chunk of source) {
      if (done) break; // the first member is complete; ignore the rest
      push(chunk, false);
      if (out.length) {
        yield* out;
        out = [];
      }
    }
    if (!done) push(new Uint8Array(0), true);
    yield* out;
    if (!seen) throw new StreamError('zip archive has no members');
    if (!done) throw new StreamError(`truncated zip data (member ${memberName} is incomplete)`);
  }
  return { data: data(), member: () => memberName };
}
