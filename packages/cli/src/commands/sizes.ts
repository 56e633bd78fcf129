/**
 * `heapscope sizes`: hot allocation sizes.
 */
import { Option, type Command } from 'commander';
import { sizes, summedInputs } from '@heapscope/analyzer';
import { addFilterOptions, addInputOptions, inputWarnings, loadInputs, siteOptions, warnMixedInputs, type FilterOptions, type InputOptions } from '../options.js';
import { type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { renderSizes } from '../render/sizes.js';

interface SizesCommandOptions extends InputOptions, FilterOptions {
  buckets: 'exact' | 'pow2' | 'class';
  classes?: 'jemalloc' | 'glibc';
  nodeCount?: number;
  sites?: number;
}

export function registerSizes(program: Command, io: CliIo): void {
  const cmd = program
    .command('sizes')
    .description('hot allocation sizes: counts, bytes and shares, for the process and per call site')
    .argument('<input...>', 'heap dumps or traces (plain, gzip, zstd or zip; - for stdin)')
    .addOption(new Option('--buckets <kind>', 'exact sizes, powers of two, or allocator size classes').choices(['exact', 'pow2', 'class']).default('exact'))
    .addOption(new Option('--classes <allocator>', 'size classes for --buckets class (default: jemalloc for jemalloc dumps, glibc otherwise)').choices(['jemalloc', 'glibc']))
    .option('-n, --node-count <n>', 'show the first N sizes', (v) => Number(v))
    .option('--sites <n>', 'with --by: how many sites to break down (default 10)', (v) => Number(v));
  addFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
Traces and perf probe records know exact sizes. Heap dumps only know the
average size per stack (jemalloc: in size classes, not requested sizes);
the report says which. Dumps are counted by cumulative allocations when they
have them, in-use objects otherwise.

Examples:
  $ heapscope sizes trace.txt
  $ heapscope sizes --buckets class --classes jemalloc jeprof.*.f.heap
  $ heapscope sizes --by thread --sites 5 app.perf.txt`,
    )
    .action(async (inputs: string[], options: SizesCommandOptions) => {
      const loaded = await loadInputs(inputs, options, io);
      const mixed = warnMixedInputs(io, summedInputs(loaded.map((l) => l.profile.meta)));
      const breakdown = cmd.getOptionValueSource('by') === 'cli';
      const report = sizes(loaded, { ...siteOptions(options), buckets: options.buckets, classes: options.classes, sites: options.sites, sizesPerSite: options.nodeCount });
      if (!breakdown) report.sites = [];
      const shown = options.nodeCount ? { ...report, rows: report.rows.slice(0, options.nodeCount) } : report;
      const out = new ReportOutput(io, options.output);
      out.writeReport({ ...shown, warnings: [...inputWarnings(loaded), ...mixed] }, options.format, () => renderSizes(shown));
      await out.close();
    });
}

