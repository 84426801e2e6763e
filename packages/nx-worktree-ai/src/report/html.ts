import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { formatDuration, formatUsd } from '../agents/format';
import { ARTIFACTS } from '../results/result';
import type { Report, ReportRow } from './collect';
import { cacheLabel, compactCount, filesLabel, formatParallelism, rowDuration, statusCounts, statusLabel, utc } from './format';
import { esc } from './escape';
import { CSS } from './html-style';
import type { ReportRun } from './runs';
import { timeline } from './timeline';
import { spent, tokensIn, totals } from './totals';

export interface HtmlOptions {
  /** The costs were computed for a scripted model's replies (the demo, tests): labelled so. */
  scripted?: boolean;
  generatedAt?: Date;
}

/**
 * The report as one self-contained HTML page (`.nx-worktree-ai/report.html`): inline CSS and SVG,
 * no script, no font or image from anywhere (a Content-Security-Policy forbids any fetch), and
 * relative links to each batch's artifacts next to it. Each run shown gets its summary cards, a
 * timeline (each batch a bar on a time axis, so what ran in parallel is visible at a glance) and
 * its table.
 */
export function renderHtml(report: Report, runs: ReportRun[], options: HtmlOptions = {}): string {
  const name = workspaceName(report.root);
  const generatedAt = options.generatedAt ?? new Date();
  const sections = runs.map((run, i) => runSection(run, i === 0 && report.runs[0]?.id === run.id ? 'Latest run' : 'Run', !!options.scripted)).join('\n');
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
  <p class="meta">${runs.length} of ${report.runs.length} run(s) from <code>.nx-worktree-ai/</code> · generated ${esc(utc(generatedAt.getTime()))}</p>
  ${options.scripted ? '<p class="scripted">Scripted model: the costs below are what the agent CLIs computed for a scripted model server\'s replies. No money was spent.</p>' : ''}
</header>
${sections || '<section class="panel"><p class="empty">No batch has run yet: <code>nx run-many -t ai-generate</code>.</p></section>'}
${report.unreadable.length ? `<section class="panel"><p class="warn">Unreadable: ${report.unreadable.map((u) => `<code>${esc(u.file)}</code> (${esc(u.error)})`).join(', ')}</p></section>` : ''}
</body>
</html>
`;
}

function runSection(run: ReportRun, title: string, scripted: boolean): string {
  const t = totals(run.rows);
  const costLabel = scripted ? 'Cost (scripted)' : 'Cost';
  const costSub = scripted ? 'computed for a scripted model: not spent' : `${t.turns} turns${t.nxCache ? ` · ${t.nxCache} from Nx's cache (spent earlier)` : ''}`;
  const cards = [
    card('Batches', String(t.batches), statusCounts(t, 'succeeded', ' · ')),
    card('Wall time', formatDuration(run.wallMs), run.logged ? 'from the nx command\'s start to its last batch' : 'first batch start to last batch end'),
    card('Parallelism', formatParallelism(run.parallelism), `${formatDuration(t.durationMs)} of batch time`),
    card(costLabel, formatUsd(t.costUsd), costSub),
    card('Tokens', `${compactCount(t.tokensIn)} / ${compactCount(t.tokensOut)}`, 'in (incl. cache) / out'),
    card('Files changed', String(t.filesChanged), `applied · +${t.insertions} −${t.deletions}`),
  ].join('');
  const maxCost = Math.max(0, ...run.rows.map((r) => spent(r)?.costUsd ?? 0));
  const heading = run.logged ? `${title} <code>${esc(run.id)}</code>` : `${title}: results without a run id (older plugin version)`;
  return `<section class="run" data-run="${esc(run.id)}" data-wall-ms="${run.wallMs}" data-parallelism="${run.parallelism ?? ''}">
<h2 class="run-title">${heading} <span class="when">${esc(utc(run.startedAt))} · ${esc(formatDuration(run.wallMs))} wall</span></h2>
<section class="cards">${cards}</section>
${timeline(run.rows, title, run.startedAt)}
<section class="panel">
  <h2>Batches</h2>
  <div class="scroll"><table class="batches">
    <thead><tr><th>batch</th><th>status</th><th>cache</th><th class="num">duration</th><th class="num">turns</th><th class="num">tokens in</th><th class="num">tokens out</th><th class="num">${scripted ? 'cost (scripted)' : 'cost'}</th><th class="num">files</th><th>branch</th></tr></thead>
    <tbody>
${run.rows.map((r) => tableRow(r, maxCost)).join('\n')}
    </tbody>
    <tfoot><tr><td>total</td><td>${esc(statusCounts(t))}</td><td>${t.replayed} hit</td><td class="num">${formatDuration(t.durationMs)}</td><td class="num">${t.turns}</td><td class="num">${compactCount(t.tokensIn)}</td><td class="num">${compactCount(t.tokensOut)}</td><td class="num">${formatUsd(t.costUsd)}</td><td class="num">${t.filesChanged}</td><td></td></tr></tfoot>
  </table></div>
  <p class="note">“hit (result cache)”: replayed from the plugin's result cache, no model request. “hit (nx cache)”: Nx restored the batch's artifacts from its cache and <code>ai-generate</code> applied the change; turns, tokens and cost were spent by the run named, not this one. Files in parentheses stayed on the batch branch (not applied).</p>
</section>
</section>`;
}

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

function tableRow(row: ReportRow, maxCost: number): string {
  const r = row.result;
  const paid = spent(row);
  const link = (name: string, label: string) =>
    row.artifacts.includes(name) ? `<a href="${row.dir.split('/').map(encodeURIComponent).join('/')}/${name}">${label}</a>` : '';
  const links = [link(ARTIFACTS.prompt, 'prompt'), link(ARTIFACTS.transcript, 'transcript'), link(ARTIFACTS.patch, 'patch'), link(ARTIFACTS.result, 'result')].filter(Boolean).join(' · ');
  const cost = paid?.costUsd == null ? '-' : formatUsd(paid.costUsd);
  const costBar = paid?.costUsd && maxCost > 0 ? `<span class="costbar" style="width:${Math.max(2, Math.round((paid.costUsd / maxCost) * 60))}px"></span>` : '';
  const main = `<tr data-batch="${esc(row.id)}" data-status="${esc(row.status)}" data-cache="${esc(row.cache)}" class="status-${esc(row.status)}">
      <td><strong>${esc(row.id)}</strong>${links ? `<div class="links">${links}</div>` : ''}</td>
      <td><span class="pill ${esc(row.status)}">${esc(statusLabel(row))}</span></td>
      <td>${esc(cacheLabel(row))}</td>
      <td class="num">${esc(rowDuration(row))}</td>
      <td class="num">${paid?.turns ?? '-'}</td>
      <td class="num" title="input ${paid?.tokens?.input ?? '-'}, cache read ${paid?.tokens?.cacheRead ?? '-'}, cache write ${paid?.tokens?.cacheWrite ?? '-'}">${paid?.tokens ? compactCount(tokensIn(paid)) : '-'}</td>
      <td class="num">${compactCount(paid?.tokens?.output)}</td>
      <td class="num cost">${costBar}${esc(cost)}</td>
      <td class="num" title="${esc((r.filesChanged ?? []).join('\n'))}">${esc(filesLabel(row))}${r.insertions != null ? ` <span class="diff">+${r.insertions} −${r.deletions ?? 0}</span>` : ''}</td>
      <td><code>${esc(r.branch ?? '-')}</code></td>
    </tr>`;
  return r.error ? `${main}\n    <tr class="error-row"><td colspan="10">${esc(r.error)}</td></tr>` : main;
}
