/**
 * `heapscope info`: what each input is.
 */
import { inputInfo, type InputInfo } from '@heapscope/analyzer';
import { command } from '../command.js';
import { commonOptions, inputOptions, type InputOptions } from '../options.js';
import { renderInfo } from '../render/info.js';

export const infoCommand = command<InputOptions, { inputs: InputInfo[] }>({
  name: 'info',
  summary: 'per input: format, sample types, totals, sampling period, warnings',
  args: [['<input...>', 'heap dumps or traces (plain, gzip, zstd or zip; - for stdin)']],
  options: [...commonOptions(), ...inputOptions()],
  help: `
Inputs (detected from their content, docs/formats.md): jemalloc heap_v2
dumps; gperftools, tcmalloc and Go legacy heap profiles; pprof; perf script
text of malloc/free uprobes; heaptrack recordings, raw (heaptrack --raw) or
interpreted (heaptrack.<app>.<pid>.zst or .gz); memray transform csv exports;
Android record_allocs traces and native heap dumps; allocator statistics.

Example:
  $ heapscope info fixtures/jemalloc/all/jeprof.*.f.heap
  $ heapscope info --format json dump.heap.gz
  $ heapscope info heaptrack.app.1234.zst`,
  async analyze(run) {
    const loaded = await run.load(run.args);
    return { inputs: loaded.map(inputInfo) };
  },
  output: {
    kind: 'report',
    json: (report) => report,
    text: (report) => report.inputs.map(renderInfo).join('\n'),
  },
});
