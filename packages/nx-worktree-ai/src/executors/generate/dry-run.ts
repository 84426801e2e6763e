import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { claudeAgentFile } from '../../agents/options';
import { formatDuration } from '../../agents/format';
import { getAdapter } from '../../agents/registry';
import { agentVersion, resolveAgentBin } from '../../agents/resolve-bin';
import { globMatcher } from '../../batch/paths';
import { defaultWorktreeBase, readRepoInfo } from '../../worktree/repo';
import { lookupReplayable } from '../../integrate/replay';
import { batchBranchName } from '../../worktree/worktree';
import { workingTreeFiles } from '../../worktree/working-tree';
import type { BatchRun } from '../../resolve/resolve';
import { resultCacheKey } from '../../run/cache-key';
import { agentRunRequest, agentSection, promptFileOf } from '../../run/invocation';
import { renderPrompt } from '../../run/prompt';
import { ARTIFACTS, type BatchResult } from '../../results/result';
import type { GenerateOptions } from '../../resolve/options';
import { chooseSandbox, confineCommand, confinementFor } from '../../sandbox';
import { shellQuote } from '../../utils/shell-quote';

/** Stands for the random suffix `git worktree add` gets in a real run (worktree.ts). */
export const WORKTREE_SUFFIX_PLACEHOLDER = '<random>';

/** What a run of one batch would do, found without running, writing or spending anything. */
export interface DryRunPlan {
  label: string;
  agent: string;
  /** claude's `--agent` (the batch's claude.agent): its definition file and whether the workspace has it. */
  agentDefinition: { name: string; file: string; found: boolean } | null;
  /** The CLI as the run would start it: absolute path, or the bare name when it is not installed. */
  bin: string;
  binFound: boolean;
  agentVersion: string | null;
  /** argv after the program. */
  args: string[];
  env: Record<string, string>;
  /** The OS sandbox: the program run (bwrap) and what the agent may write; or why there is none. */
  sandbox: { bwrap: string; argv: string[]; writable: string[] } | { bwrap: null; why: string };
  /** What goes on stdin: the prompt (null: nothing, stdin is closed at once). */
  stdin: string | null;
  /** The worktree the agent would run in (its root is the agent's cwd). */
  worktree: string;
  branch: string;
  prompt: string;
  outputs: string[];
  /** The batch's allowEmpty: whether a run whose agent changes no file succeeds. */
  allowEmpty: boolean;
  inputs: string[];
  apply: string;
  timeoutMs: number;
  /** The check the work must pass before it is applied, and the agent runs it may take. */
  verify: BatchRun['verify'];
  /** The agent of each sample (one entry: no samples). */
  samples: BatchRun['samples'];
  cacheKey: string;
  resultCache: { enabled: boolean; hit: boolean; record: string | null; original: Partial<BatchResult> | null };
}

/**
 * The dry run: every step of a run up to starting the agent, read-only. It resolves the CLI (and
 * asks its version: no model request), renders the prompt, builds the exact invocation the run
 * would use, computes the result-cache key from the working tree without writing a snapshot
 * (worktree/working-tree.ts: no object, no index, no ref) and looks the key up. It creates no
 * worktree and no branch, and writes no artifact.
 */
export async function planDryRun(run: BatchRun, options: GenerateOptions, root: string): Promise<DryRunPlan> {
  const repo = await readRepoInfo(root);
  const prompt = renderPrompt(run);
  const branch = batchBranchName(run.project, run.spec.name);

  const isInput = globMatcher(run.inputGlobs);
  const isOutput = globMatcher(run.outputGlobs);
  const files = await workingTreeFiles(repo, (path) => isInput(path) && !isOutput(path));
  const cacheKey = resultCacheKey(run, prompt, options.agentArgs, files);
  const hit = options.resultCache ? await lookupReplayable(repo, cacheKey) : null;
  let original: Partial<BatchResult> | null = null;
  if (hit?.artifacts[ARTIFACTS.result]) {
    try {
      original = JSON.parse(hit.artifacts[ARTIFACTS.result].toString('utf8')) as Partial<BatchResult>;
    } catch {
      original = null;
    }
  }

  const adapter = getAdapter(run.agent);
  const worktree = join(options.worktreeDir ?? defaultWorktreeBase(root), `${`${run.project}--${run.spec.name}`.replace(/[^A-Za-z0-9._-]/g, '_')}-${WORKTREE_SUFFIX_PLACEHOLDER}`);
  const invocation = adapter.buildInvocation(agentRunRequest(run, options, { prompt, promptFile: promptFileOf(worktree), cwd: worktree }));
  const binName = adapter.bin || invocation.bin;
  // A replay starts no agent: the CLI is not needed then, as in a real run.
  const bin = hit ? null : resolveAgentBin(binName, root, options.agentBin);
  const version = bin ? await agentVersion(bin, adapter.versionArgs) : null;
  const gitDir = join(repo.commonDir, 'worktrees', worktree.split('/').pop()!);
  const sandbox = dryRunSandbox(run, { bin: bin ?? binName, args: invocation.args }, invocation.env, { agent: run.agent, env: invocation.env, worktreeDir: worktree, gitDir, commonDir: repo.commonDir, branch, branchTip: '<snapshot>' });

  const definition = run.agent === 'claude' ? agentSection(run).agent : undefined;
  return {
    label: run.label,
    agent: run.agent,
    agentDefinition: typeof definition === 'string' ? { name: definition, file: claudeAgentFile(definition), found: existsSync(join(root, claudeAgentFile(definition))) } : null,
    bin: bin ?? binName,
    binFound: Boolean(bin) || Boolean(hit),
    agentVersion: version,
    args: invocation.args,
    env: invocation.env,
    sandbox,
    stdin: invocation.stdin,
    worktree,
    branch,
    prompt,
    outputs: run.outputGlobs,
    allowEmpty: run.spec.frontmatter.allowEmpty === true,
    inputs: run.inputGlobs,
    apply: run.apply,
    timeoutMs: run.timeoutMs,
    verify: run.verify,
    samples: run.samples,
    cacheKey,
    resultCache: { enabled: options.resultCache, hit: Boolean(hit), record: hit?.record ?? null, original },
  };
}

