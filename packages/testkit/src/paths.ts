/**
 * Where test inputs live: the project's fixtures, and the shared corpus of
 * real files beside the project (`../shared/corpus`), which may be absent.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/** The project's fixtures (real files written by real tools, fixtures/README.md). */
export const FIXTURES = join(REPO, 'fixtures');
/** The shared corpus of real files: `$HEAPSCOPE_CORPUS`, else `../shared/corpus` beside the repository. */
export const CORPUS = process.env.HEAPSCOPE_CORPUS ?? resolve(REPO, '..', 'shared', 'corpus');
/** Whether the shared corpus is there (corpus tests skip, and say so, when it is not). */
export const HAVE_CORPUS = existsSync(CORPUS);

/** Says once, visibly, that corpus tests are skipped. */
export function corpusSkipNote(): void {
  if (!HAVE_CORPUS) console.warn(`[heapscope tests] shared corpus not found at ${CORPUS}: corpus tests are skipped`);
}

/** Files under `dir` (recursively) whose names match `pattern`, sorted. */
export function findFiles(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'golden') walk(p);
      } else if (pattern.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** A stable display name for a test input: relative to the repo or the corpus. */
export function displayName(path: string): string {
  return path.startsWith(CORPUS) ? `corpus/${relative(CORPUS, path)}` : relative(REPO, path);
}
