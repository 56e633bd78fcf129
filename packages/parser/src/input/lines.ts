/**
 * Splits a stream of bytes into batches of lines.
 *
 * Importers read lines in batches (never an `await` per line) and never see
 * the whole file as one string, so inputs larger than V8's maximum string
 * length work. Each batch is decoded as strict UTF-8; CR before LF is
 * dropped.
 *
 * Every line format ends its lines with a newline, so a last line without
 * one is a line cut short (a writer killed mid-dump, a copy stopped early):
 * it is not handed on — a line that still parses would be taken as whole
 * (`ptr=0x5555555` for `ptr=0x555555555772`) — and the reader's `onCut`
 * hears of it. A cut first line (no newline at all) leaves nothing to read:
 * that is an error. A format whose writer may end without a newline (jemalloc
 * 5.3's JSON statistics) asks for `finalLine: 'whole'` and says why.
 *
 * A long run of empty lines is handed on as one empty line (the line
 * numbers after it stay right): no importer gives a run of them a meaning
 * beyond one, and a compressed run of billions of them would otherwise cost
 * minutes of per-line work.
 *
 * The heap-dump importers whose lines are mostly hexadecimal addresses and
 * counts, and the perf script reader (mostly frame lines), read the same
 * batches undecoded instead ({@link LineSource.bytes}, walked with a
 * {@link ByteLineCursor}): they scan those lines as bytes and decode only
 * the others, which saves decoding, splitting and the per-line strings of a
 * 20 MB dump (a third of its parse time).
 */
import { isUtf8 } from 'node:buffer';
import { ParseError, excerpt } from '../errors.js';

/** How a reader wants its lines: what a last line without a newline is, and where problems are told. */
export interface LineReading {
  /**
   * `'cut'` (the default): a last line without a newline is a truncation,
   * dropped and reported. `'whole'`: the format allows it, and it is read.
   */
  finalLine?: 'cut' | 'whole';
  /** Invalid UTF-8 is replaced by U+FFFD and reported, instead of being an error. */
  lenient?: boolean;
  /** Hears of invalid UTF-8 replaced under `lenient`, with the line number. */
  report?: (message: string, line: number) => void;
  /**
   * Hears of a last line dropped as cut short: its number and text. Without
   * it, such a line is an error (nothing is dropped unheard).
   */
  onCut?: (line: number, text: string) => void;
}

/** The message of a last line dropped because it had no newline. */
export function cutLineMessage(text: string): string {
  return `the input ends in the middle of a line (truncated?); that line was dropped: "${excerpt(text)}"`;
}

/** The message of invalid UTF-8 replaced under `lenient`. */
export const REPLACED_UTF8 = 'invalid UTF-8, replaced by U+FFFD';

/** Empty lines in a row from which a run is handed on as one. */
const EMPTY_RUN = 64;
const EMPTY_RUN_LF = Buffer.alloc(EMPTY_RUN, 10);
const EMPTY_RUN_CRLF = Buffer.from('\r\n'.repeat(EMPTY_RUN));
/** Blocks the end of a run is looked for with, compared natively (memcmp) rather than byte by byte. */
const LF_BLOCK = Buffer.alloc(64 * 1024, 10);
const CRLF_BLOCK = Buffer.from('\r\n'.repeat(32 * 1024));

/** A run of consecutive lines. */
export interface LineBatch {
  lines: string[];
  /** 1-based line number of `lines[0]`. */
  firstLine: number;
}

/** A failure of the byte stream under the lines (corrupt or truncated compression). */
export class StreamError extends Error {
  override readonly name = 'StreamError';
}

/** Default longest line accepted before the input is rejected. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Batches of lines from an input; iterate it once. */
export class LineSource implements AsyncIterable<LineBatch> {
  /** Lines delivered so far (the number of the last line read). */
  linesRead = 0;
  /** The number of the last line when it had no newline and was dropped as cut short; 0 otherwise. */
  cutLine = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly finalLine: 'cut' | 'whole';
  private readonly lenient: boolean;
  private readonly report: (message: string, line: number) => void;
  private readonly onCut: ((line: number, text: string) => void) | undefined;
  /** A line with more than blanks was delivered. */
  private sawContent = false;

