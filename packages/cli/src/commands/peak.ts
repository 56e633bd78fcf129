/**
 * `heapscope peak`: for event traces, the peak of live bytes, when it
 * happened, and the call sites that held it at that moment.
 */
import { peakMoment, stacklessTraces, top, tracePart } from '@heapscope/analyzer';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import { commonOptions, filterOptions, inputOptions, nodeCountOption, sampleTypeOption, siteOptions, type FilterOptions, type InputOptions, type SharedOptions } from '../options.js';
import { renderPeak, type PeakText } from '../render/peak.js';

export const peakCommand = command<InputOptions & FilterOptions & SharedOptions, PeakText>({
  name: 'peak',
  summary: 'event traces: peak live bytes, when, and the call sites holding them then',
  args: [['<trace>', 'an event trace (Android record_allocs, perf malloc/free probes)']],
  options: [sampleTypeOption('inuse_space (default) or inuse_objects'), nodeCountOption('rows'), ...commonOptions(), ...inputOptions(), ...filterOptions()],
  help: `
The peak is placed in the trace: seconds since its first event when the
trace has timestamps ("at 3.2 s of 12.5 s"), and its event among all the
trace's events. JSON: peak.offsetNs, peak.durationNs, peak.event,
peak.events (and the producer's own clock in peak.timeNs).

Examples:
  $ heapscope peak fixtures/perf/workload.fp.perf.txt.gz
  $ heapscope peak --by thread record_allocs.txt`,
  async analyze(run) {
    const [trace] = run.args;
    const [loaded] = await run.load([trace], { needsHeap: 'peak needs live bytes over time', parts: ['peakSites'] });
    if (!loaded.trace) throw new UsageError(`${trace} is a heap dump, not an event trace: it has no peak over time`);
    const o = run.options;
    tracePart(loaded.trace, 'peakSites');
    return { peak: peakMoment(loaded.trace.report), stackless: o.by !== 'thread' && stacklessTraces([loaded]), top: top([loaded.trace.peakProfile], { ...siteOptions(o), sampleType: o.sampleType, limit: o.nodeCount }) };
  },
  output: {
    kind: 'report',
    json: (r, run) => ({ peak: r.peak, ...r.top, warnings: run.warnings }),
    text: (r, run) => renderPeak(r, run.args[0]),
  },
});
