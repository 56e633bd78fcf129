/**
 * `heapscope growth`: growth per call site over a series of dumps, or over
 * windows of one event trace.
 */
import { formatValue, growthOfPoints, type GrowthReport } from '@heapscope/analyzer';
import { command } from '../command.js';
import { ThresholdError } from '../io.js';
import { bytesOption, commonOptions, filterOptions, inputOptions, nodeCountOption, orderOption, sampleTypeOption, siteOptions, windowsOption, type FilterOptions, type InputOptions, type SharedOptions } from '../options.js';
import { loadGrowthPoints } from '../load-series.js';
import { renderGrowth } from '../render/growth.js';
import { counted } from '@heapscope/parser';

interface GrowthOptions extends InputOptions, FilterOptions, SharedOptions {
  failOnGrowth?: number;
}

interface GrowthResult {
  /** Every site's growth (the threshold looks at all of them). */
  report: GrowthReport;
  /** The rows shown (`-n`). */
  shown: GrowthReport;
  how: string;
}

export const growthCommand = command<GrowthOptions, GrowthResult>({
  name: 'growth',
  summary: 'growth per call site over a series of dumps of one process (or windows of a trace)',
  args: [['<input...>', 'dumps of one process (or one trace with --windows)']],
  options: [
    sampleTypeOption(),
    orderOption('order of the series: by dump sequence numbers when every name has one (auto), or as given'),
    windowsOption('for one event trace: split it into N windows and compare the live set at their ends'),
    nodeCountOption('sites'),
    bytesOption('--fail-on-growth <bytes>', 'exit 3 when a site grows by more than BYTES from first to last point (beyond sampling noise)'),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
  ],
  help: `
Sites that grow steadily (a leak) rank first: by least-squares slope times
its fit (r²), ignoring changes within the sampling noise of sampled dumps.

Examples:
  $ heapscope growth fixtures/jemalloc/all/jeprof.*.m*.heap
  $ heapscope growth --fail-on-growth 10MiB before.heap after.heap
  $ heapscope growth --windows 10 record_allocs.txt`,
  async analyze(run) {
    const growthOptions = { ...siteOptions(run.options), sampleType: run.options.sampleType };
    const { points, how } = await loadGrowthPoints(run, run.args, growthOptions, 'growth');
    const report = growthOfPoints(points, growthOptions);
    const n = run.options.nodeCount;
    return { report, shown: n ? { ...report, rows: report.rows.slice(0, n) } : report, how };
  },
  output: {
    kind: 'report',
    json: (r, run) => ({ ...r.shown, warnings: run.warnings }),
    text: (r) => renderGrowth(r.shown, r.how),
    gate({ report }, run) {
      const limit = run.options.failOnGrowth;
      if (limit === undefined) return;
      const over = report.rows.filter((r) => r.delta > limit && !r.withinNoise);
      if (over.length === 0) return;
      throw new ThresholdError(
        `${counted(over.length, 'site')} grew more than ${formatValue(limit, 'bytes')}: ${over
          .slice(0, 3)
          .map((r) => `${r.name} (+${formatValue(r.delta, report.unit)})`)
          .join(', ')}`,
      );
    },
  },
});
