/**
 * Snapshots of a process's memory from Linux /proc: `/proc/<pid>/status`
 * and `/proc/<pid>/smaps_rollup`, one snapshot or several concatenated.
 *
 * Producer: the Linux kernel (fs/proc/array.c `task_mem` for status,
 * fs/proc/task_mmu.c for smaps_rollup, Linux ≥ 4.14), documented in
 * proc(5) and Documentation/filesystems/proc.rst. Seen here: Linux 6.18.
 * Several snapshots in one file follow heapscope's convention: each starts
 * with a `### <seconds> [label]` line written by the collector (e.g.
 * `echo "### $(date +%s.%N)"; cat /proc/$pid/status /proc/$pid/smaps_rollup`);
 * without those lines, a status file's `Name:` line or smaps_rollup's
 * `[rollup]` line seen a second time starts the next snapshot. A real
 * excerpt (shortened; `…` marks cuts):
 *
 *   ### 0.026 step 0
 *   Name:	stats-workload
 *   …
 *   Pid:	11713
 *   …
 *   VmHWM:	    5572 kB
 *   VmRSS:	    5572 kB
 *   RssAnon:	    4224 kB
 *   RssFile:	    1348 kB
 *   …
 *   559d74bcf000-7fffe6e4b000 ---p 00000000 00:00 0                          [rollup]
 *   Rss:                5572 kB
 *   Pss:                4323 kB
 *   …
 *   Anonymous:          4224 kB
 *   …
 *
 * Quirks handled here:
 * - Every `kB` value is KiB (the kernel's "kB" is 1024 bytes).
 * - status lines are `Key:<TAB>value`; many values are not sizes (`State`,
 *   `Cpus_allowed_list`): kept as settings, and so are the hexadecimal
 *   signal and capability masks, even when all their digits are decimal.
 *   `Groups:` may be empty. smaps_rollup's lines pad with spaces instead of
 *   a tab.
 * - Sizes (status `Vm*`, `Rss*`, `HugetlbPages`; every smaps_rollup value)
 *   always carry their unit: a size without `kB` is a line cut short
 *   (`VmRSS:	 1810` read as bytes would be 1024 times too small), an error.
 * - RSS is status `VmRSS`, or smaps_rollup `Rss` when there is no status.
 */
import type { Head, ParseContext } from '../importers/importer.js';
import type { Input } from '../input/source.js';
import type { StatsImporter, StatsSnapshot } from './model.js';
import { SeriesBuilder, contentLines, eachLine, parseMarker } from './dump-reader.js';

const ROLLUP = /^[0-9a-f]+-[0-9a-f]+ [-r][-w][-x][-ps] [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ \d+\s+\[rollup\]\s*$/;
const FIELD = /^([A-Za-z][\w()]*):(?:[ \t]+(.*?))?[ \t]*$/;
const KB = /^(\d+) kB$/;
/** status keys whose values are sizes in kB. */
const STATUS_SIZE = /^(?:Vm|Rss|Hugetlb)/;
/** status keys whose values are hexadecimal masks. */
const STATUS_MASK = /^(?:Sig(?:Pnd|Blk|Ign|Cgt)|ShdPnd|Cap(?:Inh|Prm|Eff|Bnd|Amb))$/;

export const procImporter: StatsImporter = {
  id: 'proc',
  kind: 'stats',
  description: 'Linux /proc/<pid>/status and smaps_rollup snapshots (one, or several after "### <seconds>" lines)',

  sniff(head: Head): number {
    const first = contentLines(head, 1)[0] ?? '';
    if (/^Name:\t/.test(first) || ROLLUP.test(first)) return 1;
    return 0;
  },

  async parse(input: Input, ctx: ParseContext) {
    const series = new SeriesBuilder(ctx, 'proc', '/proc snapshots');
    let snap: StatsSnapshot | undefined;
    let section: 'status' | 'smaps_rollup' | '' = '';
    let seen = new Set<string>();
    const start = (lineNo: number) => {
      snap = series.begin(lineNo);
      seen = new Set();
    };
    const count = await eachLine(input, ctx, (line, lineNo) => {
      if (parseMarker(line)) {
        series.end();
        series.marker(line, lineNo);
        snap = undefined;
        section = '';
        return;
      }
      if (line.trim() === '') return;
      // A section seen twice without a separator: the next snapshot.
      const opens = line.startsWith('Name:') ? 'status' : ROLLUP.test(line) ? 'smaps_rollup' : '';
      if (opens !== '') {
        if (!snap || seen.has(opens)) start(lineNo);
        seen.add(opens);
        section = opens;
        if (opens === 'smaps_rollup') return;
      }
      if (!snap || section === '') {
        // Bare smaps_rollup lines without the header, or junk.
        if (!snap && FIELD.test(line) && KB.test(FIELD.exec(line)?.[2] ?? '')) {
          start(lineNo);
          seen.add('smaps_rollup');
          section = 'smaps_rollup';
        } else {
          series.outside(line, lineNo);
          return;
        }
      }
      const s = snap as StatsSnapshot;
      const m = FIELD.exec(line);
      if (!m) {
        ctx.malformed(lineNo, `not a /proc ${section} line`, line);
        return;
      }
      const [, key, value = ''] = m;
      const name = `${section}.${key}`;
      const kb = KB.exec(value);
      if (!kb && (section === 'smaps_rollup' || STATUS_SIZE.test(key))) {
        ctx.malformed(lineNo, `${key} is a size: its value is "<n> kB"`, line);
        return;
      }
      if (kb) {
        const bytes = series.value(Number(kb[1]) * 1024, lineNo, line, value);
        if (bytes !== undefined) s.raw[name] = bytes;
      } else if (/^\d+$/.test(value) && !STATUS_MASK.test(key)) {
        const n = series.value(Number(value), lineNo, line, value);
        if (n !== undefined) s.raw[name] = n;
      } else s.settings[name] = value;
      if (name === 'status.Pid' && s.raw[name] !== undefined) s.pid = s.raw[name];
    });
    const stats = series.finish(count, (s) => {
      const rss = s.raw['status.VmRSS'] ?? s.raw['smaps_rollup.Rss'];
      if (rss !== undefined) s.rssBytes = rss;
      else ctx.warn('a snapshot has no VmRSS or Rss (truncated?)', s.line);
    });
    stats.warnings = ctx.warningList();
    return stats;
  },
};
