/**
 * Opening an input: a file, stdin (`-`) or bytes in memory; plain, gzip,
 * zstd or zip (first member, as AOSP's memory_replay reads it).
 * Decompression streams (gzip and zip through node:zlib, zstd through
 * zstd.ts); nothing holds the whole input.
 *
 * An {@link Input} exposes the first bytes (`head`, for format detection)
 * and then the whole decompressed content once, as chunks or as lines.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once as eventOnce } from 'node:events';
import type { Transform } from 'node:stream';
import { createRequire } from 'node:module';
import { ParseError } from '../errors.js';
import { LineSource, DEFAULT_MAX_LINE_BYTES, StreamError } from './lines.js';
import { isZstd, unzstd } from './zstd.js';

/** How many decompressed bytes format detection gets to see. */
export const HEAD_BYTES = 64 * 1024;
/** Default read size. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

export type Compression = 'none' | 'gzip' | 'zstd' | 'zip';

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
    /** Size of the file as stored (compressed bytes), when known: a hint for sizing tables. */
    readonly sizeBytes?: number,
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
  const size = path === '-' ? undefined : await stat(path).then((st) => st.size, () => undefined);
  if (options.onProgress) raw = counted(raw, size, options.onProgress);
  return openStream(path, raw, options, size);
}

/** Opens bytes held in memory, fed in chunks of `chunkBytes`. */
export async function openBytes(name: string, bytes: Uint8Array, options: OpenOptions = {}): Promise<Input> {
  const size = bytes.length;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
  }
  return openStream(name, chunks(), options, size);
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

async function openStream(name: string, raw: AsyncIterable<Uint8Array>, options: OpenOptions, sizeBytes?: number): Promise<Input> {
  try {
    return await openDecompressed(name, raw, options, sizeBytes);
  } catch (error) {
    if (error instanceof StreamError) throw new ParseError(name, 1, error.message);
    throw error;
  }
}

/** node:zlib, required when a compressed input is met (most inputs are not: no load time for them). */
function zlib(): typeof import('node:zlib') {
  return createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
}

async function openDecompressed(name: string, raw: AsyncIterable<Uint8Array>, options: OpenOptions, sizeBytes?: number): Promise<Input> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // Four bytes are enough to recognise gzip, zstd and zip.
  const sniffed = await takeHead(raw, 4);
  const compressed = prepend(sniffed.head, sniffed.rest);
  let compression: Compression = 'none';
  let member: string | undefined;
  let content: AsyncIterable<Uint8Array> = compressed;
  if (isGzip(sniffed.head)) {
    compression = 'gzip';
    content = gunzip(compressed);
  } else if (isZstd(sniffed.head)) {
    compression = 'zstd';
    content = unzstd(compressed);
  } else if (isZip(sniffed.head)) {
    compression = 'zip';
    const unzipped = firstZipMember(compressed);
    content = unzipped.data;
    const { head, rest } = await takeHead(content, HEAD_BYTES);
    member = unzipped.member();
    return new Input(name, compression, member, head, rest, maxLineBytes, sizeBytes);
  }
  const { head, rest } = await takeHead(content, HEAD_BYTES);
  return new Input(name, compression, member, head, rest, maxLineBytes, sizeBytes);
}

/**
 * Gunzips a stream (multi-member files included) with node:zlib, which
 * inflates in libuv's thread pool, beside the parser: several times faster
 * than fflate's JavaScript inflate on large traces. A stream cut anywhere —
 * in a block or in the 8-byte trailer — is an error.
 */
function gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  return inflateThrough(zlib().createGunzip({ chunkSize: 1 << 20 }), new Uint8Array(0), source[Symbol.asyncIterator](), false, (failure) =>
    (failure as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
      ? 'truncated gzip data (the stream ends early)'
      : `corrupt or truncated gzip data (${failure.message})`,
  );
}

/**
 * Streams compressed bytes (`first`, then the rest of `it`) through a zlib
 * inflater and yields its output, with backpressure both ways. With
 * `stopAtEnd`, feeding stops when the compressed stream ends itself (a zip
 * member is followed by other members that are not read).
 */
