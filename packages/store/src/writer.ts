/**
 * Writes profiles' rows in batches: skips profiles the store already has
 * (ingest is idempotent), writes only the dictionary rows it lacks, gives
 * each profile a fresh ingest id, and hands the batch to the engine, which
 * makes each profile visible whole or not at all.
 *
 * The ids of dictionary rows written (or found) are remembered for the
 * writer's life, so a series of dumps of one binary writes its stacks once
 * and then only asks about new ones: memory grows with the distinct rows,
 * not with the number of dumps.
 */
import { randomBytes } from 'node:crypto';
import type { Backend } from './backend.js';
import type { ProfileRows } from './profile-rows.js';
import { concatRows, filterRows, type RowBatch } from './row-batch.js';
import { DICTIONARY_TABLES, table, type DictionaryTable } from './schema.js';

/** What happened to one profile. */
export type WriteStatus = 'ingested' | 'present';

/** Writes batches of profiles to one store. */
export class StoreWriter {
  private readonly known = Object.fromEntries(DICTIONARY_TABLES.map((t) => [t, new Set<bigint>()])) as Record<DictionaryTable, Set<bigint>>;

  constructor(private readonly backend: Backend) {}

  /** Writes `profiles`; returns each one's status (in order). */
  async write(profiles: readonly ProfileRows[]): Promise<WriteStatus[]> {
    if (profiles.length === 0) return [];
    const ids = profiles.map((p) => p.id);
    const present = await this.backend.existing('profiles', 'profile', ids);
    const status: WriteStatus[] = [];
    const fresh: ProfileRows[] = [];
    const inBatch = new Set<bigint>();
    for (const p of profiles) {
      // The same dump twice in one batch: the second is present too.
      if (present.has(p.id.toString()) || inBatch.has(p.id)) status.push('present');
      else {
        status.push('ingested');
        fresh.push(p);
        inBatch.add(p.id);
      }
    }
    // Dictionary rows of every profile (a present one's may be new to this writer).
    const dictionary: RowBatch[] = [];
    const learned: [DictionaryTable, bigint[]][] = [];
    for (const t of DICTIONARY_TABLES) {
      const key = table(t).key;
      const all = concatRows(
        t,
        profiles.map((p) => p.dictionary[t]),
      );
      const ids = all.columns[key] as BigInt64Array;
      const seen = new Set<bigint>();
      const candidates = filterRows(all, (i) => {
        const id = ids[i];
        if (this.known[t].has(id) || seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      if (candidates.length === 0) continue;
      const candidateIds = candidates.columns[key] as BigInt64Array;
      const stored = await this.backend.existing(t, key, Array.from(candidateIds));
      const missing = filterRows(candidates, (i) => !stored.has(candidateIds[i].toString()));
      if (missing.length > 0) dictionary.push(missing);
      learned.push([t, Array.from(candidateIds)]);
    }
    const ingestOf = new Map(fresh.map((p) => [p.id, randomBytes(8).readBigInt64BE() & 0x7fffffffffffffffn]));
    const stamped = (name: 'samples' | 'labels' | 'profile') =>
      concatRows(
        name === 'profile' ? 'profiles' : name === 'labels' ? 'profile_labels' : 'samples',
        fresh.map((p) => {
          const rows = p[name];
          (rows.columns.ingest as BigInt64Array).fill(ingestOf.get(p.id) as bigint);
          return rows;
        }),
      );
    await this.backend.write({ dictionary, samples: stamped('samples'), labels: stamped('labels'), profiles: stamped('profile') });
    for (const [t, learnedIds] of learned) for (const id of learnedIds) this.known[t].add(id);
    return status;
  }
}
