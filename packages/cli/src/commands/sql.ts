/**
 * `heapscope sql --db DB QUERY`: any query on the store's documented schema
 * (docs/store.md#schema), printed as a table or as JSON.
 */
import type { SqlResult } from '@heapscope/store';
import { command } from '../command.js';
import { commonOptions, dbOption, lockTimeoutOption, type CommonOptions, type StoreOptions } from '../options.js';
import { renderSql } from '../render/sql.js';
import { withStore } from '../store-access.js';

export const sqlCommand = command<CommonOptions & StoreOptions, SqlResult>({
  name: 'sql',
  summary: "a query on the store's schema: what the commands don't ask",
  args: [['<query>', 'one SQL query (DuckDB, or ClickHouse, as the store is)']],
  options: [dbOption('the store: a DuckDB file or clickhouse://HOST:PORT/DATABASE (default $HEAPSCOPE_DB)'), lockTimeoutOption(), ...commonOptions()],
  help: `
The tables (profiles, profile_labels, samples, strings, functions,
locations, stacks, stack_sites, threads) and example queries are in
docs/store.md. Select profiles from "profiles" and reach their samples
through (profile, ingest): that is what makes a profile visible. The store
is opened read-only. JSON gives {"columns":[…],"rows":[[…],…]}, 64-bit
integers beyond 2^53 as strings.

Examples:
  $ heapscope sql --db fleet.duckdb "SELECT value AS host, count(*) AS dumps FROM profile_labels WHERE key = 'host' GROUP BY value ORDER BY host"
  $ heapscope sql --db fleet.duckdb --format json "SELECT build_id, min(time_ms) AS since_ms FROM profiles GROUP BY build_id"`,
  analyze: (run) => withStore(run, { readOnly: true }, (store) => store.sql(run.args[0])),
  output: {
    kind: 'report',
    json: (result, run) => ({ ...result, warnings: run.warnings }),
    text: (result) => renderSql(result),
  },
});
