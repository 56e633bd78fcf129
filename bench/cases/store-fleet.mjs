/**
 * The store at fleet scale (issue "Fleet store"): 1,000 dumps of 10,000
 * stacks (input fleet-1000: 10 hosts × 100 hourly dumps, two sites leaking
 * on three hosts) ingested into DuckDB and into a local two-shard
 * ClickHouse cluster; `growth` split by host and fleet-wide `top` on the
 * store, against `heapscope growth` over each host's files and `heapscope
 * merge` + `top` over all of them.
 *
 * The same, through the command line: `heapscope ingest` of each host's
 * 100 dumps with `--label host=…` (ten runs into one fresh DuckDB file, as
 * ten hosts would each ingest their own), then `heapscope growth --db
 * --by-label host` and `heapscope top --db` on it — the library's numbers
 * plus what the command adds (its start, the bundle, JSON out).
 *
 * The ingest commands run once each (a fresh store every time); the
 * ClickHouse command also times the two queries there (bench/store/ingest.mjs).
 * Every command runs without warmup, in order: the queries read the store
 * the 1,000-dump ingest wrote. Ingesting 100 dumps and 1,000 dumps in two
 * processes shows the peak memory flat in the number of dumps.
 */
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { HOSTS, dumps, hostDumps, hostName } from '../generate/fleet-1000.mjs';
import { checkFleetGrowth } from '../store/fleet-check.mjs';

const DB = 'bench/out/fleet-1000.duckdb';
/** The store `heapscope ingest` writes. */
const CLI_DB = 'bench/out/fleet-1000-cli.duckdb';
const cliIngest = `rm -f ${CLI_DB} ${CLI_DB}.wal && ${Array.from({ length: HOSTS }, (_, h) => `node ${HEAPSCOPE_BIN} ingest --db ${CLI_DB} --label host=${hostName(h)} --format json ${hostDumps(h).join(' ')} > bench/out/fleet-cli-ingest-${hostName(h)}.json`).join(' && ')}`;
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const perHostGrowth = Array.from({ length: HOSTS }, (_, h) => `node ${HEAPSCOPE_BIN} growth --format json ${hostDumps(h).join(' ')} > bench/out/fleet-growth-${hostName(h)}.json`).join(' && ');

