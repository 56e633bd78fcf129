/**
 * A library user's one-liner gives what the CLI prints: the loading pipeline
 * (`loadProfile(path, { symbolize: true, … })`) and the analysis (`top`)
 * equal `heapscope top --format json` on the fixtures.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile, top } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { runCli } from './run-cli.js';

const WORKLOAD = join(FIXTURES, 'bin', 'workload');

describe('the library pipeline and the CLI agree', () => {
  for (const input of [fixtureFile('jemalloc/sampled', /\.f\.heap$/), fixtureFile('gperftools', /0005\.heap$/), join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz')]) {
    it(`top of ${input.replace(/.*fixtures\//, '')}`, async () => {
      const loaded = await loadProfile(input, { symbolize: true, symbols: [WORKLOAD], symbolCache: false });
      const cli = JSON.parse((await runCli(['top', '--format', 'json', '--no-symbol-cache', '--symbols', WORKLOAD, input])).stdout);
      const { warnings, ...report } = cli;
      expect(top([loaded.profile])).toEqual(report);
      expect(warnings).toEqual(loaded.profile.meta.warnings.map((w) => expect.stringContaining(w.message)));
    });
  }
});
