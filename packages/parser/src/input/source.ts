/**
 * Opening an input: a file, stdin (`-`) or bytes in memory; plain, gzip,
 * zstd or zip (first member, as AOSP's memory_replay reads it).
 * Decompression streams (gzip and zip through node:zlib, zstd through
 * zstd.ts); nothing holds the whole input. Other compressions are named in
 * an error; a UTF-8 byte order mark is dropped.
 *
 * An {@link Input} exposes the first bytes (`head`, for format detection)
 * and then the whole decompressed content once, as chunks or as lines.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import { createRequire } from 'node:module';
import { ParseError } from '../errors.js';
import { LineSource, DEFAULT_MAX_LINE_BYTES, StreamError, type LineReading } from './lines.js';
import { isZstd, unzstd } from './zstd.js';
import { unzstdOnThread } from './zstd-thread.js';

/** How many decompressed bytes format detection gets to see. */
export const HEAD_BYTES = 64 * 1024;
/** Default read size. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/**
 * Default limit on an input's decompressed bytes: far beyond real dumps and
 * traces (the largest real record_allocs traces are a few GB), and reached
 * by a decompression bomb within seconds.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 ** 3;

/**
 * zstd inputs of at least this many compressed bytes are decompressed on a
 * worker thread (zstd-thread.ts). Why: the worker's start (its isolate, and
 * compiling the decoder again) keeps the parser waiting for its first bytes
 * about as long as decompressing a few tens of MB on this thread takes,
 * which heaptrack recordings pack into 2–3 MB
 * (docs/BENCHMARKS.md#heaptrack-worker-parts).
 */
export const ZSTD_THREAD_MIN_BYTES = 2 * 1024 * 1024;

export type Compression = 'none' | 'gzip' | 'zstd' | 'zip';

export interface OpenOptions {
  /** Bytes per read (tests use 1 and 7 to exercise chunk boundaries). */
  chunkBytes?: number;
  /** Where `-` reads from (defaults to process.stdin). */
  stdin?: AsyncIterable<Uint8Array>;
  /** Longest line (or, in pprof, top-level record such as a string) accepted. */
  maxLineBytes?: number;
  /** Most bytes a compressed input may decompress to (default {@link DEFAULT_MAX_DECOMPRESSED_BYTES}). */
  maxDecompressedBytes?: number;
  /**
   * Called after each chunk read from the file or stdin (compressed bytes),
   * with the total size when known (files).
   */
  onProgress?: (bytesRead: number, totalBytes: number | undefined) => void;
  /**
   * Decompress zstd on a worker thread (true) or on this one (false).
   * Default: on a worker when the compressed size is known and at least
   * {@link ZSTD_THREAD_MIN_BYTES}.
   */
  zstdOnThread?: boolean;
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
    /** Longest line (or pprof record) accepted. */
    readonly maxLineBytes: number,
    /** Size of the file as stored (compressed bytes), when known: a hint for sizing tables. */
    readonly sizeBytes?: number,
  ) {}

  /** The same content again from its start where that costs no memory (a file, bytes); undefined for a stream. */
  reopen: (() => Promise<Input>) | undefined;

  /** The head decoded leniently, for sniffing. */
  headText(): string {
    return new TextDecoder('utf-8').decode(this.head);
  }

  /** The decompressed content as chunks, from the start. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    if (this.consumed) throw new Error(`input ${this.name} was already read`);
    this.consumed = true;
    try {
      if (this.head.length > 0) yield this.head;
      for (;;) {
        const next = await this.rest.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // A reader that stops early stops the decompression too (a worker thread's, zstd-thread.ts).
      await this.rest.return?.();
    }
  }

  /** The decompressed content as batches of lines, from the start (see {@link LineReading}). */
  lines(reading: LineReading = {}): LineSource {
    return new LineSource(this.name, this.chunks(), this.maxLineBytes, reading);
  }

  /**
   * The whole decompressed content in one buffer (binary formats such as
   * pprof); `inspect` sees each chunk first, and may throw to stop reading.
   */
  async readAll(inspect?: (chunk: Uint8Array) => void): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const c of this.chunks()) {
        inspect?.(c);
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
  return Object.assign(await openStream(path, raw, options, size), { reopen: path === '-' ? undefined : () => openInput(path, options) });
}

/** Opens bytes held in memory, fed in chunks of `chunkBytes`. */
export async function openBytes(name: string, bytes: Uint8Array, options: OpenOptions = {}): Promise<Input> {
  const size = bytes.length;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
  }
  return Object.assign(await openStream(name, chunks(), options, size), { reopen: () => openBytes(name, bytes, options) });
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

