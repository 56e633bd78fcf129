/**
 * `heapscope convert --to pprof|speedscope|collapsed|svg|html -o FILE <input...>`:
 * hands a profile to the tools people already use. Several inputs are
 * summed first; event traces convert as their final profile (allocated
 * over the trace, live at the end).
 */
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { commonSampleType, sumProfiles, summedInputs } from '@heapscope/analyzer';
import { addInputOptions, addStackFilterOptions, hasStackFilters, loadInputs, positiveInt, stackFilters, warnMixedInputs, type InputOptions, type StackFilterOptions } from '../options.js';
import { UsageError, type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { jsonText } from '../terminal-text.js';
import { encodePprof } from '../render/pprof.js';
import { toSpeedscope } from '../render/speedscope.js';
import { toCollapsed } from '../render/collapsed.js';
import { renderFlame, type Orientation } from '../render/flamegraph.js';
import { VERSION } from '../version.js';
import { inputsLabel } from '../labels.js';
import { plainFlameData, warnNegative } from '../flame-words.js';

type Target = 'pprof' | 'speedscope' | 'collapsed' | 'svg' | 'html';
const TARGETS: readonly Target[] = ['pprof', 'speedscope', 'collapsed', 'svg', 'html'];

interface ConvertCommandOptions extends InputOptions, StackFilterOptions {
  to?: Target;
  sampleType?: string;
  orientation: Orientation;
  title?: string;
  width?: number;
}

/** The target format from `--to`, or from the output file's name. */
function targetOf(to: Target | undefined, output: string | undefined): Target {
  if (to) return to;
  const name = (output ?? '').toLowerCase();
  if (/\.(pb|pb\.gz|pprof|prof)$/.test(name)) return 'pprof';
  if (/\.speedscope\.json$|\.json$/.test(name)) return 'speedscope';
  if (/\.(collapsed|folded)$/.test(name)) return 'collapsed';
  const ext = extname(name);
  if (ext === '.svg') return 'svg';
  if (ext === '.html' || ext === '.htm') return 'html';
  throw new UsageError(`give --to ${TARGETS.join('|')}${output ? ` (cannot tell the format from "${output}")` : ''}`);
}

export function registerConvert(program: Command, io: CliIo): void {
  const cmd = program
    .command('convert')
    .description('convert to pprof, speedscope, collapsed stacks, or an SVG/HTML flamegraph')
    .argument('<input...>', 'heap dumps or traces (several are summed; - for stdin)')
    .addOption(new Option('--to <format>', 'output format (default: from the -o file name)').choices([...TARGETS]))
    .option('-t, --sample-type <type>', 'collapsed, svg, html: the sample type drawn; speedscope: the profile shown first; pprof: the default sample type')
    .addOption(new Option('--orientation <o>', 'svg, html: flame (root at the bottom) or icicle (root at the top)').choices(['flame', 'icicle']).default('flame'))
    .option('--title <text>', 'svg, html: title; speedscope: profile name')
    .option('--width <px>', 'svg: width in pixels (default 1200)', positiveInt('--width'));
  addStackFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
pprof is gzipped protobuf with every sample type, functions, locations with
inlined frames, mappings, thread labels and the sampling period: read it
with "go tool pprof" (or heapscope). speedscope files hold one profile per
sample type. collapsed stacks ("root;...;site value") feed flamegraph.pl.
The filters (--focus, --ignore, --hide, --thread) apply to every format but
pprof, which keeps the whole profile (use pprof's own -focus/-ignore/-hide).

Examples:
  $ heapscope convert --to pprof -o heap.pb.gz jeprof.1234.5.f.heap
  $ go tool pprof -top heap.pb.gz
  $ heapscope convert -o heap.speedscope.json dump.heap
  $ heapscope convert --to collapsed -t alloc_space dump.heap | flamegraph.pl > fg.svg`,
    )
    .action(async (inputs: string[], options: ConvertCommandOptions) => {
      const target = targetOf(options.to, options.output);
      const out = new ReportOutput(io, options.output);
      if (target === 'pprof') {
        // Binary output never goes to a terminal.
        if (out.isTerminal) throw new UsageError('pprof output is binary: give -o FILE (or redirect standard output)');
        if (hasStackFilters(options)) throw new UsageError('filters do not apply to pprof output (it keeps the whole profile); use pprof\'s own -focus, -ignore and -hide');
      }
      if (target === 'html' && out.isTerminal) throw new UsageError('HTML output would go to the terminal: give -o FILE.html');
      const loaded = await loadInputs(inputs, options, io);
      const profile = sumProfiles(loaded.map((l) => l.profile));
      warnMixedInputs(io, summedInputs([profile.meta]));
      const type = commonSampleType([profile], options.sampleType);
      const filters = stackFilters(options);
      const label = inputsLabel(inputs);
      switch (target) {
        case 'pprof': {
          const withDefault = options.sampleType ? profile.with({ defaultSampleType: type.type }) : profile;
          out.write(encodePprof(withDefault, { comments: [`heapscope ${VERSION} convert ${inputs.join(' ')}`] }));
          break;
        }
        case 'speedscope': {
          const { file, negative } = toSpeedscope(profile, { title: options.title ?? label, exporter: `heapscope ${VERSION}`, filters, activeType: type.type });
          for (const [t, n] of Object.entries(negative)) io.stderr.write(`heapscope: warning: ${n} call paths with a negative ${t} were left out of the speedscope profile\n`);
          out.write(jsonText(file));
          break;
        }
        case 'collapsed': {
          const collapsed = toCollapsed(profile, profile.sampleTypeIndex(type.type), filters);
          if (collapsed.negative > 0) io.stderr.write(`heapscope: warning: ${collapsed.negative} call paths with a negative ${type.type} were left out\n`);
          out.write(collapsed.text);
          break;
        }
        case 'svg':
        case 'html': {
          const data = plainFlameData(profile, inputs, type, filters, options.title);
          warnNegative(io, data);
          out.write(renderFlame(data, target, options.orientation, options.width));
          break;
        }
      }
      await out.close();
    });
}
