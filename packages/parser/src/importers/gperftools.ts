/**
 * Legacy text heap profiles: gperftools' HeapProfiler, tcmalloc's sampled
 * heap (heapz), Go's runtime/pprof debug=1 output, and jemalloc 3.x.
 *
 * Producers: gperftools src/heap-profile-table.cc (`@ heapprofile`),
 * tcmalloc src/malloc_extension.cc `GetHeapSample`/`GetHeapGrowthStacks`
 * (`@ heap_v2/N`, `@ growth`), Go runtime/pprof `writeHeapInternal`
 * (`@ heap/N`), jemalloc 3.x src/prof.c. Readers: jeprof/google-pprof
 * `ReadHeapProfile`, google/pprof profile/legacy_profile.go. Facts in
 * docs/formats.md#gperftools. A real excerpt (gperftools 2.10):
 *
 *   heap profile:    500:  4112500 [  1002:  8225054] @ heapprofile
 *      500:  4112500 [  1000:  8225000] @ 0x55cade3f8172 0x55cade3f8188 0x55cade3f81b2 ...
 *        0:        0 [     1:       24] @ 0x7f219baa2fd1 0x7f219baa3635 ...
 *
 *   MAPPED_LIBRARIES:
 *   55cade3f7000-55cade3f8000 r--p 00000000 00:00 2146458     /path/to/app
 *
 * The first pair is in use, the bracketed pair allocated since start. The
 * token after `@` picks the sampling model (table in docs/formats.md#gperftools):
 * `heapprofile`, `growth[z]`, `fragmentation[z]`: unsampled; `heap_v2/N`,
 * `heapz_v2/N`: Poisson, R = N; `heap/N` (Go, which doubles its rate):
 * Poisson with R = N/2, as google/pprof reads it (jeprof's uniform reading
 * divides by zero on Go's `0: 0` rows); `heapz/N`: uniform, A = N/2;
 * no period: 128 KiB, as jeprof assumes.
 *
 * Quirks handled here: right-aligned numbers; negative in-use counts; a
 * zero-frame row `1: 288 [2: 296] @` is kept on the empty stack (jeprof drops
 * it, pprof keeps it); tcmalloc prints `(nil)` for a NULL frame (dropped, and
 * counted in a warning); tcmalloc heapz prints the same pair twice, which
 * means "no cumulative data"; Go follows rows with `# 0x… func+0x… file:line`
 * comments, used here to name those frames; both map footers.
 */
import type { Head, ParseContext, SnapshotImporter } from './importer.js';
import type { Input } from '../input/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE, type Sampling, type SizeKind } from '../model/profile.js';
import { MapsReader } from './maps.js';
import { MAX_PERIOD_BYTES, scaleFactor, unsampleProblem } from './unsample.js';
import { parseDumpName } from './dump-name.js';
import { dropEmptyAllocTypes } from './heap-types.js';
import { cutFramesOutsideCode } from './bad-frames.js';
import { StackLineReader, expectedStacksOfDump } from './hex-frames.js';
import { countPair, scanChar, scanCountPair } from './count-pair.js';
import type { ByteLineCursor } from '../input/lines.js';
import { withLocationLines, type FrameInfo } from '../model/symbols.js';
import { formatHex } from '../model/address.js';
import type { HeapProfile } from '../model/profile.js';

const HEADER = /heap profile:\s*(-?\d+):\s*(-?\d+)\s*\[\s*(-?\d+):\s*(-?\d+)\s*\]\s*(?:@\s*([^\s/]*)(?:\/(\S*))?)?/;
const GO_FRAME = /^#\s+0x([0-9a-f]+)\s+(\S.*?)\+0x[0-9a-f]+\s+(.*):(\d+)\s*$/;
const DEFAULT_PERIOD = 128 * 1024;

interface HeaderFacts {
  variant: string;
  sampling: Sampling;
  sizeKind: SizeKind;
  /** Whether the bracketed pair carries cumulative counts. */
  hasAlloc: boolean;
  /** The header's totals (objects, bytes in use; allocated when `hasAlloc`): the sums of the rows' pairs. */
  totals: readonly number[];
}

