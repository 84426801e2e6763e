import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { formatDuration, formatUsd } from '../agents/format';
import { ARTIFACTS } from '../results/result';
import { groupRuns, tokensIn, totals, type Report, type ReportRow } from './collect';
import { cacheLabel, compactCount, statusCounts, statusLabel } from './format';

/**
 * The run report as one self-contained HTML page (`.nx-worktree-ai/report.html`): inline CSS and
 * SVG, no script, no font or image from anywhere (a Content-Security-Policy forbids any fetch), and
 * relative links to each batch's artifacts next to it. A timeline per run shows each batch as a bar
 * on a time axis, so what ran in parallel is visible at a glance.
 */
export function renderHtml(report: Report, generatedAt = new Date()): string {
  const all = totals(report.rows);
  const runs = groupRuns(report.rows);
  const latest = runs[0] ?? [];
  const wall = latest.length ? Math.max(...latest.map((r) => r.end!)) - Math.min(...latest.map((r) => r.start!)) : 0;
  const busy = latest.reduce((s, r) => s + (r.end! - r.start!), 0);
  const name = workspaceName(report.root);

  const cards = [
    card('Batches', String(all.batches), statusCounts(all, 'succeeded', ' · ')),
    card('Wall time', latest.length ? formatDuration(wall) : '-', latest.length ? `latest run, ${latest.length} batch(es)` : 'no timed run'),
    card('Parallelism', wall > 0 ? `×${(busy / wall).toFixed(1)}` : '-', `${formatDuration(busy)} of batch time`),
    card('Cost', formatUsd(all.costUsd), `${all.turns} turns${all.nxCache ? ` · ${all.nxCache} from Nx's cache (earlier spend)` : ''}`),
    card('Tokens', `${compactCount(all.tokensIn)} / ${compactCount(all.tokensOut)}`, 'in (incl. cache) / out'),
    card('Files changed', String(all.filesChanged), `+${all.insertions} −${all.deletions}`),
  ].join('');

  const timelines = runs.map((run, i) => timeline(run, i === 0 ? 'Latest run' : `Earlier run ${i}`)).join('');
  const maxCost = Math.max(0, ...report.rows.map((r) => r.result.costUsd ?? 0));

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>nx-worktree-ai report · ${esc(name)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>nx-worktree-ai report <span class="ws">${esc(name)}</span></h1>
  <p class="meta">${report.rows.length} batch result(s) from <code>.nx-worktree-ai/</code> · generated ${esc(generatedAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</p>
</header>
<section class="cards">${cards}</section>
${timelines || '<section class="panel"><p class="empty">No batch has run yet: <code>nx run-many -t ai-generate</code>.</p></section>'}
<section class="panel">
  <h2>Batches</h2>
  <div class="scroll"><table class="batches">
    <thead><tr><th>batch</th><th>status</th><th>cache</th><th class="num">duration</th><th class="num">turns</th><th class="num">tokens in</th><th class="num">tokens out</th><th class="num">cost</th><th class="num">files</th><th>branch</th></tr></thead>
    <tbody>
${report.rows.map((r) => tableRow(r, maxCost)).join('\n')}
    </tbody>
    <tfoot><tr><td>total</td><td>${esc(statusCounts(all))}</td><td>${all.replayed + all.nxCache} hit</td><td class="num">${formatDuration(all.durationMs)}</td><td class="num">${all.turns}</td><td class="num">${compactCount(all.tokensIn)}</td><td class="num">${compactCount(all.tokensOut)}</td><td class="num">${formatUsd(all.costUsd)}</td><td class="num">${all.filesChanged}</td><td></td></tr></tfoot>
  </table></div>
  ${report.unreadable.length ? `<p class="warn">Unreadable: ${report.unreadable.map((u) => `<code>${esc(u.file)}</code> (${esc(u.error)})`).join(', ')}</p>` : ''}
  <p class="note">“hit (result cache)”: replayed from the plugin's result cache, no model request. “hit (nx cache)”: Nx restored the artifacts from its cache; the numbers are those of the run that produced them.</p>
</section>
</body>
</html>
`;
}

const STATUS_COLOR: Record<string, string> = { succeeded: '#1f9d55', replayed: '#5b6ee1', failed: '#d64545', empty: '#c27c0e', interrupted: '#7a7a8c' };

/** The root package.json's name, else the folder's. */
function workspaceName(root: string): string {
  try {
    const name = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
  } catch {
    // no package.json: the folder name
  }
  return basename(root);
}

function card(label: string, value: string, sub: string): string {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="sub">${esc(sub)}</div></div>`;
}

/** A time axis with one bar per batch, from its start to its end. */
function timeline(run: ReportRow[], title: string): string {
  const rows = [...run].sort((a, b) => a.start! - b.start! || a.id.localeCompare(b.id));
  const t0 = Math.min(...rows.map((r) => r.start!));
  const t1 = Math.max(...rows.map((r) => r.end!));
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
      const bx = x(r.start!);
      const bw = Math.max(x(r.end!) - bx, 3);
      const color = STATUS_COLOR[r.result.status] ?? '#888';
      const label = r.id.length > 34 ? `${r.id.slice(0, 33)}…` : r.id;
      const tip = `${r.id}: ${r.result.status}, ${formatDuration(r.end! - r.start!)}, ${cacheLabel(r.cache)}${r.result.costUsd != null ? `, ${formatUsd(r.result.costUsd)}` : ''}\n${r.result.startedAt} → ${r.result.finishedAt}`;
      const stripe = i % 2 ? `<rect class="stripe" x="0" y="${y}" width="${W}" height="${ROW}"/>` : '';
      return `${stripe}<g class="row" data-batch="${esc(r.id)}"><text class="name" x="${LABEL - 12}" y="${y + ROW / 2 + 4}" text-anchor="end">${esc(label)}</text><rect class="bar" data-batch="${esc(r.id)}" data-status="${esc(r.result.status)}" data-start="${r.start}" data-end="${r.end}" x="${bx.toFixed(1)}" y="${y + 7}" width="${bw.toFixed(1)}" height="${ROW - 14}" rx="3" fill="${color}"${r.cache === 'nx-cache' ? ' fill-opacity="0.55"' : ''}><title>${esc(tip)}</title></rect><text class="dur" x="${(bx + bw + 6).toFixed(1)}" y="${y + ROW / 2 + 4}">${esc(formatDuration(r.end! - r.start!))}</text></g>`;
    })
    .join('');
  const legend = Object.entries(STATUS_COLOR)
    .map(([status, color]) => `<span class="key"><i style="background:${color}"></i>${status}</span>`)
    .join('');
  return `<section class="panel timeline">
  <h2>${esc(title)} <span class="when">${esc(new Date(t0).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} · ${esc(formatDuration(span))} wall</span></h2>
  <div class="legend">${legend}</div>
  <svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}: ${rows.length} batches on a time axis">${ticks.join('')}${bars}</svg>
</section>`;
}

/** 1, 2 or 5 times a power of ten (ms), at least 1 s. */
function niceStep(target: number): number {
  const candidates = [1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000];
  return candidates.find((c) => c >= target) ?? Math.ceil(target / 3_600_000) * 3_600_000;
}

function tableRow(row: ReportRow, maxCost: number): string {
  const r = row.result;
  const link = (name: string, label: string) =>
    row.artifacts.includes(name) ? `<a href="${row.dir.split('/').map(encodeURIComponent).join('/')}/${name}">${label}</a>` : '';
  const links = [link(ARTIFACTS.prompt, 'prompt'), link(ARTIFACTS.transcript, 'transcript'), link(ARTIFACTS.patch, 'patch'), link(ARTIFACTS.result, 'result')].filter(Boolean).join(' · ');
  const cost = r.costUsd == null ? '-' : formatUsd(r.costUsd);
  const costBar = r.costUsd && maxCost > 0 ? `<span class="costbar" style="width:${Math.max(2, Math.round((r.costUsd / maxCost) * 60))}px"></span>` : '';
  const files = r.filesChanged?.length ?? 0;
  const main = `<tr data-batch="${esc(row.id)}" class="status-${esc(r.status)}">
      <td><strong>${esc(row.id)}</strong>${links ? `<div class="links">${links}</div>` : ''}</td>
      <td><span class="pill ${esc(r.status)}">${esc(statusLabel(r))}</span></td>
      <td>${esc(cacheLabel(row.cache))}</td>
      <td class="num">${typeof r.durationMs === 'number' ? esc(formatDuration(r.durationMs)) : '-'}</td>
      <td class="num">${r.turns ?? '-'}</td>
      <td class="num" title="input ${r.tokens?.input ?? '-'}, cache read ${r.tokens?.cacheRead ?? '-'}, cache write ${r.tokens?.cacheWrite ?? '-'}">${r.tokens ? compactCount(tokensIn(r)) : '-'}</td>
      <td class="num">${compactCount(r.tokens?.output)}</td>
      <td class="num cost">${costBar}${esc(cost)}</td>
      <td class="num" title="${esc((r.filesChanged ?? []).join('\n'))}">${files}${r.insertions != null ? ` <span class="diff">+${r.insertions} −${r.deletions ?? 0}</span>` : ''}</td>
      <td><code>${esc(r.branch ?? '-')}</code></td>
    </tr>`;
  return r.error ? `${main}\n    <tr class="error-row"><td colspan="10">${esc(r.error)}</td></tr>` : main;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f6f7fb; --panel: #fff; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1440px; padding: 28px 32px 40px; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header h1 { margin: 0; font-size: 22px; font-weight: 650; letter-spacing: -0.01em; }
header .ws { color: var(--muted); font-weight: 500; margin-left: 6px; }
.meta { margin: 4px 0 18px; color: var(--muted); }
code { font: 12.5px/1.3 ui-monospace, SFMono-Regular, Menlo, "DejaVu Sans Mono", monospace; }
.cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.card .value { font-size: 22px; font-weight: 650; margin: 2px 0; }
.card .sub { color: var(--muted); font-size: 12px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px 16px; margin-bottom: 16px; }
.panel h2 { margin: 0 0 8px; font-size: 15px; font-weight: 650; }
.panel h2 .when { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 8px; }
.legend { display: flex; gap: 16px; color: var(--muted); font-size: 12px; margin-bottom: 4px; }
.legend .key i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
svg.chart { display: block; font-size: 13px; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .name { fill: var(--fg); font-weight: 500; }
svg .dur { fill: var(--muted); font-size: 11px; }
svg .stripe { fill: #fafbfd; }
.scroll { overflow-x: auto; }
table.batches { width: 100%; border-collapse: collapse; font-size: 13px; }
table.batches th { text-align: left; color: var(--muted); font-weight: 500; font-size: 12px; border-bottom: 1px solid var(--line); padding: 6px 6px; white-space: nowrap; }
table.batches td { padding: 7px 6px; border-bottom: 1px solid var(--line); vertical-align: middle; white-space: nowrap; }
.links { font-size: 12px; margin-top: 1px; }
table.batches tfoot td { font-weight: 650; border-bottom: none; border-top: 2px solid var(--line); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; }
.pill.succeeded { background: #1f9d55; } .pill.replayed { background: #5b6ee1; } .pill.failed { background: #d64545; }
.pill.empty { background: #c27c0e; } .pill.interrupted { background: #7a7a8c; }
.costbar { display: inline-block; height: 8px; background: #f0b429; border-radius: 2px; margin-right: 6px; vertical-align: 0; }
.diff { color: var(--muted); font-size: 12px; }
.links a { color: #2f5bd3; text-decoration: none; } .links a:hover { text-decoration: underline; }
tr.error-row td { white-space: normal; color: #a12020; background: #fff5f5; font-size: 12.5px; }
.note, .warn, .empty { color: var(--muted); font-size: 12px; margin: 10px 0 0; }
.warn { color: #a15c00; }
@media (max-width: 1100px) { .cards { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
`;
