import { formatDuration, formatUsd } from '../agents/format';
import type { ReportRow } from './collect';
import { esc } from './escape';
import { cacheLabel } from './format';
import { spent } from './totals';

const STATUS_COLOR: Record<string, string> = { succeeded: '#1f9d55', replayed: '#5b6ee1', failed: '#d64545', empty: '#c27c0e', interrupted: '#7a7a8c', stopped: '#a0a0b0' };
/** One bar of the timeline: a batch, or one sample of a batch with `samples` (drawn under it). */
interface Bar {
  id: string;
  label: string;
  start: number;
  end: number;
  status: string;
  cache: string;
  tip: string;
  sample: number | null;
}

function batchBar(r: ReportRow): Bar {
  const cost = spent(r)?.costUsd;
  const tip = `${r.id}: ${r.status}, ${formatDuration(r.end! - r.start!)}, ${cacheLabel(r)}${cost != null ? `, ${formatUsd(cost)}` : ''}\n${new Date(r.start!).toISOString()} → ${new Date(r.end!).toISOString()}`;
  return { id: r.id, label: r.id, start: r.start!, end: r.end!, status: r.status, cache: r.cache, tip, sample: null };
}

/** The samples of a batch that ran in this run (a replay shows none), each from its start to its end. */
function sampleBars(r: ReportRow): Bar[] {
  if (r.cache !== 'none') return [];
  return (r.result.samples ?? []).flatMap((s) => {
    const start = s.startedAt ? Date.parse(s.startedAt) : NaN;
    const end = s.finishedAt ? Date.parse(s.finishedAt) : NaN;
    if (!Number.isFinite(start) || !Number.isFinite(end)) return [];
    const tip = `${r.id} sample ${s.k} (${s.agent}): ${s.status}, ${formatDuration(end - start)}, branch ${s.branch}`;
    return [{ id: r.id, label: `  sample ${s.k} · ${s.agent}`, start, end, status: s.status, cache: r.cache, tip, sample: s.k }];
  });
}

/** A time axis from `from` (the command's start) with one bar per batch, from its start to its end, and one per sample under it. */
export function timeline(run: ReportRow[], title: string, from = Infinity): string {
  const batches = run.filter((r) => r.start !== null && r.end !== null).sort((a, b) => a.start! - b.start! || a.id.localeCompare(b.id));
  if (!batches.length) return '';
  const rows = batches.flatMap((r) => [batchBar(r), ...sampleBars(r)]);
  const t0 = Math.min(from, ...rows.map((r) => r.start));
  const t1 = Math.max(...rows.map((r) => r.end));
  const span = Math.max(t1 - t0, 1);
  const W = 1000;
  const LABEL = 250;
  const RIGHT = 70;
  const ROW = 30;
  const TOP = 34;
  const plot = W - LABEL - RIGHT;
  const H = TOP + rows.length * ROW + 12;
  const x = (t: number) => LABEL + ((t - t0) / span) * plot;
  const step = niceStep(span / 8);
  const ticks: string[] = [];
  for (let s = 0; s <= span + 1; s += step) {
    const tx = x(t0 + s).toFixed(1);
    ticks.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="${TOP - 6}" y2="${H - 8}"/><text class="tick" x="${tx}" y="${TOP - 12}" text-anchor="middle">${esc(formatDuration(s) === '0ms' ? '0s' : formatDuration(s))}</text>`);
  }
  const bars = rows
    .map((r, i) => {
      const y = TOP + i * ROW;
      const bx = x(r.start);
      const bw = Math.max(x(r.end) - bx, 3);
      const color = STATUS_COLOR[r.status] ?? '#888';
      const label = r.label.length > 34 ? `${r.label.slice(0, 33)}…` : r.label;
      const stripe = i % 2 ? `<rect class="stripe" x="0" y="${y}" width="${W}" height="${ROW}"/>` : '';
      const sample = r.sample === null ? '' : ` data-sample="${r.sample}"`;
      const height = r.sample === null ? ROW - 14 : ROW - 20;
      return `${stripe}<g class="row" data-batch="${esc(r.id)}"${sample}><text class="name" x="${LABEL - 12}" y="${y + ROW / 2 + 4}" text-anchor="end">${esc(label)}</text><rect class="bar" data-batch="${esc(r.id)}"${sample} data-status="${esc(r.status)}" data-cache="${esc(r.cache)}" data-start="${r.start}" data-end="${r.end}" x="${bx.toFixed(1)}" y="${y + (ROW - height) / 2}" width="${bw.toFixed(1)}" height="${height}" rx="3" fill="${color}"${r.cache === 'nx-cache' ? ' fill-opacity="0.55"' : ''}><title>${esc(r.tip)}</title></rect><text class="dur" x="${(bx + bw + 6).toFixed(1)}" y="${y + ROW / 2 + 4}">${esc(formatDuration(r.end - r.start))}</text></g>`;
    })
    .join('');
  const legend = Object.entries(STATUS_COLOR)
    .map(([status, color]) => `<span class="key"><i style="background:${color}"></i>${status}</span>`)
    .join('');
  return `<section class="panel timeline">
  <h2>Timeline</h2>
  <div class="legend">${legend}</div>
  <svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}: ${batches.length} batches on a time axis">${ticks.join('')}${bars}</svg>
</section>`;
}

/** 1, 2 or 5 times a power of ten (ms), at least 1 s. */
function niceStep(target: number): number {
  const candidates = [1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000];
  return candidates.find((c) => c >= target) ?? Math.ceil(target / 3_600_000) * 3_600_000;
}
