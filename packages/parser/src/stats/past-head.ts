/**
 * Finding allocator statistics that start past the head (the first bytes
 * that detection sniffs, at least 64 KiB): a chatty program's log holds
 * megabytes of its own output before the dump its allocator printed at exit
 * or on a signal. Detection (formats.ts) feeds the rest of an input nothing
 * else recognized to a {@link DumpStartScanner}, which tests its content
 * lines as the sniffers test the head's (dump-starts.ts).
 */
import { DUMP_STARTS, DumpStartFinder, type DumpStart } from './dump-starts.js';
import { parseMarker } from './dump-reader.js';

/**
 * Longest part of a line kept while scanning. Why: a file without newlines
 * must not be held in memory, and a dump's first line is told by its start
 * (a jemalloc JSON dump is one line of hundreds of KB, `{"jemalloc":…`), as
 * the sniffers tell the head's last line, cut where the head ends.
 */
const MAX_SCANNED_LINE = 64 * 1024;

const NEWLINE = 0x0a;

/** Scans the text after an input's head, chunk by chunk, for the first line where a statistics dump starts. */
export class DumpStartScanner {
  /** The format whose dump starts first, once one does (the first of dump-starts.ts's order where two start on one line). */
  found: DumpStart | undefined;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly finder = new DumpStartFinder(DUMP_STARTS);
  /** The text of the line being completed. */
  private carry = '';

  /**
   * Starts after `head`: its last, unfinished line is completed by the
   * chunks fed, and its last content line is tested with the line after it
   * (the sniffers saw it with none).
   */
  constructor(head: Uint8Array) {
    const lastNewline = head.lastIndexOf(NEWLINE);
    const complete = new TextDecoder('utf-8').decode(head.subarray(0, lastNewline + 1));
    for (let end = complete.length - 1; end > 0; ) {
      const start = complete.lastIndexOf('\n', end - 1) + 1;
      const line = withoutCr(complete.slice(start, end));
      if (isContent(line)) {
        this.finder.next(line);
        break;
      }
      end = start - 1;
    }
    this.append(this.decoder.decode(head.subarray(lastNewline + 1), { stream: true }));
  }

  /** Scans the next chunk of the input; true once a dump has started. */
  feed(chunk: Uint8Array): boolean {
    const text = this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.append(text.slice(start, nl));
      if (this.line(this.takeLine())) return true;
      start = nl + 1;
    }
    this.append(text.slice(start));
    return false;
  }

  /** At the end of the input: its last line (with or without a newline) has no line after it. True when a dump starts there. */
  end(): boolean {
    this.append(this.decoder.decode());
    if (this.carry !== '' && this.line(this.takeLine())) return true;
    this.found = this.finder.end()?.start;
    return this.found !== undefined;
  }

  private append(text: string): void {
    if (this.carry.length < MAX_SCANNED_LINE) this.carry += text.length > MAX_SCANNED_LINE ? text.slice(0, MAX_SCANNED_LINE) : text;
  }

  private takeLine(): string {
    const line = withoutCr(this.carry);
    this.carry = '';
    return line;
  }

  /** A complete line: true when a dump starts at the content line before it. */
  private line(line: string): boolean {
    if (!isContent(line)) return false;
    this.found = this.finder.next(line)?.start;
    return this.found !== undefined;
  }
}

/** Whether a line counts for the sniffers: not blank, not a `###` separator (dump-reader.ts contentLines). */
function isContent(line: string): boolean {
  return line.trim() !== '' && !parseMarker(line);
}

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
