/**
 * `heapscope flamegraph -o x.svg|x.html <input...>`: a self-contained
 * flamegraph — static SVG, or interactive HTML (zoom, search, tooltips) —
 * of one sample type; with `--base` a diff flamegraph (growth red,
 * shrinkage blue), with `--growth` a growth flamegraph of a series.
 */
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { commonSampleType, diffFlame, formatValue, growthFlame, seriesWarnings, sumProfiles, summedInputs, type SeriesOrder } from '@heapscope/analyzer';
import { loadSeries } from '../series.js';
import { addInputOptions, addStackFilterOptions, loadInputs, positiveInt, stackFilters, warnMixedInputs, type InputOptions, type StackFilterOptions } from '../options.js';
import { UsageError, type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { renderFlame, type FlameData, type Orientation } from '../render/flamegraph.js';
import { describeSampleType } from '../render/speedscope.js';
import { inputsLabel } from '../labels.js';
import { plainFlameData, warnNegative } from '../flame-words.js';

interface FlamegraphCommandOptions extends InputOptions, StackFilterOptions {
  to?: 'svg' | 'html';
  sampleType?: string;
  orientation: Orientation;
  title?: string;
  width?: number;
  base?: string;
  growth?: boolean;
  order: SeriesOrder;
  windows?: number;
}

/** `svg` or `html` from an explicit choice or the output file's extension. */
export function flameKind(to: string | undefined, output: string | undefined): 'svg' | 'html' {
  if (to === 'svg' || to === 'html') return to;
  const ext = output ? extname(output).toLowerCase() : '';
  if (ext === '.svg') return 'svg';
  if (ext === '.html' || ext === '.htm') return 'html';
  throw new UsageError(output ? `cannot tell the flamegraph kind from "${output}": name it .svg or .html, or give --to svg|html` : 'give -o FILE.svg or FILE.html (or --to svg|html)');
}

export function registerFlamegraph(program: Command, io: CliIo): void {
  const cmd = program
    .command('flamegraph')
    .description('a self-contained SVG or interactive HTML flamegraph (diff with --base, growth with --growth)')
    .argument('<input...>', 'heap dumps or traces (summed), or a series with --growth')
    .addOption(new Option('--to <kind>', 'svg or html (default: from the -o extension)').choices(['svg', 'html']))
    .option('-t, --sample-type <type>', 'inuse_space (default), inuse_objects, alloc_space or alloc_objects')
    .addOption(new Option('--orientation <o>', 'flame: root at the bottom; icicle: root at the top').choices(['flame', 'icicle']).default('flame'))
    .option('--title <text>', 'title shown above the graph')
    .option('--width <px>', 'SVG width in pixels (default 1200)', positiveInt('--width'))
    .option('--base <file>', 'diff flamegraph: the inputs minus this base (red grew, blue shrank)')
    .option('--growth', 'growth flamegraph: the inputs are a series of dumps of one process; colour by growth')
    .addOption(new Option('--order <order>', 'with --growth: series order').choices(['auto', 'given', 'sequence']).default('auto'))
    .option('--windows <n>', 'with --growth and one event trace: compare N windows of it', positiveInt('--windows'));
  addStackFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
The HTML page is one file with no external resources: click a frame to zoom,
Escape to reset, search with a regular expression, hover for values.

Examples:
  $ heapscope flamegraph -o heap.html jeprof.1234.5.f.heap
  $ heapscope flamegraph -o heap.svg --orientation icicle -t alloc_space dump.heap
  $ heapscope flamegraph -o diff.html --base before.heap after.heap
  $ heapscope flamegraph -o growth.html --growth jeprof.1234.*.heap`,
    )
    .action(async (inputs: string[], options: FlamegraphCommandOptions) => {
      const kind = flameKind(options.to, options.output);
      if (options.base !== undefined && options.growth) throw new UsageError('--base and --growth cannot be combined');
      if (options.windows !== undefined && !options.growth) throw new UsageError('--windows needs --growth');
      const filters = stackFilters(options);
      let data: FlameData;
      if (options.base !== undefined) {
        const [base, ...rest] = await loadInputs([options.base, ...inputs], options, io);
        const input = sumProfiles(rest.map((l) => l.profile));
        warnMixedInputs(io, summedInputs([input.meta]));
        const type = commonSampleType([input, base.profile], options.sampleType);
        for (const w of seriesWarnings([base.profile, input])) io.stderr.write(`heapscope: warning: ${w}\n`);
        const label = inputsLabel(inputs);
        data = {
          ...diffFlame(base.profile, input, type, filters),
          title: options.title ?? `heapscope diff: ${label} − ${inputsLabel([options.base])}`,
          subtitle: `${describeSampleType(type)}: base ${formatValue(base.profile.total(base.profile.sampleTypeIndex(type.type)), type.unit)} → ${formatValue(input.total(input.sampleTypeIndex(type.type)), type.unit)}`,
        };
      } else if (options.growth) {
        const { profiles: series, how } = await loadSeries(inputs, options, io, 'flamegraph --growth');
        if (series.length < 2) throw new UsageError('--growth needs at least two points');
        const type = commonSampleType(series, options.sampleType);
        data = { ...growthFlame(series, type, filters), title: options.title ?? `heapscope growth: ${inputsLabel(inputs)}`, subtitle: `${describeSampleType(type)} over ${how}` };
      } else {
        const loaded = await loadInputs(inputs, options, io);
        const profile = sumProfiles(loaded.map((l) => l.profile));
        warnMixedInputs(io, summedInputs([profile.meta]));
        const type = commonSampleType([profile], options.sampleType);
        data = plainFlameData(profile, inputs, type, filters, options.title);
      }
      warnNegative(io, data);
      const out = new ReportOutput(io, options.output);
      if (out.isTerminal && kind === 'html') throw new UsageError('an HTML flamegraph would go to the terminal: give -o FILE.html');
      out.write(renderFlame(data, kind, options.orientation, options.width));
      await out.close();
    });
}

