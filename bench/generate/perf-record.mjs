/**
 * Input `perf-record`: a real capture of more than 1 GiB of `perf script`
 * text — malloc, calloc, realloc (entry and return) and free uprobes with
 * frame-pointer callchains on the fixture workload — and the perf.data it
 * was printed from, so that `perf report --sort trace` (which reads
 * perf.data) and heapscope (which reads the text) are timed on the same
 * records.
 *
 * Made with the probes and the `perf record` of fixtures/scripts/perf.sh
 * (sourced, so the probe definitions are those of the fixtures): the
 * committed fixtures/bin/workload runs PHASES phases under
 * `perf record -g -m 64M` (ASLR off, environment reset to PATH); a capture
 * that lost any event fails. Then `perf script -i perf-record.data` writes
 * the text. Needs root (uprobes) and perf.
 *
 *   bench/inputs/perf-record.data   the perf.data
 *   bench/inputs/perf-record.txt    perf script's output, ≥ 1 GiB
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { run } from '../lib/exec.mjs';
import { PERF_PROBE_SOURCES, checkPerf, perfScript } from '../lib/perf.mjs';

export const id = 'perf-record';
export const description =
  'real perf.data and its perf script text (≥ 1 GiB): malloc/calloc/realloc entry+return and free uprobes with frame-pointer callchains on fixtures/bin/workload, many phases';
export const outputs = { data: 'bench/inputs/perf-record.data', text: 'bench/inputs/perf-record.txt' };
export const sources = [...PERF_PROBE_SOURCES, 'fixtures/bin/workload'];
export const tools = { perf: ['perf', '--version'] };

/** Workload phases: about 24 MB of text each. */
export const PHASES = 46;
const MIN_BYTES = 2 ** 30;

export async function generate({ root, inputsDir, log }) {
  checkPerf(id);
  const tmp = path.join(inputsDir, `${id}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  // The fixtures' probe set and recording, with this input's phases and paths.
  const script = [
    'set -euo pipefail',
    `FIXTURES_DIR=${JSON.stringify(path.join(root, 'fixtures'))}`,
    '. "$FIXTURES_DIR/scripts/lib.sh"',
    '. "$FIXTURES_DIR/scripts/perf.sh"',
    `LOG_DIR=${JSON.stringify(tmp)}; PERF_BUILD=${JSON.stringify(tmp)}; PERF_PHASES=${PHASES}`,
    'trap _perf_remove_probes EXIT',
    '_perf_add_probes',
    '_perf_record capture "-g -m 64M" "${PERF_EVENTS_ALL[@]}"',
  ].join('\n');
  log(`perf record -g -m 64M (the probes of fixtures/scripts/perf.sh) -- fixtures/bin/workload ${PHASES}`);
  await run(['bash', '-c', script], { cwd: root });
  const data = path.join(root, outputs.data);
  rmSync(data, { force: true });
  await run(['mv', path.join(tmp, 'capture.data'), data]);
  rmSync(tmp, { recursive: true, force: true });
  log(`perf script -i ${outputs.data} > ${outputs.text}`);
  await perfScript(data, path.join(root, outputs.text));
  const bytes = statSync(path.join(root, outputs.text)).size;
  if (bytes < MIN_BYTES) throw new Error(`${outputs.text} has ${bytes} bytes, less than 1 GiB; raise PHASES`);
  const dataBytes = statSync(data).size;
  return {
    phases: PHASES,
    bytes,
    dataBytes,
    summary: `${(bytes / 2 ** 30).toFixed(2)} GiB of perf script text from a ${(dataBytes / 2 ** 20).toFixed(0)} MiB perf.data: a real capture of fixtures/bin/workload ${PHASES} (every probe, frame-pointer callchains, no lost events)`,
  };
}