async function* inflateThrough(
  inflater: Transform,
  first: Uint8Array,
  it: AsyncIterator<Uint8Array>,
  stopAtEnd: boolean,
  describe: (failure: Error) => string,
): AsyncGenerator<Uint8Array> {
  let failure: Error | undefined;
  inflater.on('error', (error) => (failure = error));
  let inflated = false;
  inflater.on('end', () => (inflated = true));
  const feed = (async () => {
    try {
      if (first.length > 0 && !inflater.write(first)) await eventOnce(inflater, 'drain');
      while (!failure && !(stopAtEnd && inflated)) {
        const next = await it.next();
        if (next.done) break;
        if (!inflater.write(next.value)) await Promise.race([eventOnce(inflater, 'drain'), eventOnce(inflater, 'end')]);
      }
    } catch (error) {
      failure ??= error as Error;
    } finally {
      if (!inflated) inflater.end();
    }
  })();
  try {
    // Not `for await (… of inflater)`: that destroys the stream when its
    // output ends, and a zip member's output ends while its input side is
    // still open (the archive goes on), which reads as an abort.
    for await (const chunk of inflater.iterator({ destroyOnReturn: false })) yield chunk as Uint8Array;
  } catch (error) {
    failure ??= error as Error;
  }
  await feed;
  inflater.destroy();
  if (failure) {
    if (failure instanceof StreamError || failure instanceof ParseError) throw failure;
    throw new StreamError(describe(failure));
  }
}

/**
 * Streams the first member of a zip archive; later members are not read.
 * Reads the local file header (APPNOTE.TXT 4.3.7) itself and inflates with
 * node:zlib, which runs in libuv's thread pool: 58.9 MB (the surfaceflinger
 * record_allocs trace) inflates in ~70 ms against ~550 ms through fflate.
 * A deflate stream ends itself, so sizes are needed only for stored members.
 */
function firstZipMember(
  source: AsyncIterable<Uint8Array>,
): { data: AsyncIterable<Uint8Array>; member: () => string | undefined } {
  let memberName: string | undefined;
  async function* data(): AsyncGenerator<Uint8Array> {
    const it = source[Symbol.asyncIterator]();
    let buffered: Uint8Array = new Uint8Array(0);
    let ended = false;
    /** Buffers at least `n` bytes (fewer at the end of the input). */
    const fill = async (n: number) => {
      while (buffered.length < n && !ended) {
        const next = await it.next();
        if (next.done) ended = true;
        else buffered = concatBytes(buffered, next.value);
      }
    };
    await fill(30);
    const b = buffered;
    const u16 = (o: number) => b[o] | (b[o + 1] << 8);
    const u32 = (o: number) => (u16(o) | (u16(o + 2) << 16)) >>> 0;
    if (b.length >= 4 && u32(0) === 0x06054b50) throw new StreamError('zip archive has no members');
    if (b.length < 30) throw new StreamError('truncated zip data (the first local header is incomplete)');
    if (u32(0) !== 0x04034b50) throw new StreamError('corrupt zip data (no local file header at the start)');
    const flags = u16(6);
    const method = u16(8);
    let storedSize = u32(18);
    const nameLength = u16(26);
    const extraLength = u16(28);
    await fill(30 + nameLength + extraLength);
    if (buffered.length < 30 + nameLength + extraLength) throw new StreamError('truncated zip data (the first local header is incomplete)');
    memberName = new TextDecoder().decode(buffered.subarray(30, 30 + nameLength));
    if (flags & 1) throw new StreamError(`zip member ${memberName} is encrypted`);
    if (storedSize === 0xffffffff) {
      // Zip64: the sizes are in extra field 0x0001 (uncompressed, then compressed).
      const extra = buffered.subarray(30 + nameLength, 30 + nameLength + extraLength);
      for (let o = 0; o + 4 <= extra.length; o += 4 + (extra[o + 2] | (extra[o + 3] << 8))) {
        if ((extra[o] | (extra[o + 1] << 8)) === 1 && o + 20 <= extra.length) {
          const v = new DataView(extra.buffer, extra.byteOffset + o + 12, 8);
          storedSize = Number(v.getBigUint64(0, true));
        }
      }
    }
    let rest: Uint8Array = buffered.subarray(30 + nameLength + extraLength);
    if (method === 0) {
      if (flags & 8) throw new StreamError(`zip member ${memberName} is stored with a data descriptor (unsupported)`);
      let left = storedSize;
      for (;;) {
        if (rest.length > 0) {
          const take = rest.subarray(0, Math.min(left, rest.length));
          left -= take.length;
          if (take.length > 0) yield take;
        }
        if (left === 0) return;
        const next = await it.next();
        if (next.done) throw new StreamError(`truncated zip data (member ${memberName} is incomplete)`);
        rest = next.value;
      }
    }
    if (method !== 8) throw new StreamError(`zip member ${memberName} uses compression method ${method} (only stored and deflate are supported)`);
    yield* inflateThrough(zlib().createInflateRaw({ chunkSize: 1 << 20 }), rest, it, true, (failure) =>
      (failure as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
        ? `truncated zip data (member ${memberName} is incomplete)`
        : `corrupt or truncated zip data (${failure.message})`,
    );
  }
  return { data: data(), member: () => memberName };
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
