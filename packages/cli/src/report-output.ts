/**
 * Where a command's report goes: standard output, or a file written whole
 * when the command succeeds.
 */
import type { CliIo } from './io.js';
import { assertFiniteReport } from '@heapscope/analyzer';
import { writeOutputFile } from './output-file.js';
import { escapeText, jsonText } from './terminal-text.js';

/**
 * Where a command's report goes: stdout (no `-o`, or `-o -`), or with
 * `-o FILE` a buffer written when the command succeeds (see
 * `writeOutputFile`: whole or not at all to a regular file, in place to a
 * device or FIFO).
 */
export class ReportOutput {
  private readonly parts: (string | Uint8Array)[] = [];
  /** `-o` path, or undefined for stdout. */
  readonly path: string | undefined;

  constructor(
    private readonly io: CliIo,
    /** `-o` path; undefined or `-` for stdout. */
    path: string | undefined,
  ) {
    this.path = path === '-' ? undefined : path;
  }

  /** Whether the report would land on a terminal. */
  get isTerminal(): boolean {
    return this.path === undefined && this.io.stdout.isTTY === true;
  }

  /** Writes output data as it is (pprof, speedscope JSON, SVG, HTML, collapsed stacks). */
  write(chunk: string | Uint8Array): void {
    if (this.path === undefined) this.io.stdout.write(chunk);
    else this.parts.push(chunk);
  }

  /**
   * Writes a report: as JSON (`json`: `--format json`), else as the text
   * `renderText` makes of it, with control characters from names escaped
   * (JSON escapes them its own way). On a terminal of known width, a text
   * line longer than the terminal (a long C++ name) is cut to its width and
   * ends in `…`, rather than wrapping into the next row; files, pipes and
   * JSON get every line whole. Either way a number in the report that is not
   * finite is refused first.
   */
  writeReport(report: object, json: boolean, renderText: () => string): void {
    assertFiniteReport(report);
    if (json) this.write(`${jsonText(report, 2)}\n`);
    else this.write(this.fitToTerminal(escapeText(renderText())));
  }

  /** `text` with every line cut to the terminal's width, when the report lands on a terminal of known width. */
  private fitToTerminal(text: string): string {
    const width = this.io.stdout.columns;
    if (!this.isTerminal || width === undefined || !(width > 1)) return text;
    return text.replace(/^.*$/gm, (line) => ([...line].length > width ? `${[...line].slice(0, width - 1).join('')}…` : line));
  }

  /** Writes the buffered report to `-o FILE` (no-op for stdout). */
  async close(): Promise<void> {
    if (this.path === undefined) return;
    const buffers = this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
    await writeOutputFile(this.path, Buffer.concat(buffers));
  }
}
