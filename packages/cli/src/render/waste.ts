/**
 * The text of `heapscope waste` (and of `diagnose --by-site`): the
 * fragmentation per call site — pinned bytes with their error bars, the
 * bins each site's objects take and those bins' utilization — and the
 * size-class waste per site and allocator.
 */
import { PLUS_MINUS_EXACT, formatBytes, formatCount, formatPlusMinus, formatShare, isSampled, type FragmentationReport, type FragmentationSite, type SizeClassWasteReport } from '@heapscope/analyzer';
import { plural } from '@heapscope/parser';
import { renderTable } from './table.js';

/** A site's bins, `96 B: 962 ±94 regions, 2.0% used; 768 B: …`, and its objects beyond every bin. */
export function sitePlaces(site: FragmentationSite): string {
  const parts = site.bins.map((b) => `${formatBytes(b.sizeBytes)}: ${formatCount(b.regions)}${b.regionsStderr > 0 ? ` ${formatPlusMinus(b.regionsStderr, 'count')}` : ''} ${plural(b.regions, 'region')}, ${(b.utilization * 100).toFixed(1)}% used`);
  if (site.unbinnedObjects > 0) parts.push(`no bin: ${formatCount(site.unbinnedObjects)} ${plural(site.unbinnedObjects, 'object')}, ${formatBytes(site.unbinnedBytes)}`);
  return parts.join('; ');
}

const SPREAD: Record<FragmentationSite['spread'], string> = {
  none: '',
  bins: ' [mixed sizes: spread over two bins]',
  average: ' [mixed sizes: placed by their average]',
};

/** The text of a fragmentation report: its totals, then a row per site, most pinned first. */
export function renderFragmentation(r: FragmentationReport): string {
  const t = r.totals;
  const sampled = isSampled(r.sampling);
  let out = `fragmentation per call site: ${r.profile} with ${r.allocator} statistics ${r.stats} (dump ${r.snapshot + 1})\n`;
  out += `pinned ${formatBytes(t.pinnedBytes)} of ${r.allocator}'s ${formatBytes(t.unusedBinBytes)} of unused bin bytes (${formatShare(t.pinnedBytes, t.unusedBinBytes)}); ${formatBytes(t.unattributedBytes)} in bins no site accounts for\n`;
  if (sampled) out += `the dump is sampled (one sample per ${formatBytes(r.sampling.periodBytes)}): regions and pinned bytes are estimates, ± one standard error${r.sites.some((s) => s.pinnedBytes !== 0 && s.pinnedStderr === 0) ? `; ${PLUS_MINUS_EXACT}` : ''}\n`;
  for (const m of r.missing) out += `missing: ${m}\n`;
  out += `${r.sites.length < r.siteCount ? `top ${r.sites.length} of ${r.siteCount} sites` : `${r.siteCount} ${plural(r.siteCount, 'site')}`}, most pinned first\n`;
  // An unsampled dump's figures are exact: no ± column.
  const rows = r.sites.map((s) => [formatBytes(s.pinnedBytes), ...(sampled ? [formatPlusMinus(s.pinnedStderr, 'bytes')] : []), formatBytes(s.liveBytes), sitePlaces(s), s.name + SPREAD[s.spread]]);
  out += renderTable(
    [
      { header: 'pinned', align: 'right' },
      ...(sampled ? [{ header: '±', align: 'right' as const }] : []),
      { header: 'live', align: 'right' },
      { header: 'bins (class: regions, utilization)', align: 'left' },
      { header: 'name', align: 'left' },
    ],
    rows,
  );
  return out;
}

/** The text of a size-class waste report: the totals per allocator, then a row per site, most waste first. */
export function renderSizeClassWaste(r: SizeClassWasteReport): string {
  const kind = r.sizeKind === 'exact' ? 'exact requested sizes' : 'average requested size per stack';
  let out = `size-class waste: bytes each allocator's size classes add to the requests (${kind}; counting ${r.counts})\n`;
  out += `${formatCount(r.total.count)} requests, ${formatBytes(r.total.requestedBytes)} requested; `;
  out += r.allocators.map((a) => `${a} ${formatBytes(r.total.waste[a] ?? 0)} (${((r.total.wasteShare[a] ?? 0) * 100).toFixed(1)}%)`).join(', ');
  out += `\n${r.sites.length < r.siteCount ? `top ${r.sites.length} of ${r.siteCount}` : `${r.siteCount}`} by ${r.by}, most ${r.rankBy} waste first\n`;
  const rows = r.sites.map((s) => [formatCount(s.count), formatBytes(s.requestedBytes), ...r.allocators.map((a) => formatBytes(s.waste[a] ?? 0)), s.name]);
  out += renderTable(
    [
      { header: 'count', align: 'right' },
      { header: 'requested', align: 'right' },
      ...r.allocators.map((a) => ({ header: a, align: 'right' as const })),
      { header: 'name', align: 'left' },
    ],
    rows,
  );
  return out;
}
