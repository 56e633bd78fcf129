/**
 * `heapscope churn`: per call site, how much is allocated versus how much stays.
 */
import type { Command } from 'commander';
import { churn, seriesOrder, type ChurnReport } from '@heapscope/analyzer';
import { addFilterOptions, addInputOptions, inputWarnings, loadInputs, siteOptions, type FilterOptions, type InputOptions } from '../options.js';
import { ReportOutput, UsageError, type CliIo } from '../io.js';
import { formatBytes, formatCount } from '@heapscope/analyzer';
import { renderTable } from '../render/table.js';

interface ChurnCommandOptions extends InputOptions, FilterOptions {
  nodeCount?: number;
}

export function registerChurn(program: Command, io: CliIo): void {
  const cmd = program
    .command('churn')
    .description('churn per call site: allocated versus retained, short-lived and temporary allocations')
    .argument('<input...>', 'an event trace, or dumps with cumulative counts (one, or a series of one process)')
    .option('-n, --node-count <n>', 'show the first N sites', (v) => Number(v));
  addFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
From traces: allocations, live at the end, "temporary" allocations (freed by
the very next allocation event, as heaptrack counts them), median lifetime
in allocation events, and allocations per second when the trace has
timestamps. From dumps with cumulative counts: allocated minus retained.

Examples:
  $ heapscope churn record_allocs.txt
  $ heapscope churn fixtures/gperftools/workload.*.heap
  $ heapscope churn --by thread --format json app.perf.txt`,
    )
    .action(async (inputs: string[], options: ChurnCommandOptions) => {
      const loaded = await loadInputs(inputs, options, io);
      const ordered = loaded.every((l) => !l.trace) ? seriesOrder(loaded.map((l) => l.profile)).indexes.map((i) => loaded[i]) : loaded;
      let report: ChurnReport;
      try {
        report = churn(ordered, { ...siteOptions(options), limit: options.nodeCount });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const out = new ReportOutput(io, options.output);
      out.write(options.format === 'json' ? `${JSON.stringify({ ...report, warnings: inputWarnings(loaded) }, null, 2)}\n` : renderChurn(report));
      await out.close();
    });
}

function renderChurn(r: ChurnReport): string {
  const trace = r.source === 'trace';
  let out = `${r.verdict}\n`;
  out +=
    r.source === 'trace'
      ? `from an event trace${r.durationSeconds ? ` of ${r.durationSeconds.toFixed(3)} s` : ' (no timestamps)'}\n\n`
      : r.source === 'series'
        ? 'from a series of dumps: allocated minus retained, per interval\n\n'
        : 'from one dump: allocated since start versus in use\n\n';
  const columns = [
    { header: 'allocs', align: 'right' as const },
    { header: 'alloc bytes', align: 'right' as const },
    { header: 'live', align: 'right' as const },
    { header: 'live bytes', align: 'right' as const },
    { header: 'churned', align: 'right' as const },
    ...(trace
      ? [
          { header: 'temporary', align: 'right' as const },
          { header: 'median life', align: 'right' as const },
          ...(r.durationSeconds ? [{ header: 'allocs/s', align: 'right' as const }] : []),
        ]
      : []),
    { header: 'name', align: 'left' as const },
  ];
  const rows = r.rows.map((row) => [
    formatCount(row.allocObjects),
    formatBytes(row.allocBytes),
    formatCount(row.liveObjects),
    formatBytes(row.liveBytes),
    `${Math.round(row.churnShare * 100)}%`,
    ...(trace
      ? [
          formatCount(row.temporary ?? 0),
          row.medianLifetimeEvents === null ? '-' : `≤${formatCount(row.medianLifetimeEvents)} ev`,
          ...(r.durationSeconds ? [formatCount(row.allocsPerSecond ?? 0)] : []),
        ]
      : []),
    row.name,
  ]);
  return out + renderTable(columns, rows);
}
