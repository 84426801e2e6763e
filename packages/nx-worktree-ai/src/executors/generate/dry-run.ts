import { join } from 'node:path';
import { formatDuration } from '../../agents/format';
import { getAdapter } from '../../agents/registry';
import { agentVersion, resolveAgentBin } from '../../agents/resolve-bin';
import { globMatcher } from '../../batch/paths';
import { defaultWorktreeBase, readRepoInfo } from '../../worktree/repo';
import { lookupReplayable } from '../../integrate/replay';
import { batchBranchName } from '../../worktree/worktree';
import { workingTreeFiles } from '../../worktree/working-tree';
import type { BatchRun } from './batch-run';
import { resultCacheKey } from './cache-key';
import { agentRunRequest, promptFileOf } from './invocation';
import { renderPrompt } from './prompt';
import { ARTIFACTS, type BatchResult } from './result';
import type { GenerateOptions } from './schema';

/** Stands for the random suffix `git worktree add` gets in a real run (worktree.ts). */
export const WORKTREE_SUFFIX_PLACEHOLDER = '<random>';

/** What a run of one batch would do, found without running, writing or spending anything. */
export interface DryRunPlan {
  label: string;
  agent: string;
  /** The CLI as the run would start it: absolute path, or the bare name when it is not installed. */
  bin: string;
  binFound: boolean;
  agentVersion: string | null;
  /** argv after the program. */
  args: string[];
  env: Record<string, string>;
  /** What goes on stdin: the prompt (null: nothing, stdin is closed at once). */
  stdin: string | null;
  /** The worktree the agent would run in (its root is the agent's cwd). */
  worktree: string;
  branch: string;
  prompt: string;
  outputs: string[];
  inputs: string[];
  apply: string;
  timeoutMs: number;
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

  return {
    label: run.label,
    agent: run.agent,
    bin: bin ?? binName,
    binFound: Boolean(bin) || Boolean(hit),
    agentVersion: version,
    args: invocation.args,
    env: invocation.env,
    stdin: invocation.stdin,
    worktree,
    branch,
    prompt,
    outputs: run.outputGlobs,
    inputs: run.inputGlobs,
    apply: run.apply,
    timeoutMs: run.timeoutMs,
    cacheKey,
    resultCache: { enabled: options.resultCache, hit: Boolean(hit), record: hit?.record ?? null, original },
  };
}

/** Quotes one argument for a POSIX shell, only when needed: the printed command can be pasted. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_\/.,:=@%+^-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
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
  const command = [plan.bin, ...plan.args].map(shellQuote).join(' ');
  row('command', plan.resultCache.hit ? `${command} (not started: the result is replayed)` : command);
  row('argv', JSON.stringify([plan.bin, ...plan.args]));
  if (Object.keys(plan.env).length) row('env', Object.entries(plan.env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' '));
  row('stdin', plan.stdin === null ? 'closed at once (the prompt is in the arguments)' : `the prompt below (${plan.stdin.length} characters), then closed`);
  row('cwd', `${plan.worktree} (a new git worktree of a snapshot of the workspace; ${WORKTREE_SUFFIX_PLACEHOLDER} is chosen at run time)`);
  row('branch', plan.branch);
  row('outputs', `${plan.outputs.join(', ')} (scope guard: a change to any other path fails the batch and nothing is applied)`);
  row('inputs', plan.inputs.join(', '));
  row('apply', plan.apply);
  row('timeout', formatDuration(plan.timeoutMs));
  lines.push(`${p}   prompt:`);
  for (const line of plan.prompt.replace(/\n$/, '').split('\n')) lines.push(`${p}   | ${line}`);
  return lines;
}
