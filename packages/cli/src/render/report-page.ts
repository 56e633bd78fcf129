/**
 * The report page (`heapscope report`): one self-contained HTML file with
 * its style, script and data inline, nothing loaded from the network, that
 * opens from a file:// URL. Sections: the summary (inputs, totals, warnings,
 * the analyses' verdicts), memory over time (memory-chart.ts), the tables
 * (report-tables.ts), the flamegraph, and under it the waste (size-class
 * waste, fragmentation per site); a table row focuses the flamegraph on
 * its site.
 *
 * The flamegraph is one section made by one call ({@link flameSection}):
 * the HTML flamegraph's fragment (flamegraph-html.ts) in the page itself,
 * driven through its API (`window.heapscopeFlames`). It
 * mounts after the report's load event: the summary, the chart and the
 * tables are on screen and respond before the flamegraph's data is parsed.
 */
import type { ChurnReport, FragmentationReport, GrowthReport, MemoryOverTime, SizeClassWasteReport, SizesReport, TopReport } from '@heapscope/analyzer';
import { formatBytes, formatCount, formatShare, isSampled } from '@heapscope/analyzer';
import type { FlameData } from './flame-data.js';
import { renderFlameFragment, type FlameFragment } from './flamegraph-html.js';
import { xmlEscape as esc } from './flamegraph-svg.js';
import { htmlPage } from './html-page.js';
import { renderMemoryChart } from './memory-chart.js';
import { REPORT_CLIENT, REPORT_STYLE } from './report-client.js';
import { SAMPLED_CHURN_NOTE } from './churn.js';
import { churnTable, fragmentationTable, growthTable, sizeClassWasteTable, sizesTable, topTable } from './report-tables.js';

/** One input, as the summary lists it. */
export interface ReportInput {
  file: string;
  /** The importer's id. */
  format: string;
  kind: 'dump' | 'trace' | 'statistics';
  /** Its totals, in words (`inuse_space 12.3 MiB`, `peak 20 MiB at 0.3 s`). */
  totals: string[];
}

/** A section the inputs cannot fill, and why. */
export type Missing = { note: string };

/** Everything the page shows: the analyses' results and the words around them. */
export interface ReportPage {
  title: string;
  /** What the inputs are taken as (`5 dumps ordered by dump sequence number`, `one event trace in 50 windows`). */
  how: string;
  inputs: ReportInput[];
  warnings: string[];
  /** The verdict lines, labelled (`grew most`, `diagnose`, `churn`). */
  verdicts: { label: string; text: string }[];
  memory: MemoryOverTime | Missing;
  top: TopReport | Missing;
  growth: GrowthReport | Missing;
  churn: ChurnReport | Missing;
  sizes: SizesReport | Missing;
  flame: FlameData;
  waste: ReportWaste;
}

/** What the allocators waste (`heapscope waste`'s two analyses), or why the inputs cannot say. */
export interface ReportWaste {
  sizeClasses: SizeClassWasteReport | Missing;
  fragmentation: FragmentationReport | Missing;
}

function missing<T extends object>(v: T | Missing): v is Missing {
  return 'note' in v;
}

