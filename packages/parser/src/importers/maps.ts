/**
 * The memory-map sections that end heap dumps (docs/formats.md#map-sections):
 *
 *   raw /proc     55c281f92000-55c282113000 r--p 00000000 00:11 4891588   /usr/local/bin/testbinary
 *                 (jemalloc copies it byte for byte; gperftools re-formats it,
 *                 dev 00:00 and trailing spaces on anonymous lines)
 *   cooked        "  00400000-00fcb000: $source/cppbench_server_main" with
 *                 "\tsource=/home" variable lines (Google heapz/growthz)
 *   macOS dyld    0000000100000000-0000000100004000: /path/to/binary
 *                 (jemalloc after 4b555c11, 2024)
 *
 * Lines that fit none of these are counted in a warning, as jeprof and pprof
 * ignore them silently.
 */
import type { ParseContext } from './importer.js';
import type { Mapping } from '../model/profile.js';

const RAW = /^\s*(?:0x)?([0-9a-fA-F]+)-(?:0x)?([0-9a-fA-F]+)\s+([-rwxpsS]{4})\s+([0-9a-fA-F]+)\s+(\S+)\s+(\d+)(?:\s+(.*?))?\s*$/;
const COOKED = /^\s*(?:0x)?([0-9a-fA-F]+)-(?:0x)?([0-9a-fA-F]+):\s*(.*?)\s*$/;
const VARIABLE = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$/;

/** Where {@link anotherProfile} found the second dump, by default. */
const AFTER_MAPS = "after the first one's memory map (dumps concatenated?)";

/**
 * Another dump starts at `lineNo` (`cat a.heap b.heap`): summing it
 * silently, or reading its lines as the first one's, would give numbers
 * that are neither dump's. An error, or under `--lenient` one warning; the
 * importer then reads no further. `where` says where in the first dump it
 * was found.
 */
export function anotherProfile(ctx: ParseContext, lineNo: number, text: string, where = AFTER_MAPS): void {
  ctx.malformed(lineNo, `another profile starts here, ${where}: give each dump as its own input; the rest of the input was not read`, text);
}

/** Reads map lines one at a time and collects mappings. */
export class MapsReader {
  readonly mappings: Mapping[] = [];
  private readonly variables = new Map<string, string>();
  /** A second profile was found after the section: the lines from there on are not read. */
  private stopped = false;

  constructor(
    private readonly ctx: ParseContext,
    /** The first line of a profile of the importer's format: one after the section is another dump. */
    private readonly isHeader: (text: string) => boolean = () => false,
  ) {}

  /** A second profile was found in or after the section (lenient): the lines from there on are not read. */
  get ended(): boolean {
    return this.stopped;
  }

  /** Consumes one line of the section. */
  line(text: string, lineNo: number): void {
    if (this.stopped || text.trim() === '') return;
    // The map section ends a dump, so a header after it is a second dump.
    if (this.isHeader(text)) {
      anotherProfile(this.ctx, lineNo, text);
      this.stopped = true;
      return;
    }
    let m = RAW.exec(text);
    if (m) {
      this.mappings.push({
        start: BigInt(`0x${m[1]}`),
        limit: BigInt(`0x${m[2]}`),
        fileOffset: BigInt(`0x${m[4]}`),
        path: m[7] ?? '',
        buildId: '',
        perms: m[3],
      });
      return;
    }
    m = COOKED.exec(text);
    if (m) {
      this.mappings.push({
        start: BigInt(`0x${m[1]}`),
        limit: BigInt(`0x${m[2]}`),
        fileOffset: 0n,
        path: this.expand(m[3]),
        buildId: '',
        perms: '',
      });
      return;
    }
    m = VARIABLE.exec(text);
    if (m) {
      this.variables.set(m[1], m[2]);
      return;
    }
    this.ctx.warn('unrecognized line in the memory map section, ignored', lineNo);
  }

  /** Replaces `$name` with the value of an earlier `name=value` line. */
  private expand(path: string): string {
    if (!path.includes('$')) return path;
    return path.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => this.variables.get(name) ?? whole);
  }
}
