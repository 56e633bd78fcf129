/**
 * `heapscope diff <base> <input>`: signed per-site difference.
 */
import { Option } from 'commander';
import { diffTop, seriesWarnings, type TopReport } from '@heapscope/analyzer';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import { commonOptions, filterOptions, inputOptions, nodeCountOption, sampleTypeOption, siteOptions, type FilterOptions, type InputOptions, type SharedOptions } from '../options.js';
import { sameFileWarnings } from '../load-series.js';
import { renderTop } from '../render/top.js';

interface DiffOptions extends InputOptions, FilterOptions, SharedOptions {
  cum?: boolean;
}

export const diffCommand = command<DiffOptions, TopReport>({
  name: 'diff',
  summary: 'signed per-site difference: input minus base',
  args: [
    ['<base>', 'the earlier dump'],
    ['<input>', 'the later dump'],
  ],
  options: [sampleTypeOption(), nodeCountOption('rows'), new Option('--cum', 'sort by cumulative difference instead of flat'), ...commonOptions(), ...inputOptions(), ...filterOptions()],
  help: `
Rows are ranked by the size of their change; growth is positive.

Examples:
  $ heapscope diff jeprof.1.0.m0.heap jeprof.1.4.m4.heap
  $ heapscope diff --format json -t inuse_objects before.heap after.heap`,
  async analyze(run) {
    const [base, input] = run.args;
    if (base === '-' && input === '-') throw new UsageError('stdin (-) can be given only once');
    const [b, i] = await run.load([base, input]);
    run.warn([...sameFileWarnings([base, input]), ...seriesWarnings([b.profile, i.profile])]);
    const o = run.options;
    return diffTop([b.profile], [i.profile], { ...siteOptions(o), sampleType: o.sampleType, sort: o.cum ? 'cum' : 'flat', limit: o.nodeCount });
  },
  output: {
    kind: 'report',
    json: (report, run) => ({ ...report, base: run.args[0], input: run.args[1], warnings: run.warnings }),
    text: (report, run) => renderTop(report, [`${run.args[1]} − ${run.args[0]}`]),
  },
});
