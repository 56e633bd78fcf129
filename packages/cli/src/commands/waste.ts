/**
 * `heapscope waste DUMP [STATS]`: what size classes and fragmentation cost,
 * per call site — the bytes each allocator's size classes add to the
 * dump's requests (`sizeClassWaste`), and with the allocator's statistics
 * from the same moment the free bin bytes each site's objects pin
 * (`siteFragmentation`).
 */
import { isWasteInputError, wasteInputError } from '../input-errors.js';
import { siteFragmentation, sizeClassWaste, type AllocatorName, type FragmentationReport, type SizeClassWasteReport } from '@heapscope/analyzer';
import { ParseError, type AllocatorStats, type HeapProfile } from '@heapscope/parser';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import { allocatorsOption, commonOptions, countOption, filterOptions, inputOptions, nodeCountOption, siteOptions, type FilterOptions, type InputOptions, type SharedOptions } from '../options.js';
import { renderFragmentation, renderSizeClassWaste } from '../render/waste.js';

interface WasteOptions extends InputOptions, FilterOptions, SharedOptions {
  allocators?: AllocatorName[];
  snapshot?: number;
}

/** The report (JSON contract in docs/cli.md, "waste"). */
interface WasteReport {
  dump: string;
  stats: string | null;
  /** Size-class waste per site, or null when the dump has no requested sizes (`sizeClassesUnavailable` says why). */
  sizeClasses: SizeClassWasteReport | null;
  sizeClassesUnavailable: string | null;
  /** Pinned bytes per site, with statistics; null without. */
  fragmentation: FragmentationReport | null;
}

export const wasteCommand = command<WasteOptions, WasteReport>({
  name: 'waste',
  summary: 'size-class waste per call site and allocator; with allocator statistics, the fragmentation each site pins',
  args: [
    ['<dump>', 'a heap dump or trace (requested sizes: gperftools, perf, heaptrack, record_allocs; or a jemalloc heap_v2 dump, with statistics)'],
    ['[stats]', 'the allocator statistics of the same moment (jemalloc malloc_stats_print text or JSON, tcmalloc GetStats)'],
  ],
  options: [
    allocatorsOption(),
    countOption('--snapshot <n>', 'which dump of a statistics file holding several, from 1 (default: the last)'),
    nodeCountOption('sites'),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
  ],
  help: `
Size-class waste: for every request, the block each allocator would hand
out, and the bytes beyond the request, per site and in all (the first of
--allocators ranks the sites). It needs requested sizes: a jemalloc dump
records jemalloc's own classes, so it has none, and needs STATS.

Fragmentation (with STATS): each bin's free bytes shared among the sites
whose objects live in it, in proportion to their regions — the bytes of
partly used slabs each site's survivors pin. The dump and the statistics
must be of one process at one moment (see docs/analyses.md).

Examples:
  $ heapscope waste fixtures/waste/fragment/jemalloc/jeprof.*.heap fixtures/waste/fragment/jemalloc/jemalloc-stats.json
  $ heapscope waste --allocators glibc,mimalloc app.perf.txt
  $ heapscope waste --format json -n 5 fragment-sites.0001.heap tcmalloc-stats.txt`,
  async analyze(run) {
    const [dumpPath, statsPath] = run.args;
    const loaded = await run.load(run.args, { allowStats: true });
    const [dump, statsInput] = loaded;
    if (dump.stats) throw new UsageError(`${dumpPath} holds allocator statistics, not a heap dump: give the dump first (heapscope waste DUMP STATS)`);
    if (statsInput && !statsInput.stats) throw new UsageError(`${statsPath} is not allocator statistics (${statsInput.profile.meta.format}): give one heap dump, then its allocator's statistics`);
    const o = run.options;
    const files = [dumpPath, ...(statsPath ? [statsPath] : [])];
    const sites = siteOptions(o);
    let sizeClasses: SizeClassWasteReport | null = null;
    let sizeClassesUnavailable: string | null = null;
    try {
      sizeClasses = sizeClassWaste([dump], { ...sites, allocators: o.allocators, limit: o.nodeCount });
    } catch (error) {
      // Without statistics there is nothing else to report: the refusal is the answer.
      if (!isWasteInputError(error)) throw error;
      if (!statsInput) {
        const e = wasteInputError(error, files) as ParseError;
        // A jemalloc dump: its waste is the fragmentation, which needs the statistics.
        const hint = dump.profile.meta.sizeKind === 'average-usable' ? '; what its sites waste in the bins needs the allocator statistics of the same moment (heapscope waste DUMP STATS)' : '';
        throw new ParseError(e.file, e.line, e.reason + hint);
      }
      sizeClassesUnavailable = error.message;
    }
    let fragmentation: FragmentationReport | null = null;
    if (statsInput?.stats) fragmentation = fragmentationOf(dump.profile, statsInput.stats, o, files);
    if (fragmentation) run.warn(fragmentation.warnings);
    return { dump: dumpPath, stats: statsPath ?? null, sizeClasses, sizeClassesUnavailable, fragmentation };
  },
  output: {
    kind: 'report',
    json: (report, run) => ({ ...report, warnings: run.warnings }),
    text(report) {
      const parts: string[] = [];
      if (report.fragmentation) parts.push(renderFragmentation(report.fragmentation));
      if (report.sizeClasses) parts.push(renderSizeClassWaste(report.sizeClasses));
      else if (report.sizeClassesUnavailable) parts.push(`size-class waste: not known: ${report.sizeClassesUnavailable}\n`);
      return parts.join('\n');
    },
  },
});

function fragmentationOf(profile: HeapProfile, stats: AllocatorStats, o: WasteOptions, files: readonly string[]): FragmentationReport {
  const count = stats.snapshots.length;
  if (o.snapshot !== undefined && o.snapshot > count) throw new UsageError(`--snapshot ${o.snapshot}: ${stats.file} holds ${count} statistics ${count === 1 ? 'dump' : 'dumps'}`);
  try {
    return siteFragmentation(profile, stats, { ...siteOptions(o), snapshot: o.snapshot === undefined ? undefined : o.snapshot - 1, limit: o.nodeCount });
  } catch (error) {
    throw wasteInputError(error, files);
  }
}
