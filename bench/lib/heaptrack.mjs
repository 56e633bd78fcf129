/**
 * The heaptrack cases' check: heapscope finds heaptrack_print's totals on
 * the same recording.
 */
import { HEAPSCOPE_BIN } from './exec.mjs';

const fmt = (n) => n.toLocaleString('en-US');

/** heaptrack_print's printed size (`39.99M`) in bytes. */
function printedBytes(text) {
  const m = /^(-?[\d.]+)([BKMGT])$/.exec(text);
  if (!m) throw new Error(`heaptrack_print: unreadable size "${text}"`);
  return Number(m[1]) * { B: 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]];
}

/**
 * Compares `heapscope info` on `recording` with `report`, the stdout of
 * `heaptrack_print -f recording`: calls to allocation functions and
 * temporary allocations exactly, peak and leaked bytes as heaptrack_print
 * rounds them. Throws on a difference; returns a note for the report.
 */
export async function checkHeaptrackTotals(run, recording, report) {
  const t = JSON.parse((await run(['node', HEAPSCOPE_BIN, 'info', '--format', 'json', '--no-symbolize', recording])).stdout).inputs[0].trace;
  const field = (label, fallback) => {
    const m = new RegExp(`^${label}: (\\S+)`, 'm').exec(report);
    if (!m && fallback === undefined) throw new Error(`heaptrack_print printed no "${label}:" line`);
    return m ? m[1] : fallback;
  };
  // What is still allocated at the end: heaptrack_print's leaks plus those its built-in suppressions hide (libc's, libstdc++'s).
  const leaked = printedBytes(field('total memory leaked')) + printedBytes(field('suppressed leaks', '0B'));
  const print = { calls: Number(field('calls to allocation functions')), temporary: Number(field('temporary memory allocations')), peak: printedBytes(field('peak heap memory consumption')), leaked };
  if (t.ops.other !== print.calls) throw new Error(`allocations: heapscope ${t.ops.other}, heaptrack_print ${print.calls}`);
  // heaptrack_print also counts a free of allocation info 0 that follows another free (docs/formats.md, heaptrack).
  const quirks = Number(
    (await run(['sh', '-c', `zstd -dc '${recording}' | awk '/^[+] /{after=0; next} /^- /{ if ($2 == "0" && after) n++; after=1 } BEGIN{after=1} END{print n+0}'`])).stdout.trim(),
  );
  if (t.temporary !== print.temporary - quirks) throw new Error(`temporary: heapscope ${t.temporary}, heaptrack_print ${print.temporary} less ${quirks} frees of info 0 after a free`);
  for (const [what, ours, theirs] of [['peak', t.peak.bytes, print.peak], ['leaked', t.liveBytes, print.leaked]]) {
    // heaptrack_print rounds to 3 significant digits of its unit.
    if (Math.abs(ours - theirs) > 0.005 * (theirs >= 1e6 ? 1e6 : 1e3)) throw new Error(`${what}: heapscope ${ours}, heaptrack_print ${theirs}`);
  }
  return (
    `Same totals as heaptrack_print: ${fmt(print.calls)} allocations, ${fmt(print.temporary)} temporary (heapscope ${fmt(t.temporary)}: heaptrack_print's info-0 quirk counts ${quirks} more), ` +
    `peak ${fmt(t.peak.bytes)} B (${field('peak heap memory consumption')}), leaked ${fmt(t.liveBytes)} B (${field('total memory leaked')} and ${field('suppressed leaks', '0B')} suppressed).`
  );
}