  constructor(
    /** The input's display name, for errors. */
    readonly file: string,
    private readonly chunks: AsyncIterable<Uint8Array>,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    reading: LineReading = {},
  ) {
    this.finalLine = reading.finalLine ?? 'cut';
    this.lenient = reading.lenient === true;
    this.report = reading.report ?? (() => {});
    this.onCut = reading.onCut;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LineBatch> {
    for await (const region of this.located()) yield this.batch(region);
  }

  /**
   * The same batches of lines as bytes, not decoded: one cursor, set on each
   * batch in turn; walk its lines with `advance()`. With `checkUtf8`, each
   * batch is checked as the decoded batches are, before its lines are
   * handed on (see {@link checked}): a reader may then decode any part of a
   * line without a check of its own.
   */
  async *bytes(checkUtf8 = false): AsyncGenerator<ByteLineCursor> {
    const cursor = new ByteLineCursor(this.file, this.lenient, this.report);
    for await (const located of this.located()) {
      const region = checkUtf8 ? this.checked(located) : located;
      cursor.reset(region, this.linesRead + 1);
      yield cursor;
      this.linesRead = cursor.lineNo + cursor.remainingLines();
    }
  }

  /** The regions of whole lines, with stream failures located at the line where reading stopped. */
  private async *located(): AsyncGenerator<Uint8Array> {
    try {
      for await (const region of this.read()) yield* this.collapsed(region);
    } catch (error) {
      if (error instanceof StreamError) throw new ParseError(this.file, this.linesRead + 1, error.message);
      throw error;
    }
  }

  private async *read(): AsyncGenerator<Uint8Array> {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    for await (const piece of this.chunks) {
      // Plain Uint8Arrays, never Buffers (file chunks) and Uint8Arrays
      // (joined lines) in turn: the byte scanners stay monomorphic.
      const chunk = piece instanceof Buffer ? new Uint8Array(piece.buffer, piece.byteOffset, piece.length) : piece;
      const lastNewline = chunk.lastIndexOf(10);
      if (lastNewline < 0) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        this.checkLength(pendingBytes);
        continue;
      }
      let from = 0;
      if (pendingBytes > 0) {
        // The line that continued into this chunk, joined on its own: the
        // rest of the chunk is handed on without a copy.
        const firstNewline = chunk.indexOf(10);
        this.checkLength(pendingBytes + firstNewline);
        yield concat(pending, pendingBytes, chunk.subarray(0, firstNewline));
        from = firstNewline + 1;
      }
      if (from <= lastNewline) {
        const region = chunk.subarray(from, lastNewline);
        if (region.length > this.maxLineBytes) this.checkRegion(region);
        yield region;
      }
      const rest = chunk.subarray(lastNewline + 1);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    }
    if (pendingBytes > 0) {
      this.checkLength(pendingBytes);
      const last = concat(pending, pendingBytes, new Uint8Array(0));
      if (this.finalLine === 'whole') {
        yield last;
        return;
      }
      const lineNo = this.linesRead + 1;
      // Nothing but the cut line: nothing can be read.
      if (!this.sawContent) throw new ParseError(this.file, lineNo, 'the input ends in the middle of its first line (truncated?)');
      const text = new TextDecoder('utf-8').decode(last);
      if (!this.onCut) throw new ParseError(this.file, lineNo, cutLineMessage(text));
      this.cutLine = lineNo;
      this.onCut(lineNo, text);
    }
  }