/** Compressions heapscope does not read, by their magic numbers, and the command that undoes each. */
const OTHER_COMPRESSIONS: readonly { name: string; tool: string; magic: readonly number[] }[] = [
  // "BZh", a block size digit, then the first block's magic (π in BCD).
  { name: 'bzip2', tool: 'bunzip2', magic: [0x42, 0x5a, 0x68, -1, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59] },
  { name: 'xz', tool: 'unxz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'lz4', tool: 'unlz4', magic: [0x04, 0x22, 0x4d, 0x18] },
  { name: 'Unix compress (.Z)', tool: 'uncompress', magic: [0x1f, 0x9d] },
];

/** The other compression `head` starts with (a magic byte of -1 is any byte), or undefined. */
function otherCompression(head: Uint8Array): (typeof OTHER_COMPRESSIONS)[number] | undefined {
  return OTHER_COMPRESSIONS.find((c) => head.length >= c.magic.length && c.magic.every((m, i) => m < 0 || head[i] === m));
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

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
  const maxDecompressed = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  // Ten bytes are enough to recognise every compression (bzip2's magic is the longest).
  const sniffed = await takeHead(raw, 10);
  const compressed = prepend(sniffed.head, sniffed.rest);
  let compression: Compression = 'none';
  let member: () => string | undefined = () => undefined;
  let content: AsyncIterable<Uint8Array> = compressed;
  if (isGzip(sniffed.head)) {
    compression = 'gzip';
    content = limited(gunzip(compressed), maxDecompressed);
  } else if (isZstd(sniffed.head)) {
    compression = 'zstd';
    const onThread = options.zstdOnThread ?? (sizeBytes !== undefined && sizeBytes >= ZSTD_THREAD_MIN_BYTES);
    content = limited(onThread ? unzstdOnThread(compressed) : unzstd(compressed), maxDecompressed);
  } else if (isZip(sniffed.head)) {
    compression = 'zip';
    const unzipped = firstZipMember(compressed);
    content = limited(unzipped.data, maxDecompressed);
    member = unzipped.member;
  } else {
    const other = otherCompression(sniffed.head);
    if (other) {
      throw new StreamError(`${other.name}-compressed input: heapscope reads plain, gzip, zstd and zip inputs (decompress it first, e.g. with ${other.tool})`);
    }
  }
  let { head, rest } = await takeHead(content, HEAD_BYTES);
  // A byte order mark is not content: no format starts with one.
  if (head.length >= 3 && UTF8_BOM.every((b, i) => head[i] === b)) head = head.subarray(3);
  return new Input(name, compression, member(), head, rest, maxLineBytes, sizeBytes);
}

/**
 * Passes decompressed chunks on until more than `max` bytes came out: a
 * decompression bomb (kilobytes that inflate to terabytes) is stopped with
 * an error instead of running for hours.
 */
async function* limited(source: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > max) throw new StreamError(`more than ${max} bytes after decompression (raise the limit with --max-decompressed-bytes)`);
    yield chunk;
  }
}

/**
 * Gunzips a stream (multi-member files included) with node:zlib, which
 * inflates in libuv's thread pool, beside the parser: several times faster
 * than fflate's JavaScript inflate on large traces. A stream cut anywhere —
 * in a block or in the 8-byte trailer — is an error; so is a wrong CRC-32 or
 * length in a trailer (zlib checks both).
 */
function gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  return inflateThrough(zlib().createGunzip({ chunkSize: 1 << 20 }), new Uint8Array(0), source[Symbol.asyncIterator](), undefined, (failure) =>
    (failure as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
      ? 'truncated gzip data (the stream ends early)'
      : `corrupt or truncated gzip data (${failure.message})`,
  );
}

/** Resolves when `stream` emits 'drain' or 'end', and leaves no listener behind either way. */
function drainOrEnd(stream: Transform): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('end', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('end', done);
    stream.on('close', done);
  });
}

/**
 * The compressed bytes fed to an inflater that ends by itself (a zip
 * member's deflate stream): the latest chunks are kept, so that what follows
 * the stream's end (a data descriptor) can be read once the inflater says
 * how much it consumed.
 */
class FedBytes {
  total = 0;
  private chunks: Uint8Array[] = [];
  /** Index of the first chunk kept. */
  private first = 0;
  private kept = 0;
  private largest = 0;

