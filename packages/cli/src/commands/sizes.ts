/**
 * `heapscope sizes`: hot allocation sizes.
 */
import { Option, type Command } from 'commander';
import { sizes, summedInputs, type SizesReport } from '@heapscope/analyzer';
import { addFilterOptions, addInputOptions, inputWarnings, loadInputs, siteOptions, warnMixedInputs, type FilterOptions, type InputOptions } from '../options.js';
import { type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { formatBytes, formatCount } from '@heapscope/analyzer';
import { renderTable } from '../render/table.js';

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

const KIND: Record<SizesReport['sizeKind'], string> = {
  exact: 'exact requested sizes',
  average: 'average object size per stack (a dump does not record each allocation)',
  'average-usable': 'average object size per stack, in allocator size classes (usable, not requested, sizes)',
};

function sizeLabel(r: SizesReport, size: number): string {
  if (r.buckets === 'pow2') return `≤ ${formatBytes(size)}`;
  if (r.buckets === 'class') return `${r.classes} ${formatBytes(size)}`;
  // Exact sizes read best in bytes: 8,225 B, not 8.03 KiB.
  return `${formatCount(size)} B`;
}

function table(r: SizesReport, rows: SizesReport['rows']): string {
  return renderTable(
    [
      { header: 'size', align: 'right' },
      { header: 'count', align: 'right' },
      { header: 'count%', align: 'right' },
      { header: 'bytes', align: 'right' },
      { header: 'bytes%', align: 'right' },
    ],
    rows.map((row) => [sizeLabel(r, row.size), formatCount(row.count), `${(row.countShare * 100).toFixed(1)}%`, formatBytes(row.bytes), `${(row.bytesShare * 100).toFixed(1)}%`]),
  );
}

function renderSizes(r: SizesReport): string {
  const top = r.rows[0];
  let out = top
    ? `${sizeLabel(r, top.size)} is the most frequent size: ${formatCount(top.count)} ${r.counts} (${(top.countShare * 100).toFixed(1)}%), ${formatBytes(top.bytes)}\n`
    : 'no allocations\n';
  out += `sizes: ${KIND[r.sizeKind]}; counting ${r.counts}; ${formatCount(r.totalCount)} in all, ${formatBytes(r.totalBytes)}\n\n`;
  out += table(r, r.rows);
  for (const site of r.sites) {
    out += `\n${site.name}: ${formatCount(site.count)} ${r.counts}, ${formatBytes(site.bytes)}\n`;
    out += table(r, site.rows).replace(/^(?=.)/gm, '  ');
  }
  return out;
}
