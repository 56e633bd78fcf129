/**
 * Where each allocator statistics format's dumps start: the line (and, for
 * some, the line after it) that the sniffers look for in the head, that
 * detection looks for past it (past-head.ts), and that tells a reader that
 * the lines outside its own dumps hold another format's (dump-reader.ts,
 * SeriesBuilder). /proc snapshots have none: their files start with their
 * own header.
 */

/** jemalloc's text dump: its first line. */
export const JEMALLOC_BEGIN = '___ Begin jemalloc statistics ___';
/** glibc malloc_stats: an arena's first line. */
export const GLIBC_ARENA = /^Arena (\d+):\s*$/;
/** tcmalloc: a figure line, `MALLOC: <bytes> (<MiB> MiB) <name>` (`+`/`=` for the sums). */
export const TCMALLOC_AMOUNT = /^MALLOC:\s*([+=]?)\s*(\d+)\s+\(\s*\d+(?:\.\d+)?\s*MiB\)\s+(.+?)\s*$/;
/** tcmalloc: the name of its dump's first figure. */
export const TCMALLOC_FIRST = 'Bytes in use by application';

/** How one format's dumps start. */
export interface DumpStart {
  /** The importer's id. */
  format: string;
  /** What messages call its dumps. */
  what: string;
  /** Whether a dump starts at content line `line` (`next`: the content line after it, when there is one). */
  starts: (line: string, next: string | undefined) => boolean;
}

/** Every format with a recognizable first line, in the order of the importer registry (stats/index.ts). */
export const DUMP_STARTS: readonly DumpStart[] = [
  { format: 'jemalloc-stats', what: 'jemalloc statistics (text)', starts: (line) => line.trim() === JEMALLOC_BEGIN },
  {
    format: 'jemalloc-stats-json',
    what: 'jemalloc JSON statistics',
    starts: (line, next) => /^\s*\{\s*"jemalloc"\s*:/.test(line) || (/^\s*\{\s*$/.test(line) && next !== undefined && /^\s*"jemalloc"\s*:/.test(next)),
  },
  { format: 'glibc-malloc-info', what: 'malloc_info output', starts: (line) => /^\s*<malloc version="/.test(line) },
  {
    format: 'glibc-malloc-stats',
    what: 'malloc_stats output',
    starts: (line, next) => GLIBC_ARENA.test(line) && next !== undefined && /^system bytes\s*=/.test(next),
  },
  {
    format: 'tcmalloc-stats',
    what: 'tcmalloc statistics',
    // The dump's first lines are a rule and the bytes in use.
    starts: (line, next) => (TCMALLOC_AMOUNT.test(line) && line.includes(TCMALLOC_FIRST)) || (next !== undefined && TCMALLOC_AMOUNT.test(next) && next.includes(TCMALLOC_FIRST)),
  },
  { format: 'mimalloc-stats', what: 'mimalloc statistics', starts: (line) => /^\s*heap stats:\s+peak\s+total/.test(line) },
];

/** The dump start of `format` (an importer id of {@link DUMP_STARTS}). */
export function dumpStartOf(format: string): DumpStart {
  const found = DUMP_STARTS.find((d) => d.format === format);
  if (!found) throw new Error(`no dump start for ${format}`);
  return found;
}

/**
 * Follows content lines one at a time and tells where a dump of one of
 * `formats` starts: a format's test needs the line after its first, so the
 * answer for a line comes with the next one (or at the end).
 */
export class DumpStartFinder {
  /** The last content line, whose next content line is not yet known, and its number. */
  private previous: string | undefined;
  private previousLine = 0;

  constructor(private readonly formats: readonly DumpStart[]) {}

  /**
   * The next content line (blank and `###` lines are the caller's to skip):
   * the format of a dump that starts at the content line before it (first
   * of `formats` when two do), with that line's number; else undefined.
   */
  next(line: string, lineNo = 0): { start: DumpStart; line: number } | undefined {
    const found = this.previous === undefined ? undefined : this.test(this.previous, line);
    const at = this.previousLine;
    this.previous = line;
    this.previousLine = lineNo;
    return found && { start: found, line: at };
  }

  /** At the end: whether a dump starts at the last content line. */
  end(): { start: DumpStart; line: number } | undefined {
    const found = this.previous === undefined ? undefined : this.test(this.previous, undefined);
    return found && { start: found, line: this.previousLine };
  }

  private test(line: string, next: string | undefined): DumpStart | undefined {
    for (const f of this.formats) if (f.starts(line, next)) return f;
    return undefined;
  }
}
