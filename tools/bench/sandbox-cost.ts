/**
 * Row g: what the OS sandbox costs a batch. The probe batch of a 1,000-file workspace, run through
 * the executor with `--sandbox=off` and `--sandbox=required` in alternation (the order flips each
 * round, after one warm-up run of each; the cost is the median over rounds of the difference within
 * a round, which a machine whose load drifts during the run moves least), and the raw cost of starting a program under the exact
 * bwrap argv the plugin builds for a batch against starting it directly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { claudeTestEnv } from '../../testing/scripted-model/anthropic';
import { createWorkspace, type Workspace } from '../../testing/workspace';
import { confineCommand, confinementFor, type Command } from '../../packages/nx-worktree-ai/src/sandbox';
import { sandboxTool } from '../../packages/nx-worktree-ai/src/sandbox/available';
import { generatedProjects, log, median, medianPhases, ownTime, probeRunner, type ProbeRun } from './common';

const FILES = 1000;
const STARTS = 20;

interface ModeFigures {
  /** Medians: the batch's wall time (result.json), its plugin overhead (every phase but the agent's), its phases. */
  durationMs: number;
  overheadMs: number;
  phases: Record<string, number>;
  samples: { durationMs: number; overheadMs: number; phases: Record<string, number> }[];
}

interface StartFigures {
  program: string;
  directMs: number;
  bwrapMs: number;
  costMs: number;
}

export type SandboxCost =
  | { skipped: string }
  | {
      files: number;
      runs: number;
      unconfined: ModeFigures;
      confined: ModeFigures;
      /** Confined minus unconfined within a round, median over the rounds. */
      wallCostMs: number;
      overheadCostMs: number;
      starts: { repetitions: number; programs: StartFigures[] };
    };

export async function measureSandboxCost(runs: number, serverUrl: string): Promise<SandboxCost> {
  const tool = sandboxTool();
  if (!tool.available) return { skipped: `bwrap not available (${tool.reason})` };
  const { projects, batch } = generatedProjects(FILES);
  const ws = createWorkspace({ projects, batches: [batch], prefix: 'nxwa-bench-sandbox-' });
  const env = claudeTestEnv(serverUrl, join(ws.base, 'claude-config'));
  try {
    const probe = probeRunner(ws, env);
    const rows: Record<'off' | 'required', ProbeRun[]> = { off: [], required: [] };
    for (let r = 0; r <= runs; r++) {
      for (const mode of r % 2 ? (['required', 'off'] as const) : (['off', 'required'] as const)) {
        const run = await probe(`sandbox ${mode} ${r}`, ['--sparse=never', `--sandbox=${mode}`]);
        // Measure what was asked for: a confined run says so on its first line, an unconfined one does not.
        if (run.output.includes('· sandboxed') !== (mode === 'required')) throw new Error(`the --sandbox=${mode} run was ${mode === 'off' ? '' : 'not '}confined:\n${run.output.slice(-2000)}`);
        if (r > 0) rows[mode].push(run); // run 0 of each is a warm-up
      }
      if (r > 0) log(`  round ${r}: off ${rows.off.at(-1)!.durationMs} ms, required ${rows.required.at(-1)!.durationMs} ms (batch wall time)`);
    }
    const unconfined = figures(rows.off);
    const confined = figures(rows.required);
    const cost = (of: (m: ModeFigures['samples'][number]) => number) => Math.round(median(confined.samples.map((c, i) => of(c) - of(unconfined.samples[i]))));
    return {
      files: FILES,
      runs,
      unconfined,
      confined,
      wallCostMs: cost((m) => m.durationMs),
      overheadCostMs: cost((m) => m.overheadMs),
      starts: { repetitions: STARTS, programs: startCosts(ws, tool.bwrap, env) },
    };
  } finally {
    ws.remove();
  }
}

function figures(runs: ProbeRun[]): ModeFigures {
  const samples = runs.map((run) => ({ durationMs: run.durationMs, overheadMs: Math.round(ownTime(run.phases)), phases: run.phases }));
  return {
    durationMs: median(samples.map((s) => s.durationMs)),
    overheadMs: Math.round(median(samples.map((s) => s.overheadMs))),
    phases: medianPhases(runs.map((run) => run.phases)),
    samples,
  };
}

/** Starting `true` and `node -e 0` directly and under the plugin's bwrap argv for a batch worktree of this workspace, alternated. */
function startCosts(ws: Workspace, bwrap: string, env: Record<string, string>): StartFigures[] {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const branch = 'ai/p000/bench-start';
  const worktreeDir = join(ws.base, 'start-worktree');
  git(ws.root, 'worktree', 'add', '--no-checkout', '-b', branch, worktreeDir, 'HEAD');
  const confinement = confinementFor({
    agent: 'claude',
    env,
    worktreeDir,
    gitDir: git(worktreeDir, 'rev-parse', '--absolute-git-dir'),
    commonDir: git(ws.root, 'rev-parse', '--path-format=absolute', '--git-common-dir'),
    branch,
    branchTip: git(ws.root, 'rev-parse', 'HEAD'),
  });
  const programs: Command[] = [
    { bin: 'true', args: [] },
    { bin: process.execPath, args: ['-e', '0'] },
  ];
  return programs.map((program) => {
    const confined = confineCommand('claude', bwrap, confinement, worktreeDir, program, env);
    const direct: number[] = [];
    const sandboxed: number[] = [];
    for (let i = 0; i <= STARTS; i++) {
      const a = timeStart(program, { ...process.env, ...env }, worktreeDir);
      const b = timeStart(confined, { ...process.env, ...confined.env }, worktreeDir);
      if (i === 0) continue; // warm-up
      direct.push(a);
      sandboxed.push(b);
    }
    const directMs = round1(median(direct));
    const bwrapMs = round1(median(sandboxed));
    return { program: [program.bin === process.execPath ? 'node' : program.bin, ...program.args].join(' '), directMs, bwrapMs, costMs: round1(bwrapMs - directMs) };
  });
}

function timeStart(command: Command, env: NodeJS.ProcessEnv, cwd: string): number {
  const t0 = performance.now();
  const res = spawnSync(command.bin, command.args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (res.status !== 0) throw new Error(`${command.bin} ${command.args.join(' ')} failed (${res.error?.message ?? `exit ${res.status}`}): ${res.stderr?.toString('utf8')}`);
  return ms;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/** The table's rows for g. */
export function sandboxRows(cost: SandboxCost): [string, string][] {
  if ('skipped' in cost) return [['g. sandbox cost per batch', `skipped: ${cost.skipped}`]];
  const { unconfined: off, confined: on } = cost;
  const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${Math.round(ms)} ms`;
  return [
    [`g. sandbox cost per batch, ${cost.files.toLocaleString('en')} files (required - off)`, `wall ${signed(cost.wallCostMs)}, overhead ${signed(cost.overheadCostMs)} (median of ${cost.runs} rounds; medians required / off: wall ${Math.round(on.durationMs)} / ${Math.round(off.durationMs)} ms, overhead ${on.overheadMs} / ${off.overheadMs} ms, agent phase ${on.phases.agent} / ${off.phases.agent} ms)`],
    ...cost.starts.programs.map((p): [string, string] => [`g. start \`${p.program}\` under the batch's bwrap argv / directly`, `${p.bwrapMs} / ${p.directMs} ms (+${p.costMs} ms, median of ${cost.starts.repetitions})`]),
  ];
}
