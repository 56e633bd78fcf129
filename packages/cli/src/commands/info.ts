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
perf script text of plain CPU samples (perf record -e cpu-clock) is a CPU
profile: info says so, and sizes, peak, churn and growth refuse it.
perf.data, memray captures and Perfetto traces are refused with what to run
instead (perf script -i FILE > FILE.txt; memray transform csv FILE).
"stacks N distinct" counts the distinct call stacks of the samples.

Example:
  $ heapscope info fixtures/jemalloc/all/jeprof.*.f.heap
  $ heapscope info --format json dump.heap.gz
  $ heapscope info heaptrack.app.1234.zst
  $ heapscope info fixtures/cpu-perf/workload.cpu-clock.perf.txt.gz`,
  async analyze(run) {
    // The trace's report and profile only: no per-site lifetimes, exact sizes or peak sites to compute.
    const loaded = await run.load(run.args, { parts: [] });
    return { inputs: loaded.map(inputInfo) };
  },
  output: {
    kind: 'report',
    json: (report) => report,
    text: (report) => report.inputs.map(renderInfo).join('\n'),
  },
});
