import { createClient, ClickHouseLogLevel } from '@clickhouse/client';
import { Readable } from 'node:stream';
const c = createClient({ url: 'http://127.0.0.1:' + process.argv[2], database: 'default', log: { level: ClickHouseLogLevel.OFF } });
console.log(await (await c.query({ query: 'SELECT version() AS v, toInt64(-5) AS n, [1,2] AS a', format: 'JSONEachRow' })).json());
await c.command({ query: 'CREATE TABLE IF NOT EXISTS t.x (k Int64, a Array(Int64), v Float64, s String) ENGINE = MergeTree ORDER BY k' });
await c.insert({ table: 't.x', values: Readable.from([Buffer.from('-9223372036854775807\t[1,-2]\t0.1\thello\\tworld\n' + '5\t[]\t1e300\tx\n')], {objectMode:false}), format: 'TabSeparated' });
console.log(await (await c.query({ query: 'SELECT * FROM t.x', format: 'JSONEachRow' })).json());
try { await c.query({ query: 'SELECT nosuch FROM t.x' }); } catch (e) { console.log('ERR', e.message, e.code, e.type); }
const bad = createClient({ url: 'http://127.0.0.1:1', request_timeout: 2000, log: { level: ClickHouseLogLevel.OFF } });
try { await bad.query({ query: 'SELECT 1' }); } catch (e) { console.log('ERR2', e.message, e.code); }
await c.close(); await bad.close();
