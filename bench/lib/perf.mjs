/**
 * perf helpers shared by the perf inputs and cases: recording a program
 * under the fixtures' malloc/calloc/realloc/free uprobes, printing a
 * perf.data as text, counting what a `perf script` text holds, and reading
 * `perf report --sort trace` back as (size, count) pairs.
 *
 * The probe definitions are those of fixtures/scripts/perf.sh (sourced, so
 * there is one list of probes in the project); recording needs root
 * (uprobes) and perf.
 */
import { closeSync, createReadStream, openSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { run, which } from './exec.mjs';

/** Files a perf recording depends on (for a generator's `sources`). */
export const PERF_PROBE_SOURCES = ['fixtures/scripts/perf.sh', 'fixtures/scripts/lib.sh', 'bench/lib/perf.mjs'];

/** Throws unless uprobes can be recorded here: root and perf. */
export function checkPerf(what) {
  if (process.getuid?.() !== 0) throw new Error(`${what}: uprobes need root`);
  if (!which('perf')) throw new Error(`${what}: perf not found; apt-get install linux-perf`);
}

/**
 * Records `argv` once per entry of `captures` ({ name, callgraph }: perf
 * record options such as '-g -m 64M') with every probe of
 * fixtures/scripts/perf.sh, into `dir`/<name>.data; ASLR off, environment
 * reset to PATH. The probes are added first (existing ones of the same name
 * are used as they are) and the ones added are removed at the end. A
 * recording whose perf record says it lost anything fails. The program's
 * own output must not go to stderr (perf's messages are read from there).
 */
export async function recordUprobes({ root, dir, argv, captures }) {
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const script = [
    'set -euo pipefail',
    `FIXTURES_DIR=${q(path.join(root, 'fixtures'))}`,
    '. "$FIXTURES_DIR/scripts/lib.sh"',
    '. "$FIXTURES_DIR/scripts/perf.sh"',
    `LOG_DIR=${q(dir)}`,
    'trap _perf_remove_probes EXIT',
    '_perf_add_probes',
    'events=(); for e in "${PERF_EVENTS_ALL[@]}"; do events+=(-e "$e"); done',
    'noaslr=(); setarch "$(uname -m)" -R true >/dev/null 2>&1 && noaslr=(setarch "$(uname -m)" -R)',
    ...captures.flatMap(({ name, callgraph }) => [
      `log=${q(path.join(dir, `${name}.record.log`))}`,
      // shellcheck: $callgraph is several options on purpose.
      `env -i PATH="$PATH" "\${noaslr[@]}" perf record ${callgraph} "\${events[@]}" -o ${q(path.join(dir, `${name}.data`))} -- ${argv.map(q).join(' ')} >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }`,
      `if grep -qi lost "$log"; then cat "$log" >&2; echo "perf record (${name}) lost events" >&2; exit 1; fi`,
    ]),
  ].join('\n');
  await run(['bash', '-c', script], { cwd: root });
}

/**
 * `perf script -i data > file`, streamed; fails when perf script says the
 * recording lost events or chunks.
 */
export function perfScript(data, file, extra = []) {
  return new Promise((resolve, reject) => {
    const fd = openSync(file, 'w');
    const child = spawn('perf', ['script', '-i', data, ...extra], { stdio: ['ignore', fd, 'pipe'] });
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => {
      closeSync(fd);
      if (code !== 0) reject(new Error(`perf script -i ${data} exited with status ${code}: ${err.slice(-500)}`));
      else if (/lost/i.test(err)) reject(new Error(`perf script -i ${data}: the recording lost events: ${err.trim().slice(-500)}`));
      else resolve();
    });
  });
}

/**
 * What a `perf script` text holds, counted in one pass over its bytes:
 * records (sample lines), frame lines, the longest callchain, records whose
 * callchain reaches perf's limit (kernel.perf_event_max_stack, 127: on
 * these captures, broken frame-pointer unwinding that runs on through heap
 * and stack words), and frames in no mapping (`[unknown] ([unknown])`).
 */
export async function scanPerfText(file, maxStack = 127) {
  const s = { bytes: 0, records: 0, frames: 0, maxFrames: 0, recordsAtMaxStack: 0, framesWithoutMapping: 0 };
  const unknown = Buffer.from(' [unknown] ([unknown])');
  let frames = 0;
  let carry = Buffer.alloc(0);
  const endRecord = () => {
    if (frames > s.maxFrames) s.maxFrames = frames;
    if (frames >= maxStack) s.recordsAtMaxStack++;
    frames = 0;
  };
  const line = (buf, start, end) => {
    if (end === start) return endRecord();
    if (buf[start] === 9 /* \t */) {
      frames++;
      s.frames++;
      if (end - start > unknown.length && buf.indexOf(unknown, end - unknown.length) === end - unknown.length) s.framesWithoutMapping++;
    } else {
      s.records++;
      frames = 0;
    }
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) {
    s.bytes += chunk.length;
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      line(buf, start, nl);
      start = nl + 1;
    }
    carry = buf.subarray(start);
  }
  if (carry.length) line(carry, 0, carry.length);
  endRecord();
  return s;
}

/**
 * (size → count) of the entry events in `perf report --stdio -n --sort
 * trace -g none` output, and how many malloc calls inside realloc(NULL, n)
 * were folded into their realloc. perf counts glibc's malloc(n) inside
 * realloc(NULL, n) as an event of its own; heapscope counts the realloc
 * (and says so in a warning), so those are folded first, as in
 * packages/parser/test/perf-fixtures.test.ts.
 */
export function reportSizes(text) {
  const sizes = new Map();
  let event = '';
  let folded = 0;
  for (const line of text.split('\n')) {
    const section = /^# Samples: .* of event '([^']+)'/.exec(line);
    if (section) event = section[1];
    const row = /^\s+[\d.]+%\s+[\d.]+%\s+(\d+)\s+\([0-9a-f]+\)\s*(.*)$/.exec(line);
    if (!row || /__return$|:free$/.test(event)) continue;
    const count = Number(row[1]);
    const args = Object.fromEntries([...row[2].matchAll(/(\w+)=(\S+)/g)].map(([, k, v]) => [k, Number(v)]));
    const size = event.endsWith(':calloc') ? args.nmemb * args.size : args.size;
    if (event.endsWith(':realloc') && args.ptr !== 0 && size === 0) continue; // realloc(p, 0) frees
    sizes.set(size, (sizes.get(size) ?? 0) + count);
    if (event.endsWith(':realloc') && args.ptr === 0) {
      // glibc's realloc(NULL, n) calls malloc(n): perf has both, heapscope one.
      sizes.set(size, sizes.get(size) - count);
      folded += count;
    }
  }
  for (const [k, v] of sizes) if (v === 0) sizes.delete(k);
  return { sizes, folded };
}

/**
 * Compares `heapscope sizes --format json` rows with perf report's sizes;
 * throws naming the first differences, or returns the number of
 * allocations.
 */
export function checkSameSizes(want, hsRows) {
  const got = new Map(hsRows.map((r) => [r.size, r.count]));
  const diffs = [...new Set([...want.keys(), ...got.keys()])].filter((s) => want.get(s) !== got.get(s));
  if (diffs.length > 0) {
    throw new Error(`(size, count) pairs differ at ${diffs.length} sizes, e.g. ${diffs.slice(0, 5).map((s) => `${s}: perf ${want.get(s)}, heapscope ${got.get(s)}`).join('; ')}`);
  }
  return [...want.values()].reduce((a, b) => a + b, 0);
}
