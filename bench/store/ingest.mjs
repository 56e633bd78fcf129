#!/usr/bin/env node
/**
 * Ingests the fleet-1000 dumps (bench/generate/fleet-1000.mjs) into a fresh
 * store, host by host (labels host=hostN), and prints one JSON document:
 * the ingest's rates (dumps/s, MB/s of dump files, sample rows/s), its peak
 * memory, and the store's bytes on disk per dump. Used by
 * bench/cases/store-fleet.mjs; runs from the repository root.
 *
 *   node bench/store/ingest.mjs --engine duckdb --db bench/out/fleet.duckdb [--hosts N]
 *   node bench/store/ingest.mjs --engine clickhouse [--hosts N]
 *
 * For ClickHouse it starts a local two-shard cluster (scripts/clickhouse.sh)
 * in bench/out/clickhouse-fleet, ingests, merges the parts (OPTIMIZE FINAL,
 * so deduplicated rows count once on disk), times `growth --by host` and
 * fleet-wide `top` there (median of 3), checks the growth answer, and
 * stops the cluster.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openStore } from '../../packages/store/dist/index.js';
import { HOSTS, hostDumps, hostName } from '../generate/fleet-1000.mjs';
import { checkFleetGrowth } from './fleet-check.mjs';

const { values } = parseArgs({ options: { engine: { type: 'string' }, db: { type: 'string' }, hosts: { type: 'string', default: String(HOSTS) } } });
const hosts = Number(values.hosts);
const cluster = 'bench/out/clickhouse-fleet';

let db = values.db;
if (values.engine === 'clickhouse') {
  rmSync(cluster, { recursive: true, force: true });
  const out = execFileSync('bash', ['scripts/clickhouse.sh', 'up', cluster], { encoding: 'utf8' });
  db = out.trim().split('\n').pop();
} else {
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
}

const result = { engine: values.engine, hosts, dumps: 0 };
try {
  const store = await openStore(db);
  const t0 = performance.now();
  let bytes = 0;
  let rows = 0;
  for (let h = 0; h < hosts; h++) {
    const report = await store.ingestFiles(hostDumps(h), { labels: { host: hostName(h) } });
    bytes += report.bytesRead;
    rows += report.sampleRows;
    result.dumps += report.ingested;
  }
  const seconds = (performance.now() - t0) / 1000;
  Object.assign(result, {
    seconds,
    dumpsPerSecond: result.dumps / seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    sampleRows: rows,
    rowsPerSecond: rows / seconds,
    inputBytes: bytes,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  });
  if (values.engine === 'clickhouse') await store.backend.optimize();
  result.bytesOnDisk = await store.sizeBytes();
  result.bytesPerDump = result.bytesOnDisk / result.dumps;
  if (values.engine === 'clickhouse') {
    const median = async (f) => {
      const times = [];
      let answer;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        answer = await f();
        times.push((performance.now() - t) / 1000);
      }
      return { seconds: times.sort((a, b) => a - b)[1], answer };
    };
    const all = await store.select();
    const growth = await median(async () => store.growthBy(await store.select(), 'host'));
    const top = await median(() => store.top(all, { limit: 10 }));
    result.growthByHostSeconds = growth.seconds;
    result.topSeconds = top.seconds;
    result.growthCheck = hosts === HOSTS ? checkFleetGrowth(growth.answer) : null;
    result.topRows = top.answer.rows.slice(0, 3);
  }
  await store.close();
} finally {
  if (values.engine === 'clickhouse') execFileSync('bash', ['scripts/clickhouse.sh', 'down', cluster]);
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