export default {
  name: 'store-fleet',
  title: 'the store: ingest 1,000 dumps into DuckDB and a two-shard ClickHouse; growth by host and fleet-wide top, against reparsing the files',
  inputs: ['fleet-1000'],
  tools: { 'clickhouse-server': ['dpkg-query', '-W', '-f', '${Package} ${Version}\n', 'clickhouse-server'] },
  baseline: 'store growth --by host (DuckDB)',
  commands: [
    { label: 'store ingest 100 dumps (DuckDB)', role: 'heapscope', warmup: 0, maxRuns: 1, argv: ['node', 'bench/store/ingest.mjs', '--engine', 'duckdb', '--db', 'bench/out/fleet-100.duckdb', '--hosts', '1'] },
    { label: 'store ingest 1,000 dumps (DuckDB)', role: 'heapscope', warmup: 0, maxRuns: 1, argv: ['node', 'bench/store/ingest.mjs', '--engine', 'duckdb', '--db', DB] },
    { label: 'store ingest 1,000 dumps + queries (ClickHouse, 2 shards)', role: 'heapscope', warmup: 0, maxRuns: 1, argv: ['node', 'bench/store/ingest.mjs', '--engine', 'clickhouse'] },
    { label: 'store growth --by host (DuckDB)', role: 'heapscope', warmup: 0, argv: ['node', 'bench/store/query.mjs', '--db', DB, 'growth-by-host'] },
    { label: 'store top (DuckDB)', role: 'heapscope', warmup: 0, argv: ['node', 'bench/store/query.mjs', '--db', DB, 'top'] },
    { label: 'heapscope ingest 1,000 dumps (DuckDB, ten runs of 100)', role: 'heapscope', warmup: 0, maxRuns: 1, argv: ['sh', '-c', cliIngest] },
    { label: 'heapscope growth --db --by-label host (DuckDB)', role: 'heapscope', warmup: 0, argv: ['node', HEAPSCOPE_BIN, 'growth', '--db', CLI_DB, '--by-label', 'host', '--format', 'json'] },
    { label: 'heapscope top --db (DuckDB)', role: 'heapscope', warmup: 0, argv: ['node', HEAPSCOPE_BIN, 'top', '--db', CLI_DB, '--format', 'json', '-n', '20'] },
    { label: 'heapscope growth over each host\'s 100 files', role: 'reference', warmup: 0, maxRuns: 1, argv: ['sh', '-c', perHostGrowth] },
    {
      label: 'heapscope merge + top over the 1,000 files',
      role: 'reference',
      warmup: 0,
      maxRuns: 1,
      argv: ['sh', '-c', `node ${HEAPSCOPE_BIN} merge -o bench/out/fleet-merged.pb.gz ${dumps.join(' ')} && node ${HEAPSCOPE_BIN} top --format json -n 20 bench/out/fleet-merged.pb.gz`],
    },
  ],

  async verify({ stdout, run }) {
    const notes = [];
    const duck100 = JSON.parse(stdout('store ingest 100 dumps (DuckDB)'));
    const duck = JSON.parse(stdout('store ingest 1,000 dumps (DuckDB)'));
    const ch = JSON.parse(stdout('store ingest 1,000 dumps + queries (ClickHouse, 2 shards)'));
    for (const r of [duck, ch]) {
      if (r.dumps !== dumps.length) throw new Error(`${r.engine}: ingested ${r.dumps} dumps, expected ${dumps.length}`);
      notes.push(
        `ingest into ${r.engine === 'duckdb' ? 'DuckDB' : 'ClickHouse (2 shards)'}: ${fmt(r.dumps)} dumps in ${fmt(r.seconds, 1)} s — ${fmt(r.dumpsPerSecond, 1)} dumps/s, ${fmt(r.mbPerSecond, 1)} MB/s of dump files, ` +
          `${fmt(r.rowsPerSecond)} sample rows/s (${fmt(r.sampleRows)} rows); peak RSS of the ingesting process ${fmt(r.peakRssMiB)} MiB; ` +
          `${fmt(r.bytesOnDisk)} bytes on disk, ${fmt(r.bytesPerDump)} bytes per dump (input: ${fmt(r.inputBytes / r.dumps)} bytes per dump).`,
      );
    }
    notes.push(`peak RSS of the DuckDB ingest: ${fmt(duck100.peakRssMiB)} MiB for 100 dumps, ${fmt(duck.peakRssMiB)} MiB for 1,000 dumps.`);
    notes.push(`ClickHouse (2 shards), median of 3 in-process: growth --by host ${fmt(ch.growthByHostSeconds, 3)} s, top ${fmt(ch.topSeconds, 3)} s; growth check: ${JSON.stringify(ch.growthCheck?.leaks)}.`);

    const growth = JSON.parse(stdout('store growth --by host (DuckDB)'));
    const check = checkFleetGrowth(growth);
    notes.push(`growth --by host on DuckDB: ${check.series} series of ${check.points} points; leak_a_site and leak_b_site grow on exactly ${check.leaks.leak_a_site.join(', ')} (checked: first two rows there, slope as the workload leaks, growing nowhere else).`);
    // The store's series for a leaking host equals heapscope growth over that host's files.
    const { readFileSync } = await import('node:fs');
    for (const h of [2, 0]) {
      const files = JSON.parse(readFileSync(`bench/out/fleet-growth-${hostName(h)}.json`, 'utf8'));
      const mine = growth.series.find((s) => s.value === hostName(h)).report;
      const a = Object.fromEntries(mine.rows.map((r) => [r.name, r.values]));
      for (const r of files.rows) {
        const v = a[r.name];
        if (!v || v.some((x, i) => Math.abs(x - r.values[i]) > 1e-6 * Math.max(1, Math.abs(x)))) throw new Error(`${hostName(h)}: ${r.name} differs between the store and heapscope growth over the files`);
      }
      if (mine.rows.length !== files.rows.length) throw new Error(`${hostName(h)}: ${mine.rows.length} rows on the store, ${files.rows.length} over the files`);
    }
    notes.push('the store\'s series for host2 and host0 equal `heapscope growth` over their files, row by row.');
    const top = JSON.parse(stdout('store top (DuckDB)'));
    const files = JSON.parse(stdout('heapscope merge + top over the 1,000 files'));
    if (Math.abs(top.total - files.total) > 1e-6 * files.total) throw new Error(`top: total ${top.total} on the store, ${files.total} over the merged files`);
    // The merged file is pprof, whose writer stores a return address minus 1:
    // an unsymbolized frame reads module+0x…b9 there for module+0x…ba in the dump.
    const sameName = (a, b) => {
      const [ma, mb] = [/^(.*)\+0x([0-9a-f]+)$/.exec(a), /^(.*)\+0x([0-9a-f]+)$/.exec(b)];
      return a === b || (ma && mb && ma[1] === mb[1] && Number.parseInt(ma[2], 16) - Number.parseInt(mb[2], 16) === 1);
    };
    top.rows.slice(0, 10).forEach((r, i) => {
      if (!sameName(r.name, files.rows[i].name) || Math.abs(r.flat - files.rows[i].flat) > 1e-6 * Math.abs(r.flat)) throw new Error(`top row ${i + 1}: ${r.name} ${r.flat} on the store, ${files.rows[i].name} ${files.rows[i].flat} over the files`);
    });
    notes.push(`fleet-wide top: the store's total (${fmt(top.total)} B) and first 10 rows equal heapscope merge + top over the files (unsymbolized frames one byte apart: the merged pprof stores return addresses minus 1).`);
    // The command line: its ingest rate from the ten reports, and the same answers as the library's.
    const reports = Array.from({ length: HOSTS }, (_, h) => JSON.parse(readFileSync(`bench/out/fleet-cli-ingest-${hostName(h)}.json`, 'utf8')));
    const cli = reports.reduce((a, r) => ({ dumps: a.dumps + r.ingested, rows: a.rows + r.sampleRows, bytes: a.bytes + r.bytesRead, seconds: a.seconds + r.seconds }), { dumps: 0, rows: 0, bytes: 0, seconds: 0 });
    if (cli.dumps !== dumps.length) throw new Error(`heapscope ingest: ingested ${cli.dumps} dumps, expected ${dumps.length}`);
    notes.push(
      `heapscope ingest into DuckDB (ten runs, one per host): ${fmt(cli.dumps)} dumps in ${fmt(cli.seconds, 1)} s inside the runs — ${fmt(cli.dumps / cli.seconds, 1)} dumps/s, ` +
        `${fmt(cli.bytes / 1e6 / cli.seconds, 1)} MB/s, ${fmt(cli.rows / cli.seconds)} sample rows/s.`,
    );
    const cliGrowth = JSON.parse(stdout('heapscope growth --db --by-label host (DuckDB)'));
    const cliCheck = checkFleetGrowth(cliGrowth);
    notes.push(`heapscope growth --db --by-label host: leak_a_site and leak_b_site grow on exactly ${cliCheck.leaks.leak_a_site.join(', ')}.`);
    for (const s of growth.series) {
      const mine = cliGrowth.series.find((c) => c.value === s.value);
      if (!mine || mine.report.rows.length !== s.report.rows.length) throw new Error(`${s.value}: heapscope growth --db differs from the library's growthBy`);
    }
    const cliTop = JSON.parse(stdout('heapscope top --db (DuckDB)'));
    if (Math.abs(cliTop.total - top.total) > 1e-6 * top.total) throw new Error(`heapscope top --db: total ${cliTop.total}, the library's ${top.total}`);
    notes.push("heapscope growth --db and top --db give the library's answers (series, rows, total).");
    void run;
    return notes;
  },
};
