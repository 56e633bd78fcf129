/**
 * `heapscope view <input...>`: converts to speedscope's format and opens it
 * in the speedscope viewer that the `speedscope` npm package ships, offline
 * (speedscope-server.ts). The server runs until Ctrl-C; `--no-open` only
 * prints the URL.
 */
import { Option } from 'commander';
import { commonSampleType, sumProfiles, summedDumpsWarnings, summedInputs } from '@heapscope/analyzer';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import { commonOptions, inputOptions, sampleTypeOption, stackFilterOptions, stackFilters, titleOption, type InputOptions, type SharedOptions, type StackFilterOptions } from '../options.js';
import { toSpeedscope } from '../render/speedscope.js';
import { openBrowser, serveSpeedscope } from '../speedscope-server.js';
import { jsonText } from '../terminal-text.js';
import { VERSION } from '../version.js';
import { inputsLabel } from '../labels.js';
import { counted } from '@heapscope/parser';

interface ViewOptions extends InputOptions, StackFilterOptions, SharedOptions {
  open: boolean;
  port?: number;
  title?: string;
}

export const viewCommand = command<ViewOptions, { title: string; profileJson: string }>({
  name: 'view',
  summary: 'open the inputs in the speedscope viewer bundled with heapscope (offline, from a local server)',
  args: [['<input...>', 'heap dumps or traces (several are summed)']],
  options: [
    sampleTypeOption('the sample type shown first (every one is in the file)'),
    titleOption('name of the profile in the viewer'),
    new Option('--no-open', 'do not open a browser; print the URL and keep serving'),
    new Option('--port <n>', 'port on 127.0.0.1 (default: a free one)').argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port expects 0-65535, got "${v}"`);
      return n;
    }),
    ...commonOptions('not used: view serves its profile, and prints its URL on stdout'),
    ...inputOptions(),
    ...stackFilterOptions(),
  ],
  help: `
The viewer and the profile are served from 127.0.0.1 only, and only to
requests addressed to 127.0.0.1, localhost or [::1] (so no web page can
read them); nothing goes to the network. Stop the server with Ctrl-C.
With --format json, stdout gets {"url","port","title"} instead of the URL.

Examples:
  $ heapscope view jeprof.1234.5.f.heap
  $ heapscope view --no-open --port 8123 -t alloc_space dump.heap`,
  async analyze(run) {
    const o = run.options;
    if (o.output !== undefined && o.output !== '-') throw new UsageError('view serves its profile and writes no file: use heapscope convert --to speedscope -o FILE');
    const loaded = await run.load(run.args);
    const profile = sumProfiles(loaded.map((l) => l.profile));
    run.warnMixed(summedInputs([profile.meta]));
    run.warn(summedDumpsWarnings(loaded.map((l) => l.profile.meta)));
    const type = commonSampleType([profile], o.sampleType);
    const title = o.title ?? inputsLabel(run.args);
    const { file, negative } = toSpeedscope(profile, { title, exporter: `heapscope ${VERSION}`, filters: stackFilters(o), activeType: type.type });
    for (const [t, n] of Object.entries(negative)) run.warn([`${counted(n, 'call path')} with a negative ${t} ${n === 1 ? 'was' : 'were'} left out`]);
    return { title, profileJson: JSON.stringify(file) };
  },
  output: {
    kind: 'serve',
    async serve({ title, profileJson }, run) {
      const { io, options } = run;
      const server = await serveSpeedscope(profileJson, options.port ?? 0);
      io.stdout.write(run.json ? `${jsonText({ url: server.url, port: server.port, title }, 2)}\n` : `${server.url}\n`);
      io.stderr.write(`heapscope: serving ${title} in speedscope on 127.0.0.1:${server.port}; press Ctrl-C to stop\n`);
      if (options.open) openBrowser(server.url, io);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    },
  },
});
