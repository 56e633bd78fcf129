import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';
import { spawnSync, spawn } from 'node:child_process';
writeFileSync('/tmp/notdb.duckdb', 'hello world this is text\n'.repeat(200));
try { await DuckDBInstance.create('/tmp/notdb.duckdb'); } catch (e) { console.log('NOTDB:', e.message); }
try { await DuckDBInstance.create('/tmp/nodir/x.duckdb'); } catch (e) { console.log('NODIR:', e.message); }
try { await DuckDBInstance.create('/tmp/missing.duckdb', { access_mode: 'READ_ONLY' }); } catch (e) { console.log('RO missing:', e.message); }
const a = await DuckDBInstance.create('/tmp/locked.duckdb');
const out = spawnSync(process.execPath, ['-e', `import('@duckdb/node-api').then(async ({DuckDBInstance}) => { try { await DuckDBInstance.create('/tmp/locked.duckdb'); console.log('opened'); } catch (e) { console.log('LOCK:', e.message); } try { await DuckDBInstance.create('/tmp/locked.duckdb', {access_mode:'READ_ONLY'}); console.log('opened ro'); } catch (e) { console.log('LOCK RO:', e.message); } })`], { encoding: 'utf8', cwd: process.cwd() });
console.log(out.stdout, out.stderr);
