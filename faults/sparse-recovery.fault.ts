/**
 * A crash (SIGKILL of the whole nx process group) while a batch runs in a sparse worktree, then the
 * cleanup: by `nx g nx-worktree-ai:prune`, or by the next run. The agent's unfinished work is kept
 * on a branch; that branch must change only the batch's outputs, and merging it as prune advises
 * (`git merge <branch>`) must delete nothing of the user's: the sparse checkout wrote only the
 * batch's cone, and what it did not write is no deletion.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { git, snapshotWorkspaceState, stripAnsi, tryReadResult, type WorkspaceState } from '../testing/workspace';
import { AUTH_MODULE, SAMPLE_PROJECTS } from '../testing/fixtures/six-batches';
import { recordFault } from './support/record';
import { agentProcesses, claudeProcesses, createFaultEnv, leftoverCount, leftovers, log, outputsOf, runNx, TARGET, waitFor, workspaceDiff, type FaultEnv } from './support/harness';

jest.setTimeout(6 * 60_000);

const RUN = ['run-many', '-t', TARGET, '--parallel', '1', '--output-style=static', '--sparse=always'];

interface Verdict {
  problems: string[];
  dataLost: number;
}

const tail = (output: string, lines = 40) => stripAnsi(output).split('\n').slice(-lines).join('\n');

/** The branches holding the batch's unfinished work. */
const keptBranches = (env: FaultEnv) =>
  git(env.ws.root, 'for-each-ref', '--format=%(refname:short)', `refs/heads/ai/auth/${AUTH_MODULE.name}`, `refs/heads/ai-kept/auth/${AUTH_MODULE.name}/`).split('\n').filter(Boolean);

/**
 * The kept branch against its snapshot: only paths under the batch's outputs; and what `git merge`
 * of it into HEAD would delete (merge-tree: nothing in the workspace is touched).
 */
function checkKept(env: FaultEnv, branch: string, verdict: Verdict): string {
  const outputs = outputsOf(env, AUTH_MODULE).map((g) => g.replace(/\*\*$/, ''));
  const base = git(env.ws.root, 'rev-parse', `${branch}^`);
  const changed = git(env.ws.root, 'diff', '--name-status', '--no-renames', base, branch).split('\n').filter(Boolean);
  const outside = changed.filter((line) => !outputs.some((o) => line.split('\t')[1].startsWith(o)));
  if (!changed.length) verdict.problems.push(`${branch} holds none of the agent's work`);
  if (outside.length) verdict.problems.push(`${branch} changes ${outside.length} path(s) outside the outputs: ${outside.slice(0, 5).join(', ')}`);
  const merged = git(env.ws.root, 'merge-tree', '--write-tree', 'HEAD', branch).split('\n')[0];
  const deleted = git(env.ws.root, 'diff-tree', '-r', '--name-only', '--diff-filter=D', 'HEAD', merged).split('\n').filter(Boolean);
  if (deleted.length) verdict.problems.push(`git merge ${branch} would delete ${deleted.length} file(s) of the user's: ${deleted.slice(0, 5).join(', ')}`);
  verdict.dataLost += deleted.length + outside.filter((line) => line.startsWith('D')).length;
  return `${branch} changes ${changed.length} path(s), ${outside.length} outside the outputs; git merge of it deletes ${deleted.length} file(s)`;
}

/** The next run succeeds and leaves the workspace as before but for the batch's outputs. */
function checkNextRun(env: FaultEnv, before: WorkspaceState, code: number, output: string, verdict: Verdict): void {
  if (code !== 0) verdict.problems.push(`the next run failed (exit ${code}):\n${tail(output)}`);
  const status = tryReadResult(env.ws, 'auth', AUTH_MODULE.name)?.status;
  if (status !== 'succeeded') verdict.problems.push(`auth:${AUTH_MODULE.name} is ${status ?? 'without result'} after the next run`);
  const left = leftovers(env);
  if (leftoverCount(left)) verdict.problems.push(`left behind: ${JSON.stringify(left)}`);
  if (agentProcesses(env).length) verdict.problems.push('agent processes left');
  const { diffs } = workspaceDiff(env, before, snapshotWorkspaceState(env.ws));
  verdict.problems.push(...diffs);
  verdict.dataLost += diffs.filter((d) => /^(modified|deleted|created): |^HEAD |^index changed/.test(d)).length;
}

