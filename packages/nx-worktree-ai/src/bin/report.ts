import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ARTIFACTS_DIR } from '../plugin/paths';
import { findWorkspaceRoot, parseCommandArgs, type CommandIo } from './command';
import { collectReport, totals } from '../report/collect';
import { formatTable } from '../report/format';
import { renderHtml } from '../report/html';

export const REPORT_USAGE = `usage: nx-worktree-ai report [--root <dir>] [--out <file>] [--no-html] [--json]

Prints a table of the latest result of every batch (status, cache hit, duration, turns, tokens,
cost, files changed, branch) with totals, and writes ${ARTIFACTS_DIR}/report.html: a self-contained
page with the timeline of the batches, their costs and links to each batch's prompt, transcript
and patch.

  --root <dir>   the Nx workspace (default: the nearest folder with nx.json, from the current one)
  --out <file>   where to write the page (default: <root>/${ARTIFACTS_DIR}/report.html)
  --no-html      print the table only
  --json         print the rows as JSON instead of the table`;


/** `nx-worktree-ai report`: returns the exit code. */
export function reportCommand(args: string[], io: CommandIo): number {
  // `--html=false` is the long spelling of --no-html.
  const parsed = parseCommandArgs(
    args.map((a) => (a === '--html=false' ? '--no-html' : a)),
    { root: { type: 'string' }, out: { type: 'string' }, 'no-html': { type: 'boolean' }, json: { type: 'boolean' } },
  );
  if (parsed.help) {
    io.out(REPORT_USAGE);
    return 0;
  }
  const { values } = parsed;
  const root = values.root === undefined ? null : resolve(io.cwd, values.root);
  const out = values.out === undefined ? null : resolve(io.cwd, values.out);
  const html = !values['no-html'];
  const json = values.json === true;
  const workspace = root ?? findWorkspaceRoot(io.cwd);
  const report = collectReport(workspace);
  const t = totals(report.rows);
  if (json) io.out(JSON.stringify({ rows: report.rows, totals: t, unreadable: report.unreadable }, null, 2));
  else if (report.rows.length === 0) io.out(`No batch results under ${join(workspace, ARTIFACTS_DIR)} yet: run \`nx run-many -t ai-generate\` first.`);
  else io.out(formatTable(report.rows, t));
  for (const u of report.unreadable) io.err(`nx-worktree-ai report: skipped ${u.file}: ${u.error}`);
  if (html && report.rows.length) {
    const target = out ?? join(report.artifactsRoot, 'report.html');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, renderHtml(report));
    if (!json) io.out(`\nreport: ${relative(io.cwd, target) || target}`);
  }
  return 0;
}


