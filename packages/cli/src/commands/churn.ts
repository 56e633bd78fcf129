/**
 * `heapscope churn`: per call site, how much is allocated versus how much stays.
 *
 * Text: the verdict, the site table, then for traces the whole trace's
 * lifetime histograms (events, and time when the trace has timestamps),
 * and with `--lifetimes` each shown site's histogram as one row of a table;
 * for a series of dumps, the process per interval.
 */
import type { Command } from 'commander';
import { churn, seriesOrder, seriesWarnings, type ChurnReport } from '@heapscope/analyzer';
import { addFilterOptions, addInputOptions, hasStackFilters, inputWarnings, loadInputs, positiveInt, siteOptions, type FilterOptions, type InputOptions } from '../options.js';
import { UsageError, type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { renderChurn } from '../render/churn.js';

interface ChurnCommandOptions extends InputOptions, FilterOptions {
  nodeCount?: number;
  lifetimes?: boolean;
}

export function registerChurn(program: Command, io: CliIo): void {
  const cmd = program
    .command('churn')
    .description('churn per call site: allocated versus retained, short-lived and temporary allocations, lifetimes')
    .argument('<input...>', 'an event trace, or dumps with cumulative counts (one, or a series of one process)')
    .option('-n, --node-count <n>', 'show the first N sites', positiveInt('-n'))
    .option('--lifetimes', "traces: also show each shown site's lifetime histogram (in allocation events)");
  addFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
From traces: allocations, live at the end, "temporary" allocations (freed by
the very next allocation event, as heaptrack counts them), median lifetime
in allocation events, and allocations per second when the trace has
timestamps; below the sites, the lifetimes of every block freed in the
trace (all sites, whatever the filters): in allocation events, in powers of
4, and in time (ns … s) when the trace has timestamps — count, share and a
bar per bucket. --lifetimes adds a table of each shown site's lifetimes
(share of its freed blocks per bucket).

From dumps with cumulative counts (jemalloc prof_accum:true, gperftools):
per site, allocated versus in use at the last dump; for a series of dumps,
also a table of the process per interval (dump i-1 to i; the first from the
process start): allocated (change of the cumulative counts), retained
(change of what is in use) and churned = allocated - retained.

JSON adds "lifetimes" (whole trace: freedObjects, events, timedObjects, ns;
buckets {fromEvents,toEvents|fromNs,toNs,count,share}) and "intervals"
({from,to,allocObjects,allocBytes,retainedObjects,retainedBytes,churnObjects,
churnBytes,liveObjects,liveBytes}); each row has its own "lifetimes" (power-
of-4 buckets) or "intervals". See docs/analyses.md.

Examples:
  $ heapscope churn record_allocs.txt
  $ heapscope churn -n 5 --lifetimes fixtures/perf/workload.fp.perf.txt.gz
  $ heapscope churn fixtures/jemalloc/all/jeprof.*.m*.heap
  $ heapscope churn --by thread --format json app.perf.txt`,
    )
    .action(async (inputs: string[], options: ChurnCommandOptions) => {
      const loaded = await loadInputs(inputs, options, io);
      const dumps = loaded.every((l) => !l.trace);
      const order = dumps ? seriesOrder(loaded.map((l) => l.profile)) : { indexes: loaded.map((_, i) => i), by: 'given' as const };
      const ordered = order.indexes.map((i) => loaded[i]);
      // A series that may not be one (other processes, counters going backwards) gives wrong intervals: say so.
      const warnings = dumps && ordered.length > 1 ? seriesWarnings(ordered.map((l) => l.profile)) : [];
      for (const w of warnings) io.stderr.write(`heapscope: warning: ${w}\n`);
      let report: ChurnReport;
      try {
        report = churn(ordered, { ...siteOptions(options), limit: options.nodeCount });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      if (options.lifetimes && report.source !== 'trace') throw new UsageError('--lifetimes needs an event trace: dumps do not record when blocks are freed');
      if (options.lifetimes && report.lifetimes === null) throw new UsageError('--lifetimes: this trace does not record pointers, so frees (and lifetimes) are unknown');
      const out = new ReportOutput(io, options.output);
      out.writeReport({ ...report, warnings: [...inputWarnings(loaded), ...warnings] }, options.format, () =>
        renderChurn(report, { lifetimes: options.lifetimes === true, filtered: hasStackFilters(options), seriesBy: order.by }),
      );
      await out.close();
    });
}

