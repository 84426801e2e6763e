import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ARTIFACTS_DIR } from '../plugin/paths';
import { findWorkspaceRoot, parseCommandArgs, type CommandIo } from './command';
import { REPORT_USAGE } from './usage';
import { collectReport, type Report } from '../report/collect';
import { formatRun } from '../report/format';
import { renderHtml } from '../report/html';
import type { ReportRun } from '../report/runs';
import { totals } from '../report/totals';

/** `nx-worktree-ai report`: returns the exit code. */
export function reportCommand(args: string[], io: CommandIo): number {
  // `--html=false` is the long spelling of --no-html.
  const parsed = parseCommandArgs(
    args.map((a) => (a === '--html=false' ? '--no-html' : a)),
    {
      root: { type: 'string' },
      out: { type: 'string' },
      run: { type: 'string' },
      all: { type: 'boolean' },
      'no-html': { type: 'boolean' },
      json: { type: 'boolean' },
      'scripted-model': { type: 'boolean' },
    },
  );
  if (parsed.help) {
    io.out(REPORT_USAGE);
    return 0;
  }
  const { values } = parsed;
  if (values.run !== undefined && values.all) {
    io.err('nx-worktree-ai report: --run and --all exclude each other: name one run, or ask for all.');
    return 2;
  }
  const workspace = values.root === undefined ? findWorkspaceRoot(io.cwd) : resolve(io.cwd, values.root);
  const report = collectReport(workspace);
  const scripted = values['scripted-model'] === true;
  for (const u of report.unreadable) io.err(`nx-worktree-ai report: skipped ${u.file}: ${u.error}`);
  const runs = selectRuns(report, values.run as string | undefined, values.all === true);
  if (runs === null) {
    io.err(`nx-worktree-ai report: no run ${values.run} under ${join(workspace, ARTIFACTS_DIR)}. Runs kept: ${report.runs.map((r) => r.id).join(', ') || 'none'}.`);
    return 1;
  }
  if (values.json) io.out(JSON.stringify({ runs: runs.map((run) => ({ ...run, totals: totals(run.rows) })), scriptedModel: scripted, unreadable: report.unreadable }, null, 2));
  else if (!runs.length) io.out(`No batch results under ${join(workspace, ARTIFACTS_DIR)} yet: run \`nx run-many -t ai-generate\` first.`);
  else io.out(runs.map((run) => formatRun(run, scripted)).join('\n\n'));
  if (!values['no-html'] && runs.length) {
    const target = values.out === undefined ? join(report.artifactsRoot, 'report.html') : resolve(io.cwd, values.out as string);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, renderHtml(report, runs, { scripted }));
    if (!values.json) io.out(`\nreport: ${relative(io.cwd, target) || target}`);
  }
  return 0;
}

/** The runs asked for: the latest by default; null when `--run` names none. */
function selectRuns(report: Report, id: string | undefined, all: boolean): ReportRun[] | null {
  if (all) return report.runs;
  if (id === undefined) return report.runs.slice(0, 1);
  const run = report.runs.find((r) => r.id === id);
  return run ? [run] : null;
}
