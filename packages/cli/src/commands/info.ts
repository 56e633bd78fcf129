/**
 * `heapscope info`: what each input is.
 */
import type { Command } from 'commander';
import { inputInfo } from '@heapscope/analyzer';
import { addInputOptions, loadInputs, type InputOptions } from '../options.js';
import { type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { renderInfo } from '../render/info.js';

export function registerInfo(program: Command, io: CliIo): void {
  const cmd = program
    .command('info')
    .description('per input: format, sample types, totals, sampling period, warnings')
    .argument('<input...>', 'heap dumps or traces (plain, gzip, zstd or zip; - for stdin)');
  addInputOptions(cmd)
    .addHelpText(
      'after',
      `
Inputs (detected from their content, docs/formats.md): jemalloc heap_v2
dumps; gperftools, tcmalloc and Go legacy heap profiles; pprof; perf script
text of malloc/free uprobes; heaptrack recordings, raw (heaptrack --raw) or
interpreted (heaptrack.<app>.<pid>.zst or .gz); memray transform csv exports;
Android record_allocs traces and native heap dumps; allocator statistics.

Example:
  $ heapscope info fixtures/jemalloc/all/jeprof.*.f.heap
  $ heapscope info --format json dump.heap.gz
  $ heapscope info heaptrack.app.1234.zst`,
    )
    .action(async (inputs: string[], options: InputOptions) => {
      const loaded = await loadInputs(inputs, options, io);
      const report = { inputs: loaded.map(inputInfo) };
      const out = new ReportOutput(io, options.output);
      out.writeReport(report, options.format, () => report.inputs.map(renderInfo).join('\n'));
      await out.close();
    });
}

