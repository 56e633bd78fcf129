import { DuckDBInstance, DuckDBDataChunk, BIGINT, DOUBLE, INTEGER } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
await c.run('CREATE TABLE s (p BIGINT, i BIGINT, st BIGINT, th BIGINT, a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE)');
const N = 1_000_000;
let t = performance.now();
const ap = await c.createAppender('s');
for (let r = 0; r < N; r++) { ap.appendBigInt(1n); ap.appendBigInt(2n); ap.appendBigInt(BigInt(r)); ap.appendBigInt(0n); ap.appendDouble(r); ap.appendDouble(r); ap.appendDouble(r); ap.appendDouble(r); ap.endRow(); }
ap.flushSync(); ap.closeSync();
console.log('appender', performance.now() - t);
t = performance.now();
const ap2 = await c.createAppender('s');
const types = [BIGINT, BIGINT, BIGINT, BIGINT, DOUBLE, DOUBLE, DOUBLE, DOUBLE];
for (let off = 0; off < N; off += 2048) {
  const n = Math.min(2048, N - off);
  const chunk = DuckDBDataChunk.create(types, n);
  const big = new Array(n).fill(1n);
  const st = Array.from({length: n}, (_, k) => BigInt(off + k));
  const dv = Array.from({length: n}, (_, k) => off + k);
  chunk.setColumnValues(0, big); chunk.setColumnValues(1, big); chunk.setColumnValues(2, st); chunk.setColumnValues(3, big);
  for (let c2 = 4; c2 < 8; c2++) chunk.setColumnValues(c2, dv);
  ap2.appendDataChunk(chunk);
}
ap2.flushSync(); ap2.closeSync();
console.log('chunks', performance.now() - t);
console.log((await c.runAndReadAll('select count(*) from s')).getRows());
