/**
 * Outputs of a 20 MiB jemalloc dump with 32k stacks: `heapscope convert
 * --to pprof` and `heapscope flamegraph -o x.html`, each under a second
 * (issue 6), with and without symbolization (the symbol cache in
 * ~/.cache/heapscope is warm after the warmup run).
 *
 * The verify hook checks that the files are right, not just fast: the
 * real `go tool pprof` (when installed) reads the pprof file with the same
 * inuse_space total as `heapscope top`, and heapscope reads it back with
 * the same totals; the HTML is self-contained and its root frame holds the
 * whole total.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { HEAPSCOPE_BIN, ROOT, which } from '../lib/exec.mjs';
import { outputs } from '../generate/jemalloc-32k.mjs';

const { heap, binary } = outputs;
const OUT = 'bench/out/outputs';
// The commands write here; heapscope does not create directories.
mkdirSync(path.join(ROOT, OUT), { recursive: true });
const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const files = {
  pprof: `${OUT}/jemalloc-32k.pb.gz`,
  pprofRaw: `${OUT}/jemalloc-32k.nosym.pb.gz`,
  html: `${OUT}/jemalloc-32k.html`,
  htmlRaw: `${OUT}/jemalloc-32k.nosym.html`,
};

const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 4 });

export default {
  name: 'outputs',
  title: 'heapscope convert --to pprof and flamegraph -o x.html (20 MB jemalloc dump, 32k stacks)',
  inputs: ['jemalloc-32k'],
  tools: { go: ['go', 'version'] },
  baseline: 'heapscope convert --to pprof',
  commands: [
    { label: 'heapscope convert --to pprof', role: 'heapscope', argv: heapscope('convert', '--to', 'pprof', '--symbols', binary, '-o', files.pprof, heap) },
    { label: 'heapscope convert --to pprof --no-symbolize', role: 'heapscope', argv: heapscope('convert', '--to', 'pprof', '--no-symbolize', '-o', files.pprofRaw, heap) },
    { label: 'heapscope flamegraph -o x.html', role: 'heapscope', argv: heapscope('flamegraph', '--symbols', binary, '-o', files.html, heap) },
    { label: 'heapscope flamegraph -o x.html --no-symbolize', role: 'heapscope', argv: heapscope('flamegraph', '--no-symbolize', '-o', files.htmlRaw, heap) },
    { label: 'heapscope info (parse only)', role: 'heapscope', argv: heapscope('info', '--no-symbolize', heap) },
  ],

  async verify({ run }) {
    const notes = [];
    const top = JSON.parse((await run(heapscope('top', '--format', 'json', '--no-symbolize', heap))).stdout);
    const total = Math.round(top.total);
    // heapscope reads its pprof back with the same totals.
    const info = JSON.parse((await run(heapscope('info', '--format', 'json', '--no-symbolize', files.pprof))).stdout).inputs[0];
    if (info.format !== 'pprof') throw new Error(`heapscope reads ${files.pprof} as ${info.format}`);
    if (info.totals.inuse_space !== total) throw new Error(`pprof inuse_space total ${info.totals.inuse_space}, heapscope top ${top.total}`);
    notes.push(`heapscope reads the pprof file back with inuse_space ${fmt(info.totals.inuse_space)} B (\`heapscope top\`: ${fmt(top.total)} B, rounded per sample to whole bytes in pprof).`);
    const size = (f) => statSync(path.join(ROOT, f)).size;
    notes.push(`pprof file: ${fmt(size(files.pprof))} bytes (gzip level 1); HTML flamegraph: ${fmt(size(files.html))} bytes.`);
    if (which('go')) {
      const env = { PPROF_TMPDIR: path.join(ROOT, OUT), PPROF_BINARY_PATH: path.join(ROOT, OUT, 'none') };
      const text = (await run(['go', 'tool', 'pprof', '-symbolize=none', '-top', '-unit=B', '-nodecount=5', '-sample_index=inuse_space', files.pprof], { env })).stdout;
      const m = /of (\d+)B total/.exec(text);
      if (!m || Number(m[1]) !== total) throw new Error(`go tool pprof total ${m?.[1]} differs from heapscope's ${total}:\n${text}`);
      const first = /^\s*(\d+)B\s+\S+%\s+\S+%\s+\d+B\s+\S+%\s+(\S+)/m.exec(text);
      notes.push(`\`go tool pprof -top\` reads it with the same total, ${fmt(Number(m[1]))} B; its top function is ${first?.[2]} at ${fmt(Number(first?.[1]))} B.`);
    } else notes.push('go is not installed: the go tool pprof check was skipped.');
    const html = readFileSync(path.join(ROOT, files.html), 'utf8');
    if (/<script[^>]+src=|<link[^>]+href=/i.test(html)) throw new Error('the HTML flamegraph refers to external resources');
    const embedded = /<script type="application\/json" class="flame-data">(.*?)<\/script>/s.exec(html);
    if (!embedded) throw new Error('the HTML flamegraph has no embedded flame data (<script class="flame-data">)');
    const data = JSON.parse(embedded[1]);
    if (Math.round(data.w[0]) !== total) throw new Error(`HTML root frame ${data.w[0]}, total ${total}`);
    notes.push(`The HTML flamegraph has ${fmt(data.d.length)} frames; its root holds the whole ${fmt(total)} B.`);
    return notes;
  },
};