/** The sandbox a run would use, with the exact command line it would start (nothing is made). */
function dryRunSandbox(run: BatchRun, command: { bin: string; args: string[] }, env: Record<string, string>, input: Parameters<typeof confinementFor>[0]): DryRunPlan['sandbox'] {
  let choice;
  try {
    choice = chooseSandbox(run.sandbox);
  } catch (error) {
    return { bwrap: null, why: `${(error as Error).message.replace(/ Nothing was run\.$/, '')}: a run would fail here` };
  }
  if (choice.bwrap === null) return { bwrap: null, why: choice.why ? `not available (${choice.why}): the agent would run unconfined` : 'off (sandbox: off)' };
  const confinement = confinementFor(input, false);
  const confined = confineCommand(run.agent, choice.bwrap, confinement, input.worktreeDir, command, env);
  return { bwrap: choice.bwrap, argv: [confined.bin, ...confined.args], writable: confinement.writable };
}

function verifyRow(verify: DryRunPlan['verify']): string {
  if (!verify) return 'none: the work is applied once it passes the guards above';
  const fixes = verify.attempts > 1 ? `up to ${verify.attempts} agent runs: while it fails, the session is resumed with its output to fix the work` : '1 agent run: a failure fails the batch';
  return `${verify.argv.map(shellQuote).join(' ')} in the worktree root after the agent (no shell, timeout ${formatDuration(verify.timeoutMs)}); ${fixes}; work that fails it is never applied`;
}

/** The dry run as the lines the executor prints. */
export function formatDryRun(plan: DryRunPlan): string[] {
  const p = `[${plan.label}]`;
  const lines: string[] = [`${p} dry run: nothing is started, written or spent`];
  const row = (key: string, value: string) => lines.push(`${p}   ${key.padEnd(12)} ${value}`);

  if (plan.resultCache.hit) {
    const o = plan.resultCache.original;
    const from = [o?.sessionId ? `session ${o.sessionId}` : null, o?.finishedAt ? `run ${o.finishedAt}` : null].filter(Boolean).join(', ');
    row('result cache', `HIT: a run would replay record ${plan.resultCache.record}${from ? ` (${from})` : ''}, ${o?.filesChanged?.length ?? '?'} file(s), no agent and no model request`);
  } else {
    row('result cache', plan.resultCache.enabled ? 'miss: a run would start the agent' : 'off (resultCache: false): a run would start the agent');
  }
  row('cache key', plan.cacheKey);
  if (!plan.binFound) row('agent', `${plan.agent}: "${plan.bin}" NOT FOUND in node_modules/.bin or on PATH: a run would fail here`);
  else if (!plan.resultCache.hit) row('agent', `${plan.agent}${plan.agentVersion ? ` ${plan.agentVersion}` : ''} (${plan.bin})`);
  if (plan.agentDefinition) {
    const { name, file, found } = plan.agentDefinition;
    row('agent def', found ? `${file} found in the workspace: claude runs as agent "${name}" (--agent ${name})` : `${file} NOT FOUND in the workspace: claude looks for agent "${name}" in the worktree's .claude/agents/ and in ~/.claude/agents/`);
  }
  const command = [plan.bin, ...plan.args].map(shellQuote).join(' ');
  row('command', plan.resultCache.hit ? `${command} (not started: the result is replayed)` : command);
  row('argv', JSON.stringify([plan.bin, ...plan.args]));
  if (plan.sandbox.bwrap !== null) {
    row('sandbox', `bubblewrap: the agent may write only ${plan.sandbox.writable.join(', ')}; everything else is read-only to it`);
    row('sandboxed', JSON.stringify(plan.sandbox.argv));
  } else {
    row('sandbox', plan.sandbox.why);
  }
  if (Object.keys(plan.env).length) row('env', Object.entries(plan.env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' '));
  row('stdin', plan.stdin === null ? 'closed at once (the prompt is in the arguments)' : `the prompt below (${plan.stdin.length} characters), then closed`);
  row('cwd', `${plan.worktree} (a new git worktree of a snapshot of the workspace; ${WORKTREE_SUFFIX_PLACEHOLDER} is chosen at run time)`);
  row('branch', plan.branch);
  row('outputs', `${plan.outputs.join(', ')} (scope guard: a change to any other path fails the batch and nothing is applied)`);
  row(
    'no change',
    plan.allowEmpty
      ? 'allowEmpty: true: a run whose agent changes no file succeeds (status "empty", never stored in the result cache)'
      : 'a run whose agent changes no file fails (status "empty"); allowEmpty: true in the batch file accepts it',
  );
  row('inputs', plan.inputs.join(', '));
  row('apply', plan.apply);
  row('timeout', formatDuration(plan.timeoutMs));
  row('verify', verifyRow(plan.verify));
  if (plan.samples.length > 1) {
    const branches = plan.samples.map((_, i) => `${plan.branch}--sample-${i + 1}`).join(', ');
    row('samples', `${plan.samples.length} at once (${plan.samples.join(', ')}), each in its own worktree on ${branches}; the first that passes verify is applied, the others are stopped`);
  }
  lines.push(`${p}   prompt:`);
  for (const line of plan.prompt.replace(/\n$/, '').split('\n')) lines.push(`${p}   | ${line}`);
  return lines;
}
