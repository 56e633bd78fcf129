import { DuckDBInstance, DuckDBDataChunk, BIGINT, DOUBLE } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
await c.run('CREATE TABLE s (p BIGINT, i BIGINT, st BIGINT, th BIGINT, a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE)');
const N = 1_000_000;
const big = new BigInt64Array(N).fill(7n);
const st = BigInt64Array.from({length: N}, (_, k) => BigInt(k) * 1234567891234n);
const dv = Float64Array.from({length: N}, (_, k) => k + 0.5);
let t = performance.now();
const ap2 = await c.createAppender('s');
const types = [BIGINT, BIGINT, BIGINT, BIGINT, DOUBLE, DOUBLE, DOUBLE, DOUBLE];
const cols = [big, big, st, big, dv, dv, dv, dv];
for (let off = 0; off < N; off += 2048) {
  const n = Math.min(2048, N - off);
  const chunk = DuckDBDataChunk.create(types, n);
  cols.forEach((col, i) => { const v = chunk.getColumnVector(i); v.items.set(col.subarray(off, off + n)); v.flush(); });
  ap2.appendDataChunk(chunk);
}
ap2.flushSync(); ap2.closeSync();
console.log('typed chunks', performance.now() - t);
console.log((await c.runAndReadAll('select count(*), sum(a), max(st), min(p), count(d) from s')).getRows(), dv.reduce((a,b)=>a+b), st[N-1]);