  add(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
    this.kept += chunk.length;
    this.largest = Math.max(this.largest, chunk.length);
    // What the inflater has not consumed when it ends is at most its write
    // buffer (16 KiB) and the chunk being written: keep more than that.
    const keep = 2 * this.largest + (256 << 10);
    const { chunks } = this;
    while (chunks.length - this.first > 1 && this.kept - chunks[this.first].length >= keep) this.kept -= chunks[this.first++].length;
    if (this.first > 1024 && this.first * 2 > chunks.length) {
      this.chunks = chunks.slice(this.first);
      this.first = 0;
    }
  }

  /** The bytes fed after the first `consumed`, or undefined when they were not kept. */
  after(consumed: number): Uint8Array | undefined {
    const from = consumed - (this.total - this.kept);
    if (from < 0) return undefined;
    const out = new Uint8Array(this.kept);
    let offset = 0;
    for (let i = this.first; i < this.chunks.length; i++) {
      out.set(this.chunks[i], offset);
      offset += this.chunks[i].length;
    }
    return out.subarray(from);
  }
}

/**
 * Streams compressed bytes (`first`, then the rest of `it`) through a zlib
 * inflater and yields its output, with backpressure both ways. With `fed`,
 * feeding stops when the compressed stream ends itself (a zip member is
 * followed by other members that are not read), and `fed` keeps the last
 * bytes fed.
 */