/** Renders the page. */
export function renderReportPage(page: ReportPage): string {
  const flame = flameSection(page.flame);
  const sections = [
    summarySection(page),
    section('memory', 'Memory over time', missing(page.memory) ? note(page.memory.note) : `<div class="chart">${memoryChart(page.memory, page.how)}</div>`),
    section('top', 'Top sites', missing(page.top) ? note(page.top.note) : `${topIntro(page.top)}<div class="scroll">${topTable(page.top)}</div>`),
    section('growth', 'Growth', missing(page.growth) ? note(page.growth.note) : `<p class="note">${esc(page.growth.verdict)}</p><div class="scroll">${growthTable(page.growth)}</div>`),
    section('churn', 'Churn', missing(page.churn) ? note(page.churn.note) : `<p class="note">${esc(page.churn.verdict)}</p><div class="scroll">${churnTable(page.churn)}</div>${page.churn.sampled ? note(SAMPLED_CHURN_NOTE) : ''}`),
    section('sizes', 'Sizes', missing(page.sizes) ? note(page.sizes.note) : `${sizesIntro(page.sizes)}<div class="scroll">${sizesTable(page.sizes)}</div>`),
    flame.body,
    wasteSection(page.waste),
  ];
  const nav = [
    ['summary', 'Summary'],
    ['memory', 'Memory over time'],
    ['top', 'Top'],
    ['growth', 'Growth'],
    ['churn', 'Churn'],
    ['sizes', 'Sizes'],
    ['flame', 'Flamegraph'],
    ['waste', 'Waste'],
  ]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join('');
  return htmlPage({
    title: page.title,
    style: REPORT_STYLE + flame.style,
    body: `<header class="top"><h1>${esc(page.title)}</h1><nav>${nav}</nav></header>
<main>
${sections.join('\n')}
</main>
<script>${REPORT_CLIENT}</script>`,
  });
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

function note(text: string): string {
  return `<p class="note">${esc(text)}</p>`;
}

function summarySection(page: ReportPage): string {
  const verdicts = page.verdicts.map((v) => `<li><b>${esc(v.label)}</b> ${esc(v.text)}</li>`).join('');
  const inputs = page.inputs
    .map((i) => `<tr><td class="text" title="${esc(i.file)}">${esc(i.file)}</td><td>${esc(i.format)}</td><td>${esc(i.kind)}</td><td class="totals">${esc(i.totals.join(' · '))}</td></tr>`)
    .join('\n');
  const warnings = page.warnings.length > 0 ? `<h3>Warnings</h3><ul class="warnings">${page.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  return section(
    'summary',
    'Summary',
    `<p class="note">${esc(page.how)}</p>
<ul class="verdicts">${verdicts}</ul>
<table class="inputs"><thead><tr><th>input</th><th>format</th><th>kind</th><th>totals</th></tr></thead><tbody>
${inputs}
</tbody></table>
${warnings}`,
  );
}

function memoryChart(m: MemoryOverTime, how: string): string {
  const sampleType = m.axis === 'dumps' ? m.sampleType : 'live bytes';
  return renderMemoryChart(m, { title: `${sampleType} per top site`, subtitle: how, width: 1200 });
}

/** Waste, under the flamegraph: size-class waste per site and allocator, then fragmentation per site; each table's rows focus the flamegraph. */
function wasteSection(w: ReportWaste): string {
  const sc = w.sizeClasses;
  const fr = w.fragmentation;
  const sizeClasses = missing(sc) ? note(`size-class waste: not known: ${sc.note}`) : `<h3>Size-class waste</h3>${sizeClassIntro(sc)}<div class="scroll">${sizeClassWasteTable(sc)}</div>`;
  const fragmentation = missing(fr) ? note(fr.note) : `<h3>Fragmentation per site</h3>${fragmentationIntro(fr)}<div class="scroll">${fragmentationTable(fr)}</div>`;
  return section('waste', 'Waste', `${sizeClasses}\n${fragmentation}`);
}

function sizeClassIntro(r: SizeClassWasteReport): string {
  const kind = r.sizeKind === 'exact' ? 'exact requested sizes' : 'the average requested size per stack';
  const totals = r.allocators.map((a) => `${a} ${formatBytes(r.total.waste[a] ?? 0)} (${((r.total.wasteShare[a] ?? 0) * 100).toFixed(1)}%)`).join(', ');
  const shown = r.sites.length < r.siteCount ? `${r.sites.length} of ${r.siteCount}` : `${r.siteCount}`;
  return `<p class="note">The bytes each allocator's size classes add to the requests (${esc(kind)}; counting ${esc(r.counts)}): ${formatCount(r.total.count)} requests, ${formatBytes(r.total.requestedBytes)} requested; ${esc(totals)}. ${shown} by ${esc(r.by)}, most ${esc(r.rankBy)} waste first; click a row to focus the flamegraph on it.</p>`;
}

function fragmentationIntro(r: FragmentationReport): string {
  const t = r.totals;
  const sampled = isSampled(r.sampling) ? ` The dump is sampled (one sample per ${formatBytes(r.sampling.periodBytes)}): regions and pinned bytes are estimates, ± one standard error.` : '';
  const missingParts = r.missing.map((m) => ` Missing: ${m}.`).join('');
  return `<p class="note">${esc(r.profile)} with ${esc(r.allocator)} statistics ${esc(r.stats)} (dump ${r.snapshot + 1}), taken as one moment: the bins' free bytes shared among the sites whose objects live in them. Pinned ${formatBytes(t.pinnedBytes)} of ${esc(r.allocator)}'s ${formatBytes(t.unusedBinBytes)} of unused bin bytes (${formatShare(t.pinnedBytes, t.unusedBinBytes)}); ${formatBytes(t.unattributedBytes)} in bins no site accounts for.${esc(sampled + missingParts)}</p>`;
}

function topIntro(r: TopReport): string {
  return `<p class="note">${esc(r.sampleType)} by ${esc(r.by)}: ${r.rows.length} of ${r.rowCount} rows; click a row to focus the flamegraph on it.</p>`;
}

function sizesIntro(r: SizesReport): string {
  return `<p class="note">${esc(r.counts)} by ${r.buckets === 'pow2' ? 'power-of-two size' : 'size'}; sizes are ${esc(r.sizeKind)}.</p>`;
}

/** The id of the report's flamegraph fragment (the page's script finds it as `#flame .hs-flame`). */
const REPORT_FLAME_ID = 'flamegraph';

/**
 * The flamegraph section: the flamegraph's fragment (with its own colour
 * legend for diff and growth pictures), mounted after the page has loaded,
 * and the style it needs in the page's head.
 */
export function flameSection(data: FlameData): FlameFragment {
  const fragment = renderFlameFragment(data, { orientation: 'flame', id: REPORT_FLAME_ID, deferMount: true });
  return {
    style: fragment.style,
    body: section('flame', 'Flamegraph', `<p class="note">${esc(data.subtitle)}<span id="flame-status"></span></p>\n${fragment.body}`),
  };
}
