/**
 * `heapscope growth`: growth per call site over a series of dumps, or over
 * windows of one event trace.
 */
import { Option, type Command } from 'commander';
import { formatValue, growthOfPoints, type SeriesOrder } from '@heapscope/analyzer';
import { addFilterOptions, addInputOptions, positiveInt, siteOptions, type FilterOptions, type InputOptions } from '../options.js';
import { loadGrowthPoints } from '../series.js';
import { ThresholdError, UsageError, type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { renderGrowth } from '../render/growth.js';
import { parseBytes } from '../size-arg.js';

interface GrowthCommandOptions extends InputOptions, FilterOptions {
  sampleType?: string;
  order: SeriesOrder;
  windows?: number;
  nodeCount?: number;
  failOnGrowth?: number;
}

export function registerGrowth(program: Command, io: CliIo): void {
  const cmd = program
    .command('growth')
    .description('growth per call site over a series of dumps of one process (or windows of a trace)')
    .argument('<input...>', 'dumps of one process (or one trace with --windows)')
    .option('-t, --sample-type <type>', 'inuse_space (default), inuse_objects, alloc_space or alloc_objects')
    .addOption(new Option('--order <order>', 'order of the series: by dump sequence numbers when every name has one (auto), or as given').choices(['auto', 'given', 'sequence']).default('auto'))
    .option('--windows <n>', 'for one event trace: split it into N windows and compare the live set at their ends', positiveInt('--windows'))
    .option('-n, --node-count <n>', 'show the first N sites', positiveInt('-n'))
    .option('--fail-on-growth <bytes>', 'exit 3 when a site grows by more than BYTES from first to last point (beyond sampling noise)', (v) => parseBytes('--fail-on-growth', v));
  addFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
Sites that grow steadily (a leak) rank first: by least-squares slope times
its fit (r²), ignoring changes within the sampling noise of sampled dumps.

Examples:
  $ heapscope growth fixtures/jemalloc/all/jeprof.*.m*.heap
  $ heapscope growth --fail-on-growth 10MiB before.heap after.heap
  $ heapscope growth --windows 10 record_allocs.txt`,
    )
    .action(async (inputs: string[], options: GrowthCommandOptions) => {
      const growthOptions = { ...siteOptions(options), sampleType: options.sampleType };
      const { points, how, warnings } = await loadGrowthPoints(inputs, options, growthOptions, io, 'growth');
      const report = growthOfPoints(points, growthOptions);
      const shown = options.nodeCount ? { ...report, rows: report.rows.slice(0, options.nodeCount) } : report;
      const out = new ReportOutput(io, options.output);
      out.writeReport({ ...shown, warnings }, options.format, () => renderGrowth(shown, how));
      await out.close();
      if (options.failOnGrowth !== undefined) {
        const over = report.rows.filter((r) => r.delta > options.failOnGrowth! && !r.withinNoise);
        if (over.length > 0) {
          throw new ThresholdError(
            `${over.length} site(s) grew more than ${formatValue(options.failOnGrowth, 'bytes')}: ${over
              .slice(0, 3)
              .map((r) => `${r.name} (+${formatValue(r.delta, report.unit)})`)
              .join(', ')}`,
          );
        }
      }
    });
}


