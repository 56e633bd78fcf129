import { growth, loadProfile, loadProfiles, top } from '@heapscope/analyzer';

// One dump through the CLI's pipeline: detected from its content, symbolized.
const { profile } = await loadProfile('fixtures/gperftools/workload.0005.heap', { symbolize: true });
const report = top([profile], { limit: 5 });
console.log(`${report.sampleType}: total ${report.total} ${report.unit}`);
for (const row of report.rows) console.log(`top\t${row.name}\t${row.flat}\t${row.cum}`);

// A series of dumps of one process, in order: the call sites that keep growing.
const paths = [1, 2, 3, 4, 5, 6].map((n) => `fixtures/gperftools/workload.000${n}.heap`);
const series = await loadProfiles(paths, { symbolize: true });
const trend = growth(series.map((input) => input.profile));
for (const row of trend.rows.slice(0, 5)) console.log(`growth\t${row.name}\t${row.delta}\t${row.slope}`);
