/**
 * The schema users query (`heapscope sql`) is documented: docs/store.md has
 * a section per table listing every column with its type.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, TABLES } from '../src/index.js';
import { parseDbLocation } from '../src/db-location.js';
import { REPO } from '@heapscope/testkit/paths';

const docs = readFileSync(join(REPO, 'docs', 'store.md'), 'utf8');

describe('docs/store.md documents the schema', () => {
  it.each(TABLES.map((t) => t.name))('table %s: a section with every column and its type', (name) => {
    const start = docs.indexOf(`### \`${name}\`\n`);
    expect(start, `no section for ${name}`).toBeGreaterThanOrEqual(0);
    const end = docs.indexOf('\n### ', start + 1);
    const section = docs.slice(start, end < 0 ? undefined : end);
    for (const c of TABLES.find((t) => t.name === name)!.columns) expect(section).toContain(`| \`${c.name}\` | ${c.type} |`);
  });

  it('names the schema version the code writes', () => {
    expect(docs).toContain(`This is schema version ${SCHEMA_VERSION}.`);
  });
});

describe('store names', () => {
  it('a path is DuckDB; clickhouse:// URLs list servers, a database and a cluster', () => {
    expect(parseDbLocation('heap.duckdb')).toEqual({ kind: 'duckdb', path: 'heap.duckdb', display: 'heap.duckdb' });
    expect(parseDbLocation(undefined, { HEAPSCOPE_DB: 'x.duckdb' })).toMatchObject({ kind: 'duckdb', path: 'x.duckdb' });
    expect(parseDbLocation('clickhouse://u:secret@h1:9123,h2/db?cluster=c')).toEqual({
      kind: 'clickhouse',
      endpoints: ['http://h1:9123', 'http://h2:8123'],
      database: 'db',
      cluster: 'c',
      username: 'u',
      password: 'secret',
      display: 'clickhouse://u:***@h1:9123,h2/db?cluster=c',
    });
    expect(() => parseDbLocation('clickhouse://h1/db?shards=2')).toThrow('unknown parameter "shards" (only cluster=NAME)');
    expect(() => parseDbLocation('clickhouse://h1:x/db')).toThrow('"h1:x" is not HOST or HOST:PORT');
  });
});
