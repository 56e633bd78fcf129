/**
 * Builds small symbolized profiles for analyzer tests: stacks are given as
 * function names, leaf first; each distinct name gets one address.
 */
import { INUSE_OBJECTS, INUSE_SPACE, ProfileBuilder, withLocationLines, type HeapProfile } from '@heapscope/parser';

export interface TestSample {
  stack: string[];
  bytes: number;
  objects?: number;
  thread?: string;
}

/** Names may be `fn`, `fn@module` (module = mapping path) or `inner|outer` (inlined chain at one address). */
export function buildProfile(samples: TestSample[], options: { modules?: string[] } = {}): HeapProfile {
  const b = new ProfileBuilder({
    sampleTypes: [INUSE_OBJECTS, INUSE_SPACE],
    meta: { format: 'test', variant: '', file: 'test', sampling: { model: 'none', periodBytes: 0 }, sizeKind: 'exact', returnAddresses: false, warnings: [] },
  });
  const modules = options.modules ?? [];
  modules.forEach((path, i) => b.addMapping({ start: BigInt((i + 1) * 0x100000), limit: BigInt((i + 2) * 0x100000), fileOffset: 0n, path, buildId: '', perms: 'r-xp' }));
  const frameOf = new Map<string, number>();
  const names: string[][] = [];
  const loc = (name: string) => {
    let l = frameOf.get(name);
    if (l === undefined) {
      const [fns, module] = name.split('@');
      const m = module ? modules.findIndex((path) => path.endsWith(`/${module}`)) : -1;
      const base = m >= 0 ? (m + 1) * 0x100000 : 0x10000000;
      l = b.addLocation(0, base + 0x10 * (frameOf.size + 1), m);
      frameOf.set(name, l);
      names[l] = fns === '' ? [] : fns.split('|');
    }
    return l;
  };
  for (const s of samples) {
    const stack = b.internStack(s.stack.map(loc));
    b.addSample(stack, s.thread === undefined ? -1 : b.thread(s.thread, `${s.thread}-name`), [s.objects ?? 1, s.bytes]);
  }
  return withLocationLines(b.finish(), (l) => names[l]?.map((name) => ({ name })));
}
