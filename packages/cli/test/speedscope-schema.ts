/**
 * Validates JSON against the schema the `speedscope` package ships
 * (dist/release/file-format-schema.json, JSON Schema draft-07).
 *
 * A small validator for the keywords that schema uses ($ref to
 * #/definitions, type, properties, required, items, anyOf, const, enum,
 * title); any other keyword fails loudly, so a newer schema cannot pass by
 * being half understood.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type Schema = Record<string, unknown>;

const KNOWN = new Set(['$schema', '$ref', 'definitions', 'type', 'properties', 'required', 'items', 'anyOf', 'const', 'enum', 'title']);

/** The schema file inside the installed speedscope package. */
export function speedscopeSchemaPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('speedscope/package.json')), 'dist', 'release', 'file-format-schema.json');
}

function typeOk(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      throw new Error(`unsupported schema type ${type}`);
  }
}

/** Errors of `value` against speedscope's schema (empty when valid). At most `limit` are collected. */
export function validateSpeedscope(value: unknown, limit = 10): string[] {
  const root = JSON.parse(readFileSync(speedscopeSchemaPath(), 'utf8')) as Schema;
  const errors: string[] = [];
  const check = (schema: Schema, v: unknown, path: string): boolean => {
    if (errors.length >= limit) return false;
    for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`schema keyword ${key} is not supported by this validator`);
    if (typeof schema.$ref === 'string') {
      const m = /^#\/definitions\/(.+)$/.exec(schema.$ref);
      if (!m) throw new Error(`unsupported $ref ${schema.$ref}`);
      const target = (root.definitions as Record<string, Schema>)[m[1]];
      if (!target) throw new Error(`unknown definition ${m[1]}`);
      if (!check(target, v, path)) return false;
    }
    let ok = true;
    const fail = (message: string) => {
      errors.push(`${path || '(root)'}: ${message}`);
      ok = false;
    };
    if (typeof schema.type === 'string' && !typeOk(schema.type, v)) {
      fail(`expected ${schema.type}, got ${Array.isArray(v) ? 'array' : typeof v}`);
      return false;
    }
    if ('const' in schema && v !== schema.const) fail(`expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(v)}`);
    if (Array.isArray(schema.enum) && !schema.enum.includes(v)) fail(`${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    if (Array.isArray(schema.required) && typeof v === 'object' && v !== null) {
      for (const key of schema.required as string[]) if (!(key in (v as object))) fail(`missing property ${key}`);
    }
    if (schema.properties && typeof v === 'object' && v !== null) {
      for (const [key, sub] of Object.entries(schema.properties as Record<string, Schema>)) {
        if (key in (v as object)) ok = check(sub, (v as Record<string, unknown>)[key], `${path}.${key}`) && ok;
      }
    }
    if (schema.items && Array.isArray(v)) {
      for (let i = 0; i < v.length && errors.length < limit; i++) ok = check(schema.items as Schema, v[i], `${path}[${i}]`) && ok;
    }
    if (Array.isArray(schema.anyOf)) {
      const before = errors.length;
      const branches = schema.anyOf as Schema[];
      let matched = false;
      for (const branch of branches) {
        const saved = errors.length;
        if (check(branch, v, path) && errors.length === saved) {
          matched = true;
          break;
        }
        errors.length = saved;
      }
      errors.length = before;
      if (!matched) fail('matches none of the anyOf branches');
    }
    return ok;
  };
  check(root, value, '');
  return errors;
}
