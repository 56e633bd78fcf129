#!/usr/bin/env node
/**
 * One analysis on a store (read-only) as the CLI will run it, printing its
 * JSON: `growth-by-host` (growth split by the host label) or `top` (the
 * whole fleet). Used by bench/cases/store-fleet.mjs.
 *
 *   node bench/store/query.mjs --db bench/out/fleet.duckdb growth-by-host
 */
import { parseArgs } from 'node:util';
import { openStore } from '../../packages/store/dist/index.js';

const { values, positionals } = parseArgs({ options: { db: { type: 'string' } }, allowPositionals: true });
const store = await openStore(values.db, { readOnly: true });
const selection = await store.select();
const report = positionals[0] === 'growth-by-host' ? await store.growthBy(selection, 'host') : await store.top(selection, { limit: 20 });
await store.close();
process.stdout.write(`${JSON.stringify(report)}\n`);