  /**
   * The region as it is, or split around its long runs of empty lines
   * (LF or CR LF), each run handed on as one empty line.
   */
  private *collapsed(region: Uint8Array): Generator<Uint8Array> {
    if (!this.sawContent) this.sawContent = hasContent(region);
    if (region.length < EMPTY_RUN) {
      yield region;
      return;
    }
    const buffer = Buffer.from(region.buffer, region.byteOffset, region.length);
    let from = 0;
    for (;;) {
      const lf = buffer.indexOf(EMPTY_RUN_LF, from);
      const crlf = buffer.indexOf(EMPTY_RUN_CRLF, from);
      if (lf < 0 && crlf < 0) break;
      // `end` ends the line before the run; the run's n line ends follow.
      let end: number;
      let next: number;
      let n = 0;
      if (crlf >= 0 && (lf < 0 || crlf < lf)) {
        end = crlf + 1;
        next = skipBlock(buffer, crlf, CRLF_BLOCK);
        n = (next - crlf) / 2;
        while (next + 1 < buffer.length && buffer[next] === 13 && buffer[next + 1] === 10) {
          next += 2;
          n++;
        }
      } else {
        end = lf;
        next = skipBlock(buffer, lf, LF_BLOCK);
        n = next - lf;
        while (next < buffer.length && buffer[next] === 10) {
          next++;
          n++;
        }
      }
      // The lines up to the run, then one of its n - 1 empty lines.
      yield region.subarray(from, end);
      yield region.subarray(next, next);
      this.linesRead += n - 2;
      from = next;
    }
    yield region.subarray(from);
  }

  private checkLength(bytes: number): void {
    if (bytes > this.maxLineBytes) {
      throw new ParseError(this.file, this.linesRead + 1, `line longer than ${this.maxLineBytes} bytes (raise the limit with --max-string-bytes)`);
    }
  }

  /** Rejects a region (longer than the limit, so rare) holding a line that is too long. */
  private checkRegion(region: Uint8Array): void {
    let start = 0;
    for (;;) {
      const nl = region.indexOf(10, start);
      const end = nl < 0 ? region.length : nl;
      if (end - start > this.maxLineBytes) {
        this.linesRead += countNewlines(region, start);
        this.checkLength(end - start);
      }
      if (nl < 0) return;
      start = nl + 1;
    }
  }

  /**
   * A batch of bytes checked as {@link batch} decodes it: valid UTF-8 is
   * handed on as it is, without a leading byte order mark (decoding drops
   * one); invalid UTF-8 is an error at its first line, or under `lenient`
   * is replaced by U+FFFD (the batch re-encoded) and reported.
   */
  private checked(region: Uint8Array): Uint8Array {
    if (isUtf8(region)) return region[0] === 0xef && region[1] === 0xbb && region[2] === 0xbf ? region.subarray(3) : region;
    return new TextEncoder().encode(this.decoded(region));
  }

  /** The batch as text: strict UTF-8, or under `lenient` replaced and reported. */
  private decoded(region: Uint8Array): string {
    try {
      return this.decoder.decode(region);
    } catch {
      const first = this.linesRead + 1 + firstInvalidLine(region);
      if (!this.lenient) throw new ParseError(this.file, first, 'invalid UTF-8');
      reportInvalidLines(region, this.linesRead + 1, this.report);
      return new TextDecoder('utf-8').decode(region);
    }
  }

  private batch(region: Uint8Array): LineBatch {
    const text = this.decoded(region);
    const lines = text.split('\n');
    if (text.includes('\r')) {
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1);
      }
    }
    const firstLine = this.linesRead + 1;
    this.linesRead += lines.length;
    return { lines, firstLine };
  }
}

/** The first position from `pos` where `buffer` stops repeating `block` whole, a block at a time. */
function skipBlock(buffer: Buffer, pos: number, block: Buffer): number {
  while (pos + block.length <= buffer.length && buffer.compare(block, 0, block.length, pos, pos + block.length) === 0) pos += block.length;
  return pos;
}

/** Whether a region holds a byte other than blanks and line ends. */
function hasContent(region: Uint8Array): boolean {
  for (let i = 0; i < region.length; i++) {
    const c = region[i];
    if (c !== 10 && c !== 13 && c !== 32 && c !== 9) return true;
  }
  return false;
}

function concat(parts: Uint8Array[], partsBytes: number, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(partsBytes + tail.length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  out.set(tail, offset);
  return out;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 10) n++;
  return n;
}

/**
 * Walks the lines of undecoded batches (lines separated by `\n`, without a
 * final one), one batch at a time: after `advance()`, the line is
 * `bytes[start, end)` (a CR before its end dropped, as in decoded batches)
 * and `text()` decodes it as strict UTF-8. The bytes stay valid after the
 * cursor moves on, so a reader may keep referring to an earlier line.
 */