/** Reads the header line's profile type (see the table at the top of this file). */
function readHeader(m: RegExpExecArray): HeaderFacts | string {
  const [inuse1, inuse2, alloc1, alloc2] = [m[1], m[2], m[3], m[4]];
  const type = m[5];
  if (m[6] !== undefined && !/^[1-9]\d*$/.test(m[6]) && !(type === 'heap' && m[6] === '0')) return `the sampling period after "${type}/" must be a positive integer, not "${m[6]}"`;
  const period = m[6] !== undefined ? Number(m[6]) : undefined;
  if (period !== undefined && period > MAX_PERIOD_BYTES) return `the sampling period after "${type}/" exceeds 2^53`;
  // pprof: alloc data only when the header's pairs differ and alloc is not 0.
  const hasAlloc = !(inuse1 === alloc1 && inuse2 === alloc2) && !(alloc1 === '0' && alloc2 === '0');
  const facts = (variant: string, sampling: Sampling, sizeKind: SizeKind = 'average-requested'): HeaderFacts => ({
    variant,
    sampling,
    sizeKind,
    hasAlloc,
    totals: [inuse1, inuse2, alloc1, alloc2].map(Number),
  });
  const none: Sampling = { model: 'none', periodBytes: 0 };
  // Go writes heap/0 when MemProfileRate is 0 (profiling off: nothing sampled).
  if (type === 'heap' && period === 0) return facts('go heap', none, 'average-usable');
  switch (type) {
    case undefined:
      // Very old remote heap: jeprof's v1 when the pairs are equal.
      return facts('remote heap', inuse1 === alloc1 && inuse2 === alloc2 ? { model: 'uniform', periodBytes: DEFAULT_PERIOD } : none);
    case 'heapprofile':
      return facts('heapprofile', none);
    case 'heap_v2':
    case 'heapz_v2':
      return facts(type, { model: 'poisson', periodBytes: period ?? DEFAULT_PERIOD });
    case 'heap':
      // Go writes twice its MemProfileRate (runtime/pprof writeHeapInternal).
      return facts('go heap', { model: 'poisson', periodBytes: period !== undefined ? period / 2 : DEFAULT_PERIOD }, 'average-usable');
    case 'heapz':
      return facts('heapz', { model: 'uniform', periodBytes: period !== undefined ? period / 2 : DEFAULT_PERIOD });
    case 'growth':
    case 'growthz':
    case 'fragmentation':
    case 'fragmentationz':
      return facts(type, none);
    default:
      return `unknown heap profile type "${type}"`;
  }
}

export const gperftoolsImporter: SnapshotImporter = {
  id: 'gperftools',
  kind: 'snapshot',
  description: 'legacy text heap profile: gperftools HeapProfiler, tcmalloc heapz/growthz, Go debug=1, jemalloc 3.x',

  sniff(head: Head): number {
    return /^\s*heap profile:/.test(head.firstLine) ? 1 : 0;
  },

  async parse(input: Input, ctx: ParseContext) {
    const name = parseDumpName(input.name);
    const meta = {
      format: 'gperftools',
      variant: '',
      file: input.name,
      pid: name.pid,
      dumpSeq: name.seq,
      dumpKind: name.kind,
      sampling: { model: 'none', periodBytes: 0 } as Sampling,
      sizeKind: 'average-requested' as SizeKind,
      returnAddresses: true,
      warnings: [],
    };
    const builder = new ProfileBuilder({
      sampleTypes: [ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE],
      defaultSampleType: INUSE_SPACE.type,
      labels: [{ key: 'bytes', unit: 'bytes' }],
      maxStacks: ctx.options.maxStacks,
      maxSamples: ctx.options.maxSamples,
      expectedStacks: expectedStacksOfDump(input.sizeBytes),
      meta,
    });
    const maps = new MapsReader(ctx, (text) => /^\s*heap profile:/.test(text));
    const rows = new RowReader(builder, ctx);
    const goFrames = new Map<string, FrameInfo[]>();
    let facts: HeaderFacts | undefined;
    let inMaps = false;

    // Rows are scanned as bytes; other lines are decoded (see ByteLineCursor).
    for await (const cursor of ctx.lines(input).bytes()) {
      while (cursor.advance()) {
        const lineNo = cursor.lineNo;
        if (inMaps) {
          maps.line(cursor.text(), lineNo);
          continue;
        }
        if (!facts) {
          const line = cursor.text();
          // Blank lines before the header: detection skips them too.
          if (line.trim() === '') continue;
          const m = HEADER.exec(line);
          const read = m ? readHeader(m) : 'expected "heap profile: <count>: <bytes> [<count>: <bytes>] @ <type>"';
          if (typeof read === 'string') {
            ctx.malformed(lineNo, read, line);
            return builder.finish(); // lenient: nothing can be read without the header
          }
          facts = read;
          meta.variant = read.variant;
          meta.sampling = read.sampling;
          meta.sizeKind = read.sizeKind;
          continue;
        }
        if (rows.read(cursor, facts)) continue;
        const line = cursor.text();
        const trimmed = line.trim();
        if (trimmed === '') continue;
        if (trimmed.startsWith('#')) {
          const g = GO_FRAME.exec(trimmed);
          if (g) {
            // Go prints one line per frame of a pc, inlined frames first.
            const list = goFrames.get(g[1]) ?? [];
            list.push({ name: g[2], file: g[3], line: Number(g[4]) });
            goFrames.set(g[1], list);
          }
          continue;
        }
        if (line.includes('MAPPED_LIBRARIES:') || line.includes('--- Memory map: ---')) {
          inMaps = true;
          continue;
        }
        ctx.malformed(lineNo, 'expected "<count>: <bytes> [<count>: <bytes>] @ <addresses>"', line);
      }
    }
    if (!facts) ctx.malformed(1, 'input is empty');
    else rows.checkTotals(facts);
    if (rows.nilFrames > 0) ctx.warn(`${rows.nilFrames} "(nil)" frames dropped (NULL return addresses)`, rows.firstNilLine);
    for (const mapping of maps.mappings) builder.addMapping(mapping);
    meta.warnings = ctx.warningList() as never[];
    const profile = cutFramesOutsideCode(dropEmptyAllocTypes(builder.finish()), ctx);
    return goFrames.size > 0 ? applyGoFrames(profile, goFrames) : profile;
  },
};

