/**
 * Benchmark inputs: one generator module per input under bench/generate/,
 * named `<id>.mjs`.  A generator exports
 *
 *   id           the input's id (= file name), what cases list in `inputs`
 *   description  one line for the report
 *   outputs      { name: repo-relative path } of the files it makes, all
 *                under bench/inputs/ (gitignored)
 *   sources      repo-relative files it builds from (C sources, scripts)
 *   tools        optional { name: argv printing its version } for the record
 *   generate(ctx) async; makes every output and resolves to a JSON-able
 *                object describing the result (sizes, counts, how it was
 *                made).  ctx = { root, inputsDir, log(msg) }.
 *
 * An input is regenerated when one of its outputs is missing or when the
 * hash of its generator and sources differs from the one stored in
 * bench/inputs/<id>.stamp.json (so editing the C source regenerates it).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './exec.mjs';

export const INPUTS_DIR = path.join(ROOT, 'bench', 'inputs');
const GENERATE_DIR = path.join(ROOT, 'bench', 'generate');

/** Loads and checks the generator of input `id`. */
export async function loadGenerator(id) {
  const file = path.join(GENERATE_DIR, `${id}.mjs`);
  if (!/^[\w.-]+$/.test(id) || !existsSync(file)) throw new Error(`unknown input "${id}": no bench/generate/${id}.mjs`);
  const gen = await import(pathToFileURL(file).href);
  const where = `bench/generate/${id}.mjs`;
  if (gen.id !== id) throw new Error(`${where}: exports id "${gen.id}", expected "${id}"`);
  if (typeof gen.generate !== 'function') throw new Error(`${where}: no generate() export`);
  if (!gen.outputs || Object.keys(gen.outputs).length === 0) throw new Error(`${where}: no outputs`);
  for (const [name, rel] of Object.entries(gen.outputs)) {
    if (!rel.startsWith('bench/inputs/')) throw new Error(`${where}: output ${name} (${rel}) is not under bench/inputs/`);
  }
  return { ...gen, file, sources: gen.sources ?? [], tools: gen.tools ?? {} };
}

function sourceHash(gen) {
  const h = createHash('sha256');
  for (const f of [gen.file, ...gen.sources.map((s) => path.join(ROOT, s))]) {
    h.update(path.relative(ROOT, f));
    h.update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Makes sure input `gen` exists and is up to date; resolves to its stamp
 * { id, hash, generatedAt, description, outputs, meta }.
 */
export async function ensureInput(gen, { force = false, log }) {
  mkdirSync(INPUTS_DIR, { recursive: true });
  const stampPath = path.join(INPUTS_DIR, `${gen.id}.stamp.json`);
  const hash = sourceHash(gen);
  const missing = Object.values(gen.outputs).filter((rel) => !existsSync(path.join(ROOT, rel)));
  let stamp = null;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    // no stamp yet
  }
  let why = null;
  if (force) why = '--regenerate';
  else if (missing.length > 0) why = `missing ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`;
  else if (!stamp || stamp.hash !== hash) why = 'generator or sources changed';
  if (!why) {
    log(`input ${gen.id}: up to date`);
    return stamp;
  }
  log(`input ${gen.id}: generating (${why})`);
  const t0 = Date.now();
  const meta = await gen.generate({ root: ROOT, inputsDir: INPUTS_DIR, log: (m) => log(`  ${gen.id}: ${m}`) });
  const stillMissing = Object.values(gen.outputs).filter((rel) => !existsSync(path.join(ROOT, rel)));
  if (stillMissing.length > 0) throw new Error(`input ${gen.id}: generate() did not make ${stillMissing.join(', ')}`);
  stamp = {
    id: gen.id,
    hash,
    generatedAt: new Date().toISOString(),
    generateSeconds: Math.round((Date.now() - t0) / 100) / 10,
    description: gen.description ?? '',
    outputs: gen.outputs,
    meta,
  };
  writeFileSync(stampPath, `${JSON.stringify(stamp, null, 2)}\n`);
  log(`input ${gen.id}: done in ${stamp.generateSeconds} s`);
  return stamp;
}