export class ByteLineCursor {
  bytes: Uint8Array = new Uint8Array(0);
  /** The same bytes as a Buffer: its indexOf is memchr, several times faster than Uint8Array's. */
  private buffer: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  /** 1-based number of the current line. */
  lineNo = 0;
  private next = 0;
  private done = true;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    /** The input's display name, for errors. */
    private readonly file: string,
    /** Invalid UTF-8 is replaced and reported instead of being an error. */
    private readonly lenient = false,
    private readonly report: (message: string, line: number) => void = () => {},
  ) {}

  /** Starts on a batch whose first line is number `firstLine`; `advance()` then gives that line. */
  reset(bytes: Uint8Array, firstLine: number): void {
    this.bytes = bytes;
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    this.next = 0;
    this.lineNo = firstLine - 1;
    this.done = false;
  }

  /** Moves to the next line of the batch; false after its last. */
  advance(): boolean {
    if (this.done) return false;
    const { bytes } = this;
    let nl = this.buffer.indexOf(10, this.next);
    if (nl < 0) {
      nl = bytes.length;
      this.done = true;
    }
    this.start = this.next;
    this.end = nl > this.start && bytes[nl - 1] === 13 ? nl - 1 : nl;
    this.next = nl + 1;
    this.lineNo++;
    return true;
  }

  /**
   * Where the line after the current one starts, or -1 after the batch's
   * last line: for a reader that reads its most common lines from the bytes
   * itself, then `skipTo`s past them.
   */
  get following(): number {
    return this.done ? -1 : this.next;
  }

  /**
   * Passes over the `lines` lines after the current one, which a reader went
   * over itself: the next `advance()` gives the line that starts at
   * `offset` (just after the newline of the last of them), numbered after
   * them; -1 when they were the batch's last. `start`, `end` and `text()`
   * are not set: `advance()` to a line that needs them.
   */
  skipTo(offset: number, lines: number): void {
    this.lineNo += lines;
    if (offset < 0) this.done = true;
    else this.next = offset;
  }

  /**
   * `bytes[from, to)` as text, without a check: only for batches checked as
   * UTF-8 already (`LineSource.bytes(true)`). A byte order mark is kept, as
   * in a decoded batch's lines.
   */
  checkedText(from: number, to: number): string {
    return this.buffer.toString('utf8', from, to);
  }

  /** Number of lines of the batch after the current one. */
  remainingLines(): number {
    if (this.done) return 0;
    let n = 1;
    for (let i = this.buffer.indexOf(10, this.next); i >= 0; i = this.buffer.indexOf(10, i + 1)) n++;
    return n;
  }

  /** The current line as text, from `from` (default: the whole line). */
  text(from = this.start): string {
    try {
      return this.decoder.decode(this.bytes.subarray(from, this.end));
    } catch {
      if (!this.lenient) throw new ParseError(this.file, this.lineNo, 'invalid UTF-8');
      this.report(REPLACED_UTF8, this.lineNo);
      return new TextDecoder('utf-8').decode(this.bytes.subarray(from, this.end));
    }
  }
}

/** Reports each line of `region` (the first numbered `firstLine`) that is not valid UTF-8. */
function reportInvalidLines(region: Uint8Array, firstLine: number, report: (message: string, line: number) => void): void {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = firstLine; ; line++) {
    const nl = region.indexOf(10, start);
    const end = nl < 0 ? region.length : nl;
    try {
      decoder.decode(region.subarray(start, end));
    } catch {
      report(REPLACED_UTF8, line);
    }
    if (nl < 0) return;
    start = nl + 1;
  }
}

/** 0-based index of the first line in `region` that is not valid UTF-8. */
function firstInvalidLine(region: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let line = 0;
  for (;;) {
    const nl = region.indexOf(10, start);
    const end = nl < 0 ? region.length : nl;
    try {
      decoder.decode(region.subarray(start, end));
    } catch {
      return line;
    }
    if (nl < 0) return line;
    start = nl + 1;
    line++;
  }
}