/**
 * Reads the rows, `<count>: <bytes> [<count>: <bytes>] @ <addresses>`, as
 * bytes. (A method called per line is optimized by V8 after a few thousand
 * lines; the same code inside the importer's long loop waits for on-stack
 * replacement and stays slow for longer.)
 */
class RowReader {
  private readonly stackLines: StackLineReader;
  private readonly counts = countPair();
  private readonly values = new Float64Array(4);
  private readonly labels = new Float64Array(1);
  /** `(nil)` frames dropped, and the line of the first. */
  nilFrames = 0;
  firstNilLine = 0;
  /** Sums of the rows' raw pairs (in use, allocated), for the header check. */
  private readonly sums = [0, 0, 0, 0];
  private rowsSkipped = false;

  constructor(
    private readonly builder: ProfileBuilder,
    private readonly ctx: ParseContext,
  ) {
    this.stackLines = new StackLineReader(builder);
  }

  /** Reads the cursor's line as a row; false when it is not one. */
  read(cursor: ByteLineCursor, facts: HeaderFacts): boolean {
    const { bytes, end, lineNo } = cursor;
    const { counts, values } = this;
    counts.pos = cursor.start;
    if (!scanCountPair(bytes, end, counts) || !scanChar(bytes, end, counts, 64 /* @ */)) return false;
    const inuseCount = counts.n1;
    const inuseBytes = counts.s1;
    let allocCount = counts.n2;
    let allocBytes = counts.s2;
    if (!Number.isSafeInteger(inuseCount) || !Number.isSafeInteger(inuseBytes) || !Number.isSafeInteger(allocCount) || !Number.isSafeInteger(allocBytes)) {
      this.skip(lineNo, 'count exceeds 2^53', cursor);
      return true;
    }
    if (allocCount < 0 || allocBytes < 0) {
      this.skip(lineNo, 'negative cumulative count', cursor);
      return true;
    }
    // The reader compares each line with the previous one from its
    // start, so it gets the addresses alone (the counts differ).
    const stack = this.stackLines.read(bytes, counts.pos, end);
    const { nil, bad } = this.stackLines.problem;
    if (nil > 0 && this.nilFrames === 0) this.firstNilLine = lineNo;
    this.nilFrames += nil;
    if (stack < 0) {
      this.skip(lineNo, `"${bad}" is not a hexadecimal address`, cursor);
      return true;
    }
    if (!facts.hasAlloc) {
      allocCount = 0;
      allocBytes = 0;
    }
    const problem = unsampleProblem(facts.sampling, inuseCount, inuseBytes) ?? unsampleProblem(facts.sampling, allocCount, allocBytes);
    if (problem !== undefined) {
      this.skip(lineNo, problem, cursor);
      return true;
    }
    const sums = this.sums;
    sums[0] += inuseCount;
    sums[1] += inuseBytes;
    sums[2] += allocCount;
    sums[3] += allocBytes;
    const scaleInuse = scaleFactor(facts.sampling, inuseCount, inuseBytes);
    const scaleAlloc = scaleFactor(facts.sampling, allocCount, allocBytes);
    values[0] = allocCount * scaleAlloc;
    values[1] = allocBytes * scaleAlloc;
    values[2] = inuseCount * scaleInuse;
    values[3] = inuseBytes * scaleInuse;
    this.labels[0] = inuseCount !== 0 ? inuseBytes / inuseCount : allocCount !== 0 ? allocBytes / allocCount : NaN;
    this.builder.addSample(stack, -1, values, this.labels);
    return true;
  }