/** Starts the batch sparse and SIGKILLs nx's process group once its agent wrote two files. */
async function crashMidRun(env: FaultEnv): Promise<void> {
  const nx = env.startNx(RUN);
  await waitFor('the agent two writes in', () => env.server.requests.filter((r) => r.kind === 'main' && r.rule === AUTH_MODULE.rule.name && r.reply.startsWith('tool_use')).length >= 3 && claudeProcesses(env).length >= 1);
  nx.signalGroup('SIGKILL');
  await nx.done;
  // A sparse checkout: the batch's cone (libs/auth) and top-level files, none of the other projects.
  const [worktree] = leftovers(env).worktrees;
  if (!worktree || !existsSync(join(worktree, 'libs/auth')) || existsSync(join(worktree, 'apps'))) throw new Error(`expected a sparse worktree left by the crash, found ${worktree ?? 'none'}`);
}

describe('faults: crash in a sparse worktree', () => {
  let env: FaultEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  for (const cleanup of ['prune', 'next run'] as const) {
    const fault = `kill -9 in a sparse worktree, then ${cleanup === 'prune' ? 'nx g nx-worktree-ai:prune' : 'the next run'}`;
    test(fault, async () => {
      const verdict: Verdict = { problems: [], dataLost: 0 };
      let detail = '';
      try {
        env = await createFaultEnv({ projects: SAMPLE_PROJECTS, batches: [AUTH_MODULE], delayMs: 700, prefix: 'nxwa-fault-sparse-' });
        const e = env;
        const before = snapshotWorkspaceState(e.ws);
        await crashMidRun(e);
        const files = git(e.ws.root, 'ls-files').split('\n').length;
        let cleanupOutput = '';
        if (cleanup === 'prune') {
          const prune = await runNx(e, ['g', 'nx-worktree-ai:prune', '--no-interactive']);
          cleanupOutput = stripAnsi(prune.output);
          if (prune.code !== 0 || !/prune cleaned: 1 dead run/.test(cleanupOutput)) verdict.problems.push(`prune (exit ${prune.code}):\n${tail(prune.output)}`);
          const { diffs } = workspaceDiff(e, before, snapshotWorkspaceState(e.ws));
          verdict.problems.push(...diffs.map((d) => `after prune: ${d}`));
        }
        const [branch, ...more] = keptBranches(e);
        // The next run reuses ai/auth/<batch>: the unfinished work must be kept beside it first.
        const keptBefore = cleanup === 'next run' ? null : branch;
        if (cleanup === 'prune' && (!branch || more.length)) verdict.problems.push(`expected one branch with the unfinished work, found ${keptBranches(e).join(', ') || 'none'}`);
        const kept = keptBefore ? checkKept(e, keptBefore, verdict) : null;

        const next = await runNx(e, RUN);
        checkNextRun(e, before, next.code, next.output, verdict);
        const nextOut = stripAnsi(next.output);
        if (cleanup === 'next run') {
          if (!/cleaning up after auth:auth-module/.test(nextOut)) verdict.problems.push(`the next run did not clean up after the crash:\n${tail(next.output)}`);
          const salvaged = /kept the agent's unfinished work on branch (\S+)/.exec(nextOut)?.[1];
          const keptAs = /earlier unintegrated work on \S+ kept as branch (\S+)/.exec(nextOut)?.[1];
          const where = keptAs ?? salvaged;
          if (!where) verdict.problems.push(`the next run did not say where the unfinished work is:\n${tail(next.output)}`);
          else detail = `the next run kept the work: ${checkKept(e, where, verdict)}`;
        } else {
          detail = `prune kept the work: ${kept ?? 'no branch'}`;
        }
        detail += ` (${files} files in the repository); the next run ${next.code === 0 ? 'succeeded' : 'failed'}`;
      } catch (error) {
        verdict.problems.push(`the test itself failed: ${(error as Error).message}`);
      } finally {
        log(`${fault}: ${verdict.problems.length ? `FAILED\n  - ${verdict.problems.join('\n  - ')}` : 'survived'} (${detail})`);
        recordFault({ fault, runs: 1, survived: verdict.problems.length ? 0 : 1, dataLost: verdict.dataLost, detail });
      }
      expect(verdict.problems).toEqual([]);
    });
  }
});
