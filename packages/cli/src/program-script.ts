/**
 * The bundled program (dist/heapscope.cjs) compiled as a script, with the
 * V8 code cache the build wrote beside it (see launch.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

export interface ProgramScript {
  script: vm.Script;
  /** Whether a code cache was found (V8 may still have rejected it: `script.cachedDataRejected`). */
  hadCache: boolean;
  /** Runs the program, as Node runs a CommonJS module. */
  run(): void;
  /** Writes the code cache of everything compiled so far. */
  writeCache(): void;
}

/** Compiles the program at `path`, from `path.cache` when V8 accepts it. */
export function programScript(path: string): ProgramScript {
  const cacheFile = `${path}.cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The CommonJS wrapper on the program's first line keeps its line numbers.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(path, 'utf8')}\n})`;
  // The program has no dynamic import() (the build checks): a vm.Script has no module loader.
  const script = new vm.Script(source, { filename: path, cachedData });
  return {
    script,
    hadCache: cachedData !== undefined,
    run() {
      const start = script.runInThisContext() as (...args: unknown[]) => void;
      const module = { exports: {} };
      start(module.exports, createRequire(path), module, path, dirname(path));
    },
    writeCache() {
      writeFileSync(cacheFile, script.createCachedData());
    },
  };
}