async function* inflateThrough(
  inflater: Transform,
  first: Uint8Array,
  it: AsyncIterator<Uint8Array>,
  fed: FedBytes | undefined,
  describe: (failure: Error) => string,
): AsyncGenerator<Uint8Array> {
  let failure: Error | undefined;
  inflater.on('error', (error) => (failure = error));
  let inflated = false;
  inflater.on('end', () => (inflated = true));
  const write = async (chunk: Uint8Array) => {
    fed?.add(chunk);
    if (!inflater.write(chunk) && !inflated) await drainOrEnd(inflater);
  };
  const feed = (async () => {
    try {
      if (first.length > 0) await write(first);
      while (!failure && !(fed && inflated)) {
        const next = await it.next();
        if (next.done) break;
        await write(next.value);
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

/** A zip member's facts from its local header (APPNOTE.TXT 4.3.7), and what reading it must find. */
interface ZipMember {
  name: string;
  method: number;
  /** Sizes and CRC follow the data, in a data descriptor (flag bit 3). */
  descriptor: boolean;
  /** Sizes are 64-bit (a Zip64 extra field). */
  zip64: boolean;
  crc: number;
  compressedSize: number;
  size: number;
}

/**
 * Streams the first member of a zip archive; later members are not read.
 * Reads the local file header itself and inflates with node:zlib, which
 * runs in libuv's thread pool, several times faster than fflate's
 * JavaScript inflate on large traces (docs/BENCHMARKS.md#measured-design-choices). A deflate stream
 * ends itself, so sizes are needed to read only stored members; they and the
 * CRC-32 are checked for every member read, as `unzip -t` does, since a
 * changed digit in a stored member is otherwise read without complaint.
 */
function firstZipMember(source: AsyncIterable<Uint8Array>): { data: AsyncIterable<Uint8Array>; member: () => string | undefined } {
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
    const header = readLocalHeader(buffered);
    await fill(30 + header.nameLength + header.extraLength);
    if (buffered.length < 30 + header.nameLength + header.extraLength) throw new StreamError('truncated zip data (the first local header is incomplete)');
    const member = readMember(buffered, header);
    memberName = member.name;
    if (header.flags & 1) throw new StreamError(`zip member ${member.name} is encrypted`);
    let rest: Uint8Array = buffered.subarray(30 + header.nameLength + header.extraLength);
    const crc32 = zlib().crc32;
    let crc = 0;
    let size = 0;
    if (member.method === 0) {
      if (member.descriptor) throw new StreamError(`zip member ${member.name} is stored with a data descriptor (unsupported)`);
      let left = member.compressedSize;
      for (;;) {
        if (rest.length > 0) {
          const take = rest.subarray(0, Math.min(left, rest.length));
          left -= take.length;
          if (take.length > 0) {
            crc = crc32(take, crc);
            size += take.length;
            yield take;
          }
        }
        if (left === 0) break;
        const next = await it.next();
        if (next.done) throw new StreamError(`truncated zip data (member ${member.name} is incomplete)`);
        rest = next.value;
      }
      checkMember(member, crc, size, member.compressedSize);
      return;
    }
    if (member.method !== 8) throw new StreamError(`zip member ${member.name} uses compression method ${member.method} (only stored and deflate are supported)`);
    const inflater = zlib().createInflateRaw({ chunkSize: 1 << 20 });
    const fed = new FedBytes();
    const inflated = inflateThrough(inflater, rest, it, fed, (failure) =>
      (failure as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
        ? `truncated zip data (member ${member.name} is incomplete)`
        : `corrupt or truncated zip data (member ${member.name}: ${failure.message})`,
    );
    for await (const chunk of inflated) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      yield chunk;
    }
    const consumed = inflater.bytesWritten;
    if (member.descriptor) {
      // The descriptor follows the deflate data: [signature] crc, compressed size, size.
      let after = fed.after(consumed);
      if (!after) throw new StreamError(`zip member ${member.name}: its data descriptor was not kept (the deflate data ended long before the bytes read)`);
      const need = 4 + 4 + (member.zip64 ? 16 : 8);
      while (after.length < need) {
        const next = await it.next();
        if (next.done) break;
        after = concatBytes(after, next.value);
      }
      const d = new DataView(after.buffer, after.byteOffset, after.length);
      const at = after.length >= 4 && d.getUint32(0, true) === 0x08074b50 ? 4 : 0;
      if (after.length < at + need - 4) throw new StreamError(`truncated zip data (member ${member.name} has no data descriptor after its data)`);
      member.crc = d.getUint32(at, true);
      member.compressedSize = member.zip64 ? Number(d.getBigUint64(at + 4, true)) : d.getUint32(at + 4, true);
      member.size = member.zip64 ? Number(d.getBigUint64(at + 12, true)) : d.getUint32(at + 8, true);
    }
    checkMember(member, crc, size, consumed);
  }
  return { data: data(), member: () => memberName };
}

/** The fixed part of a local file header. */
function readLocalHeader(b: Uint8Array): { flags: number; nameLength: number; extraLength: number } {
  if (b.length >= 4 && u32(b, 0) === 0x06054b50) throw new StreamError('zip archive has no members');
  if (b.length < 30) throw new StreamError('truncated zip data (the first local header is incomplete)');
  if (u32(b, 0) !== 0x04034b50) throw new StreamError('corrupt zip data (no local file header at the start)');
  return { flags: u16(b, 6), nameLength: u16(b, 26), extraLength: u16(b, 28) };
}

/** The member a whole local header (name and extra fields included) describes. */
function readMember(b: Uint8Array, header: { flags: number; nameLength: number; extraLength: number }): ZipMember {
  const member: ZipMember = {
    name: new TextDecoder().decode(b.subarray(30, 30 + header.nameLength)),
    method: u16(b, 8),
    descriptor: (header.flags & 8) !== 0,
    zip64: false,
    crc: u32(b, 14),
    compressedSize: u32(b, 18),
    size: u32(b, 22),
  };
  // Zip64: the sizes are in extra field 0x0001, size then compressed size
  // (a local header holds both); they stand for header fields of 0xffffffff.
  const extra = b.subarray(30 + header.nameLength, 30 + header.nameLength + header.extraLength);
  for (let o = 0; o + 4 <= extra.length; o += 4 + u16(extra, o + 2)) {
    if (u16(extra, o) !== 1) continue;
    member.zip64 = true;
    const view = new DataView(extra.buffer, extra.byteOffset + o + 4, Math.min(u16(extra, o + 2), extra.length - o - 4));
    const sizes = [0, 8].filter((at) => at + 8 <= view.byteLength).map((at) => Number(view.getBigUint64(at, true)));
    if (sizes.length === 2) {
      if (member.size === 0xffffffff) member.size = sizes[0];
      if (member.compressedSize === 0xffffffff) member.compressedSize = sizes[1];
    } else if (sizes.length === 1) {
      if (member.size === 0xffffffff) member.size = sizes[0];
      else if (member.compressedSize === 0xffffffff) member.compressedSize = sizes[0];
    }
  }
  return member;
}

/** Checks a member read whole against its header (or data descriptor): CRC-32, size, compressed size. */
function checkMember(member: ZipMember, crc: number, size: number, compressedSize: number): void {
  const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  // Without Zip64, sizes are stored modulo 2^32.
  const stored = (n: number) => (member.zip64 ? n : n % 0x100000000);
  if (crc !== member.crc) throw new StreamError(`zip member ${member.name} is corrupt: its CRC-32 is ${hex(member.crc)}, its data's is ${hex(crc)}`);
  if (stored(size) !== member.size) throw new StreamError(`zip member ${member.name} is corrupt: ${size} bytes, where its header says ${member.size}`);
  if (stored(compressedSize) !== member.compressedSize) {
    throw new StreamError(`zip member ${member.name} is corrupt: ${compressedSize} compressed bytes, where its header says ${member.compressedSize}`);
  }
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (u16(b, o) | (u16(b, o + 2) << 16)) >>> 0;

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