  /** A row that cannot be read: an error, or (lenient) a counted warning; the header check then cannot apply. */
  private skip(lineNo: number, reason: string, cursor: ByteLineCursor): void {
    this.ctx.malformed(lineNo, reason, cursor.text());
    this.rowsSkipped = true;
  }

  /**
   * The header's totals are the sums of the rows' pairs (every producer
   * writes them so; the allocated pair only when the dump has one). Rows
   * that add up to less are rows missing: gperftools writes a dump into a
   * buffer of 1 MiB and leaves out the rows that do not fit
   * (HeapProfileTable::FillOrderedProfile), or the file was cut between
   * lines. Either way the dump's numbers are not the process's. Rows that
   * add up to more are a gperftools dump with HEAP_PROFILE_MMAP=true, or
   * damage.
   */
  checkTotals(facts: HeaderFacts): void {
    const header = facts.totals;
    const rows = this.sums;
    const checked = facts.hasAlloc ? 4 : 2;
    // Go adds 1 to the header's allocated bytes when they equal the bytes in
    // use, so that pprof reads the dump as having both pairs.
    const goBump = facts.variant === 'go heap' && rows[1] === rows[3] && header[3] === rows[3] + 1 ? 1 : 0;
    if (this.rowsSkipped || rows.slice(0, checked).every((v, i) => v + (i === 3 ? goBump : 0) === header[i])) return;
    const pairs = (v: readonly number[]) => `${v[0]} objects and ${v[1]} bytes in use${facts.hasAlloc ? `, ${v[2]} and ${v[3]} allocated` : ''}`;
    const figures = `the header says ${pairs(header)}; the rows add up to ${pairs(rows)}`;
    const missing = rows.slice(0, checked).some((v, i) => v < header[i]);
    // More in the rows than in the header: gperftools with HEAP_PROFILE_MMAP=true
    // writes its rows for mmap, mremap and sbrk regions too (tcmalloc's own,
    // which hold the objects of the other rows, among them) and its header
    // for malloc alone (the fixture gperftools-mmap/).
    const extra =
      facts.variant === 'heapprofile'
        ? ': the dump was written with HEAP_PROFILE_MMAP=true (its rows count mmap, mremap and sbrk regions — the allocator\'s own, holding the objects of the other rows, among them — and its header malloc alone), or it is damaged'
        : ': the dump contradicts itself';
    this.ctx.warn(
      missing
        ? `${figures}: rows are missing (truncated dump: ${facts.variant === 'heapprofile' ? 'gperftools leaves out the rows that do not fit in its 1 MiB dump buffer, or ' : ''}the file was cut)`
        : `${figures}${extra}`,
    );
  }
}

/**
 * Names the frames that Go's `#` comment lines describe (function, file and
 * line of a pc); other frames stay unsymbolized. Go prints the pc of the call
 * (the row's return address − 1) or the row's address itself; both match.
 */
function applyGoFrames(profile: HeapProfile, goFrames: Map<string, FrameInfo[]>): HeapProfile {
  const { addressHi, addressLo } = profile.locations;
  return withLocationLines(profile, (l) => {
    const hi = addressHi[l];
    const lo = addressLo[l];
    const before = lo === 0 ? formatHex(hi - 1, 0xffffffff) : formatHex(hi, lo - 1);
    return goFrames.get(formatHex(hi, lo)) ?? goFrames.get(before);
  });
}
