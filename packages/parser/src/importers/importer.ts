/**
 * The importer contract. One importer per producing tool: `sniff` looks at
 * the first bytes and says how sure it is that the input is its format (0 =
 * "not mine"); `parse` reads the whole input. Once an importer owns an input,
 * malformed content is a ParseError — or, with `lenient`, a counted warning.
 *
 * Three kinds of importer share this contract: snapshot importers (here),
 * trace importers (trace/sink.ts) and statistics importers (stats/model.ts);
 * their union, `Importer`, is declared with the registry in formats.ts.
 */
import { ParseError, WarningCollector, type Warning } from '../errors.js';
import type { Input } from '../input/source.js';
import { cutLineMessage, type LineSource } from '../input/lines.js';
import type { HeapProfile } from '../model/profile.js';

/** What detection sees of an input. */
export interface Head {
  /** The first (up to 64 KiB) decompressed bytes. */
  bytes: Uint8Array;
  /** The same, decoded leniently. */
  text: string;
  /** The first line of `text` that is not blank, without CR. */
  firstLine: string;
}

/** Options every importer understands, plus importer-specific ones. */
export interface ImportOptions {
  /** Per-record errors become counted warnings instead of stopping the import. */
  lenient?: boolean;
  /** Distinct stacks allowed (memory guard against hostile inputs). */
  maxStacks?: number;
  /** Distinct samples allowed (memory guard against hostile inputs); for pprof, the samples of the file, which are all decoded at once. */
  maxSamples?: number;
  /**
   * Keep stack frames outside every executable mapping (broken unwinding),
   * which are otherwise cut with every frame above them (bad-frames.ts).
   */
  keepBadFrames?: boolean;
  /** Importer-specific options (for example perf's `sizeArg`). */
  [key: string]: unknown;
}

/** Per-import state handed to an importer. */
export class ParseContext {
  readonly warnings = new WarningCollector();

  constructor(
    /** Display name of the input. */
    readonly file: string,
    /** The importer's id. */
    readonly format: string,
    readonly options: ImportOptions = {},
  ) {}

  /** The number of the input's last line when it was dropped as cut short (see {@link lineCut}); 0 otherwise. */
  cutLine = 0;

  get lenient(): boolean {
    return this.options.lenient === true;
  }

  /**
   * A record that does not follow the grammar: throws a ParseError, or under
   * `lenient` counts a warning (the record is skipped, and said so).
   */
  malformed(line: number, reason: string, text?: string): void {
    if (!this.lenient) throw new ParseError(this.file, line, reason, this.format, text);
    this.warnings.add(`skipped malformed record: ${reason}`, { file: this.file, line });
  }

  /**
   * An input whose whole shape cannot be read (a producer's option left out
   * what the import needs): throws a ParseError even under `lenient`, since
   * skipping records would skip them all. `reason` says what to change.
   */
  refuse(line: number, reason: string, text?: string): never {
    throw new ParseError(this.file, line, reason, this.format, text);
  }

  /**
   * The input's lines, read by this import's rules: a last line without a
   * newline is dropped as cut short (see {@link lineCut}) unless the format
   * allows it (`finalLine: 'whole'`, which the importer must explain); under
   * `lenient`, invalid UTF-8 is replaced and counted.
   */
  lines(input: Input, finalLine: 'cut' | 'whole' = 'cut'): LineSource {
    return input.lines({
      finalLine,
      lenient: this.lenient,
      report: (message, line) => this.warn(message, line),
      onCut: (line, text) => this.lineCut(line, text),
    });
  }

  /**
   * The input's last line, `line`, had no newline: a writer killed mid-dump
   * or a copy stopped early. It was not read; this says so.
   */
  lineCut(line: number, text: string): void {
    this.cutLine = line;
    this.warn(cutLineMessage(text), line);
  }

  /**
   * Fails when the input's last line was cut short and no whole record
   * (`records` read) came before it: a dump cut in its header is no profile
   * at all, never an empty one.
   */
  failIfCutBeforeRecords(records: number): void {
    if (this.cutLine > 0 && records === 0) {
      throw new ParseError(this.file, this.cutLine, 'the input ends in the middle of a line, before any whole record (truncated?)', this.format);
    }
  }

  /** A fact worth telling the user that does not stop the import. */
  warn(message: string, line?: number, count = 1): void {
    this.warnings.add(message, line === undefined ? undefined : { file: this.file, line }, count);
  }

  /** The warnings so far. */
  warningList(): Warning[] {
    return this.warnings.list();
  }
}

/** An importer of snapshot formats (heap dumps): input in, profile out. */
export interface SnapshotImporter {
  readonly id: string;
  readonly kind: 'snapshot';
  /** One line naming the producer, for `--help` and errors. */
  readonly description: string;
  /** Confidence in [0, 1] that `head` is this format; 0 = not mine. */
  sniff(head: Head): number;
  parse(input: Input, ctx: ParseContext): Promise<HeapProfile>;
}
