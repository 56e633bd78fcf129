/**
 * What the `perf script` options a user printed with left out, said as the
 * option to change (docs/formats.md#perf-script, "perf script options"):
 * refusals where the text lacks what the import needs, and warnings where
 * it lacks the callchain perf recorded. One place for these messages, so
 * each names the same fields.
 */
import type { ParseContext } from './importer.js';

/** The `perf script -F` fields the importer reads all of, for the messages that name a missing one. */
const FIELDS = 'comm,tid,time,event,trace,ip,sym,symoff,dso';

/** What a printing left out that the import cannot do without. */
export type MissingField = 'dso' | 'sym' | 'trace' | 'thread' | 'deltatime';

const REFUSALS: Record<MissingField, (event: string) => string> = {
  dso: () => `a callchain frame without its dso (perf script -F without dso): add dso to the fields, e.g. perf script -F ${FIELDS}`,
  sym: () => `an inlined frame without its symbol (perf script -F without sym): add sym and symoff to the fields, e.g. perf script -F ${FIELDS}`,
  trace: (event) =>
    `no probe arguments after "${event}:" (perf script -F without trace): sizes and pointers are in them; add trace to the fields, e.g. perf script -F ${FIELDS}`,
  thread: () => `a sample line that starts with its event (perf script -F without comm, tid and time): add them to the fields, e.g. perf script -F ${FIELDS}`,
  deltatime: () => 'the times are differences between records (perf script --deltatime): print absolute times (without --deltatime; --reltime is fine)',
};

/** Refuses the input at `line` (even under `lenient`: every record is so): `missing` says what to add. */
export function refusePrinting(ctx: ParseContext, line: number, missing: MissingField, text: string, event = ''): never {
  return ctx.refuse(line, REFUSALS[missing](event), text);
}

/** Warning: records whose stack is their own address (no callchain printed). */
export const OWN_ADDRESS_STACKS =
  "records without a callchain (recorded without -g, or printed with perf script -G, or -F without ip: add ip,sym,symoff,dso to the fields to print the callchain perf recorded): each stack is the record's own address, as perf report attributes it (an entry probe's function, or a return probe's return address in the caller)";

/** Warning: records whose stack is the one frame on their sample line. */
export const LINE_FRAME_STACKS =
  'records with their one frame on the sample line (perf script -G, or events recorded without a callchain): each stack is that frame; without -G, perf script prints the callchain perf recorded';

/** Warning: `count` locations perf printed as inlined lines only, without offsets. */
export function unplaceableInlined(count: number): string {
  return `${count} locations printed as inlined lines only, without perf's +0x offset (perf script -F without symoff), keep perf's names: nothing says which binary they are in (add symoff to the fields)`;
}
