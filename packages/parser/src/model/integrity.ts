/**
 * The model's integrity check: every index in range, parents before
 * children, columns of equal length. Run on every imported fixture in the
 * tests, and cheap enough to run on real inputs.
 */
import { EMPTY_STACK, type HeapProfile } from './profile.js';

/** Returns the list of violations (empty when the profile is sound). */
export function checkIntegrity(p: HeapProfile): string[] {
  const problems: string[] = [];
  const fail = (message: string) => {
    if (problems.length < 20) problems.push(message);
  };
  const nStrings = p.strings.length;
  if (p.strings[0] !== '') fail('strings[0] is not the empty string');

  const f = p.functions;
  for (const [name, col] of [
    ['name', f.name],
    ['systemName', f.systemName],
    ['fileName', f.fileName],
    ['startLine', f.startLine],
  ] as const) {
    if (col.length !== f.length) fail(`functions.${name} has ${col.length} rows, expected ${f.length}`);
  }
  for (let i = 0; i < f.length; i++) {
    for (const col of [f.name, f.systemName, f.fileName]) {
      if (col[i] < 0 || col[i] >= nStrings) fail(`function ${i}: string id ${col[i]} out of range`);
    }
  }

  const l = p.locations;
  if (l.addressHi.length !== l.length || l.addressLo.length !== l.length || l.mapping.length !== l.length) {
    fail('location columns differ in length');
  }
  if (l.lineStart.length !== l.length + 1) fail('locations.lineStart must have length + 1 entries');
  if (l.lineStart[0] !== 0 || l.lineStart[l.length] !== l.lineFunction.length) fail('locations.lineStart does not span the lines');
  if (l.lineFunction.length !== l.lineNumber.length) fail('line columns differ in length');
  for (let i = 0; i < l.length; i++) {
    if (l.lineStart[i + 1] < l.lineStart[i]) fail(`location ${i}: lines go backwards`);
    if (l.mapping[i] < -1 || l.mapping[i] >= p.mappings.length) fail(`location ${i}: mapping ${l.mapping[i]} out of range`);
  }
  for (let i = 0; i < l.lineFunction.length; i++) {
    if (l.lineFunction[i] < 0 || l.lineFunction[i] >= f.length) fail(`line ${i}: function ${l.lineFunction[i]} out of range`);
  }

  const s = p.stacks;
  if (s.parent.length !== s.length || s.location.length !== s.length) fail('stack columns differ in length');
  if (s.length < 1 || s.parent[EMPTY_STACK] !== -1 || s.location[EMPTY_STACK] !== -1) fail('stack 0 is not the empty stack');
  for (let i = 1; i < s.length; i++) {
    if (!(s.parent[i] >= 0 && s.parent[i] < i)) fail(`stack ${i}: parent ${s.parent[i]} is not before it`);
    if (s.location[i] < 0 || s.location[i] >= l.length) fail(`stack ${i}: location ${s.location[i]} out of range`);
  }

  const m = p.samples;
  if (m.stack.length !== m.length || m.thread.length !== m.length) fail('sample columns differ in length');
  if (m.values.length !== p.sampleTypes.length) fail(`${m.values.length} value columns for ${p.sampleTypes.length} sample types`);
  for (const col of m.values) if (col.length !== m.length) fail('a value column differs in length');
  for (const col of m.labels) if (col.values.length !== m.length) fail(`label ${col.key} differs in length`);
  for (let i = 0; i < m.length; i++) {
    if (m.stack[i] < 0 || m.stack[i] >= s.length) fail(`sample ${i}: stack ${m.stack[i]} out of range`);
    if (m.thread[i] < -1 || m.thread[i] >= p.threads.length) fail(`sample ${i}: thread ${m.thread[i]} out of range`);
    for (const col of m.values) if (!Number.isFinite(col[i])) fail(`sample ${i}: value ${col[i]} is not finite`);
  }
  if (p.defaultSampleType !== '' && p.sampleTypeIndex(p.defaultSampleType) < 0) {
    fail(`default sample type ${p.defaultSampleType} is not a sample type`);
  }
  return problems;
}
