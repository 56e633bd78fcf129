/**
 * `heapscope top`: call sites ranked by a sample type.
 */
import { summedInputs, top, type TopReport } from '@heapscope/analyzer';
import { command } from '../command.js';
import { commonOptions, filterOptions, inputOptions, nodeCountOption, sampleTypeOption, siteOptions, type FilterOptions, type InputOptions, type SharedOptions } from '../options.js';
import { Option } from 'commander';
import { renderTop } from '../render/top.js';

interface TopOptions extends InputOptions, FilterOptions, SharedOptions {
  cum?: boolean;
}

export const topCommand = command<TopOptions, TopReport>({
  name: 'top',
  summary: 'call sites ranked by a sample type (several inputs are summed)',
  args: [['<input...>', 'heap dumps or traces (plain, gzip, zstd or zip; - for stdin)']],
  options: [sampleTypeOption(), nodeCountOption('rows'), new Option('--cum', 'sort by cumulative value instead of flat'), ...commonOptions(), ...inputOptions(), ...filterOptions()],
  help: `
flat is the value allocated at the site itself (its frame is the first one
outside the allocator); cum also counts the sites it calls.

Examples:
  $ heapscope top fixtures/jemalloc/all/jeprof.*.f.heap
  $ heapscope top -t alloc_objects --by stack -n 5 dump.heap
  $ heapscope top --format json --focus 'leak' dump.heap`,
  async analyze(run) {
    const loaded = await run.load(run.args);
    run.warnMixed(summedInputs(loaded.map((l) => l.profile.meta)));
    const o = run.options;
    return top(loaded.map((l) => l.profile), { ...siteOptions(o), sampleType: o.sampleType, sort: o.cum ? 'cum' : 'flat', limit: o.nodeCount });
  },
  output: {
    kind: 'report',
    json: (report, run) => ({ ...report, warnings: run.warnings }),
    text: (report, run) => renderTop(report, run.args),
  },
});
