/**
 * "Nothing lost, nobody in": processes killed, hung, interrupted and crashed for real, in real Nx
 * workspaces built from the packed tarball, with the real claude CLI against the scripted model
 * server (delays keep runs mid-flight when the fault hits). After each fault a second run must
 * succeed, and then: no agent process, no worktree, lock, registry entry or temp file left, the
 * workspace byte-identical to before except the outputs of batches that succeeded, and every
 * finished agent's work reachable on a branch or in the result cache.
 *
 * Keep the workspaces for inspection: NX_WORKTREE_AI_FAULTS_KEEP=1.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { git, snapshotWorkspaceState, stripAnsi, tryReadResult, useWorktreeConfig, type NxResult, type WorkspaceState } from '../testing/workspace';
import { AUTH_MODULE, DASHBOARD_SCAFFOLD, SAMPLE_PROJECTS, SIX_BATCHES, type FixtureBatch } from '../testing/fixtures/six-batches';
import type { RequestLogEntry } from '../testing/scripted-model/anthropic';
import { recordFault } from './support/record';
import {
  agentProcesses,
  claudeProcesses,
  createFaultEnv,
  finishedAgents,
  gitLockErrors,
  leftoverCount,
  leftovers,
  log,
  lostWork,
  runNx,
  TARGET,
  timeUntilNoAgents,
  waitFor,
  workspaceDiff,
  type FaultEnv,
} from './support/harness';

jest.setTimeout(6 * 60_000);

// Static output style: every task's output is shown (Nx 24 in CI hides that of successful tasks),
// so the logs and the grep for git lock errors see everything.
const RUN_MANY = (parallel: number) => ['run-many', '-t', TARGET, '--parallel', String(parallel), '--output-style=static'];

interface Verdict {
  problems: string[];
  dataLost: number;
}

/**
 * The checks after the run that follows a fault: that run succeeded, nothing is left, the
 * workspace is as it should be, no finished agent's work is lost.
 */
function checkAfterNextRun(env: FaultEnv, before: WorkspaceState, next: NxResult): Verdict {
  const problems: string[] = [];
  if (next.code !== 0) problems.push(`the next run failed (exit ${next.code}):\n${tail(next.output)}`);
  for (const b of env.batches) {
    const status = tryReadResult(env.ws, b.project, b.name)?.status;
    if (status !== 'succeeded' && status !== 'replayed') problems.push(`${b.project}:${b.name} is ${status ?? 'without result'} after the next run`);
  }
  const procs = agentProcesses(env);
  if (procs.length) problems.push(`agent processes left: ${procs.map((p) => `${p.pid} ${p.cmdline.slice(0, 80)}`).join('; ')}`);
  const left = leftovers(env);
  if (leftoverCount(left)) problems.push(`left behind: ${JSON.stringify(left)}`);
  const { diffs } = workspaceDiff(env, before, snapshotWorkspaceState(env.ws));
  problems.push(...diffs);
  const lost = lostWork(env, finishedAgents(env, env.server.requests));
  if (lost.length) problems.push(`finished agent work not reachable: ${lost.join(', ')}`);
  return { problems, dataLost: lost.length + userFilesChanged(diffs) };
}

/** Diff lines that are changes to the user's files, index or HEAD (not a batch's own outputs). */
function userFilesChanged(diffs: string[]): number {
  return diffs.filter((d) => /^(modified|deleted|created): |^HEAD |^index changed|^git status changed/.test(d)).length;
}

function tail(output: string, lines = 40): string {
  return stripAnsi(output).split('\n').slice(-lines).join('\n');
}

const mainRequestsOf = (env: FaultEnv, b: FixtureBatch): RequestLogEntry[] => env.server.requests.filter((r) => r.kind === 'main' && r.rule === b.rule.name);

function report(fault: string, verdict: Verdict, detail: string): void {
  log(`${fault}: ${verdict.problems.length ? `FAILED\n  - ${verdict.problems.join('\n  - ')}` : 'survived'} (${detail})`);
  recordFault({ fault, runs: 1, survived: verdict.problems.length ? 0 : 1, dataLost: verdict.dataLost, detail });
}

describe('faults: processes killed, hung, interrupted, crashed', () => {
  let env: FaultEnv | undefined;
  beforeAll(() => {
    // Agent processes are found by scanning /proc (cwd and command line of every process).
    if (process.platform !== 'linux') throw new Error(`the fault suite needs Linux (/proc); this is ${process.platform}: run it in CI or a Linux container`);
  });
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  test('agent SIGKILLed mid-run', async () => {
    const fault = 'agent SIGKILLed mid-run';
    const verdict: Verdict = { problems: [], dataLost: 0 };
    let detail = '';
    try {
      env = await createFaultEnv({ projects: SAMPLE_PROJECTS, batches: [AUTH_MODULE, DASHBOARD_SCAFFOLD], delayMs: 700, prefix: 'nxwa-fault-kill-' });
      const e = env;
      const before = snapshotWorkspaceState(e.ws);
      const nx = e.startNx(RUN_MANY(2));
      // Mid-run: the agent made two tool calls of its script already.
      const victim = await waitFor('auth-module agent mid-run', () => {
        if (mainRequestsOf(e, AUTH_MODULE).filter((r) => r.reply.startsWith('tool_use')).length < 2) return null;
        return claudeProcesses(e).find((p) => p.cwd?.includes('/auth--auth-module-'));
      });
      process.kill(victim.pid, 'SIGKILL');
      const first = await nx.done;
      const gone = await timeUntilNoAgents(e, 5000);
      if (first.code === 0) verdict.problems.push('the run with a killed agent reported success');
      if (gone === null) verdict.problems.push('agent processes left after the run with the killed agent');
      const killed = tryReadResult(e.ws, 'auth', AUTH_MODULE.name);
      if (killed?.status !== 'failed') verdict.problems.push(`auth-module is ${killed?.status} after its agent was killed`);
      const afterKill = workspaceDiff(e, before, snapshotWorkspaceState(e.ws));
      verdict.problems.push(...afterKill.diffs.map((d) => `after the kill: ${d}`));

      const next = await runNx(e, RUN_MANY(2));
      const after = checkAfterNextRun(e, before, next);
      verdict.problems.push(...after.problems);
      verdict.dataLost = after.dataLost + userFilesChanged(afterKill.diffs);
      detail = `killed claude pid ${victim.pid} after 2 tool calls; its run failed with "${(killed?.error ?? '').slice(0, 60)}"; next run ${(next.durationMs / 1000).toFixed(1)} s`;
    } catch (error) {
      verdict.problems.push(`the test itself failed: ${(error as Error).message}`);
    } finally {
      report(fault, verdict, detail);
    }
    expect(verdict.problems).toEqual([]);
  });

  test('agent hangs past its timeout', async () => {
    const fault = 'agent hangs past its timeout';
    const verdict: Verdict = { problems: [], dataLost: 0 };
    let detail = '';
    try {
      // The model answers the first tool call, then never again (first session only): the batch's
      // 10 s timeout must stop the agent's whole process group.
      const [firstStep, ...rest] = AUTH_MODULE.rule.steps;
      const hanging: FixtureBatch = {
        ...AUTH_MODULE,
        frontmatter: { ...AUTH_MODULE.frontmatter, timeout: '10s' },
        rule: { ...AUTH_MODULE.rule, steps: [firstStep, { hang: { sessions: 1 } }, ...rest] },
      };
      env = await createFaultEnv({ projects: SAMPLE_PROJECTS, batches: [hanging], delayMs: 200, prefix: 'nxwa-fault-hang-' });
      const e = env;
      const before = snapshotWorkspaceState(e.ws);
      const nx = e.startNx(RUN_MANY(1));
      await waitFor('the model to hang', () => mainRequestsOf(e, hanging).some((r) => r.reply === 'hang'));
      const hungAt = Date.now();
      const first = await nx.done;
      const stoppedAfter = Date.now() - hungAt;
      if (first.code === 0) verdict.problems.push('the run whose agent hung reported success');
      if (agentProcesses(e).length) verdict.problems.push('agent processes left after the timed-out run');
      const result = tryReadResult(e.ws, 'auth', hanging.name);
      if (result?.status !== 'failed' || !/timed out|timeout/i.test(result.error ?? '')) verdict.problems.push(`result after the hang: ${result?.status} ${result?.error}`);
      const afterHang = workspaceDiff(e, before, snapshotWorkspaceState(e.ws));
      verdict.problems.push(...afterHang.diffs.map((d) => `after the timeout: ${d}`));

      const next = await runNx(e, RUN_MANY(1));
      const after = checkAfterNextRun(e, before, next);
      verdict.problems.push(...after.problems);
      verdict.dataLost = after.dataLost + userFilesChanged(afterHang.diffs);
      detail = `model hung after 1 tool call; run ended ${(stoppedAfter / 1000).toFixed(1)} s later: "${(result?.error ?? '').slice(0, 70)}"`;
    } catch (error) {
      verdict.problems.push(`the test itself failed: ${(error as Error).message}`);
    } finally {
      report(fault, verdict, detail);
    }
    expect(verdict.problems).toEqual([]);
  });

  test('nx interrupted with SIGINT while six batches run', async () => {
    const fault = 'nx interrupted (SIGINT) while six batches run';
    const verdict: Verdict = { problems: [], dataLost: 0 };
    let detail = '';
    try {
      env = await createFaultEnv({ projects: SAMPLE_PROJECTS, batches: SIX_BATCHES, delayMs: 600, prefix: 'nxwa-fault-sigint-' });
      const e = env;
      const before = snapshotWorkspaceState(e.ws);
      const nx = e.startNx(RUN_MANY(6));
      const running = await waitFor('three agents mid-run', () => {
        const agents = claudeProcesses(e);
        const toolCalls = e.server.requests.filter((r) => r.kind === 'main' && r.reply.startsWith('tool_use')).length;
        return agents.length >= 3 && toolCalls >= 4 ? agents.length : 0;
      });
      const t0 = Date.now();
      // A terminal's Ctrl-C: SIGINT to the foreground process group (nx and its task processes).
      nx.signalGroup('SIGINT');
      const gone = await timeUntilNoAgents(e, 5000, t0);
      let timer: NodeJS.Timeout | undefined;
      const first = await Promise.race([nx.done, new Promise<null>((r) => (timer = setTimeout(() => r(null), 60_000)))]);
      clearTimeout(timer);
      const exitedAfter = Date.now() - t0;
      if (!first) {
        nx.signalGroup('SIGKILL');
        verdict.problems.push('nx did not exit within 60 s of SIGINT');
      }
      if (gone === null) verdict.problems.push(`agent processes still running 5 s after SIGINT: ${agentProcesses(e).map((p) => p.pid).join(', ')}`);
      // Told right: a batch the SIGINT stopped says "interrupted", never a failed agent ("exited with code 143").
      for (const b of SIX_BATCHES) {
        const r = tryReadResult(e.ws, b.project, b.name);
        if (r && r.status !== 'succeeded' && r.status !== 'interrupted') verdict.problems.push(`${b.project}:${b.name} is ${r.status} after SIGINT: ${r.error}`);
      }
      const atExit = leftovers(e);
      if (atExit.worktrees.length) verdict.problems.push(`worktrees left when nx exited: ${atExit.worktrees.join(', ')}`);
      const afterInt = workspaceDiff(e, before, snapshotWorkspaceState(e.ws));
      verdict.problems.push(...afterInt.diffs.map((d) => `after SIGINT: ${d}`));
      const doneBefore = afterInt.succeeded.length;

      const next = await runNx(e, RUN_MANY(6));
      const after = checkAfterNextRun(e, before, next);
      verdict.problems.push(...after.problems);
      verdict.dataLost = after.dataLost + userFilesChanged(afterInt.diffs);
      detail =
        `SIGINT with ${running} agents running, ${doneBefore} batch(es) done; agents gone in ${gone ?? '>5000'} ms, nx exit ${first?.code ?? 'none'}` +
        ` ${(exitedAfter / 1000).toFixed(1)} s after SIGINT; worktrees left at exit: ${atExit.worktrees.length}; registry entries: ${atExit.registry.length}`;
    } catch (error) {
      verdict.problems.push(`the test itself failed: ${(error as Error).message}`);
    } finally {
      report(fault, verdict, detail);
    }
    expect(verdict.problems).toEqual([]);
  });

  test('machine crash: SIGKILL of the whole nx process group mid-run, then a second run', async () => {
    const fault = 'crash: kill -9 of the nx process group, then a second run';
    const verdict: Verdict = { problems: [], dataLost: 0 };
    let detail = '';
    try {
      env = await createFaultEnv({ projects: SAMPLE_PROJECTS, batches: SIX_BATCHES, delayMs: 600, prefix: 'nxwa-fault-crash-' });
      const e = env;
      const before = snapshotWorkspaceState(e.ws);
      const nx = e.startNx(RUN_MANY(6));
      // Mid-run: one agent finished its script, others still working.
      await waitFor('one agent finished and another still running', () => finishedAgents(e, e.server.requests).length >= 1 && claudeProcesses(e).length >= 1);
      const finishedAtCrash = finishedAgents(e, e.server.requests).map((b) => `${b.project}:${b.name}`);
      nx.signalGroup('SIGKILL');
      await nx.done;
      // The agents run in their own process groups: a SIGKILL of nx's group leaves them orphaned.
      const orphans = claudeProcesses(e).length;
      const atCrash = leftovers(e);
      // A batch whose agent had finished may have been integrating when the kill came.
      const landing = e.batches.filter((b) => finishedAtCrash.includes(`${b.project}:${b.name}`));
      const afterCrash = workspaceDiff(e, before, snapshotWorkspaceState(e.ws), landing);
      verdict.problems.push(...afterCrash.diffs.map((d) => `after the crash: ${d}`));

      const next = await runNx(e, RUN_MANY(6));
      const after = checkAfterNextRun(e, before, next);
      verdict.problems.push(...after.problems);
      verdict.dataLost = after.dataLost + userFilesChanged(afterCrash.diffs);
      const recovered = (stripAnsi(next.output).match(/cleaning up after /g) ?? []).length;
      detail =
        `crash with ${finishedAtCrash.length} agent(s) finished (${finishedAtCrash.join(', ')}), ${orphans} orphaned agent(s), ` +
        `${atCrash.worktrees.length} worktree(s) and ${atCrash.registry.length} registry entries left; second run recovered ${recovered} dead run(s) in ${(next.durationMs / 1000).toFixed(1)} s`;
    } catch (error) {
      verdict.problems.push(`the test itself failed: ${(error as Error).message}`);
    } finally {
      report(fault, verdict, detail);
    }
    expect(verdict.problems).toEqual([]);
  });

  test('kill -9 in the middle of integration', async () => {
    const fault = 'kill -9 between two workspace writes of an integration';
    const verdict: Verdict = { problems: [], dataLost: 0 };
    let detail = '';
    try {
      env = await createFaultEnv({ projects: SAMPLE_PROJECTS, batches: [AUTH_MODULE], delayMs: 100, prefix: 'nxwa-fault-apply-' });
      const e = env;
      const before = snapshotWorkspaceState(e.ws);
      const outputs = Object.keys(AUTH_MODULE.expectedFiles);
      // The executor SIGKILLs itself after writing the first of the batch's files (test-only hook).
      const first = await runNx(e, RUN_MANY(1), 240_000, { NX_WORKTREE_AI_FAULT_KILL_AFTER_WRITES: '1' });
      const partial = outputs.filter((p) => existsSync(join(e.ws.root, p)));
      if (first.code === 0) verdict.problems.push('the run killed during integration reported success');
      if (partial.length !== 1) verdict.problems.push(`expected 1 of ${outputs.length} files written at the kill, found ${partial.length}`);

      // Any later run undoes the half-done integration first; prune does the same alone.
      const prune = await runNx(e, ['g', 'nx-worktree-ai:prune', '--no-interactive']);
      if (prune.code !== 0 || !/file of an interrupted integration put back/.test(stripAnsi(prune.output))) verdict.problems.push(`prune (exit ${prune.code}):\n${tail(prune.output)}`);
      const afterPrune = workspaceDiff(e, before, snapshotWorkspaceState(e.ws));
      verdict.problems.push(...afterPrune.diffs.map((d) => `after prune: ${d}`));

      const next = await runNx(e, RUN_MANY(1));
      const after = checkAfterNextRun(e, before, next);
      verdict.problems.push(...after.problems);
      verdict.dataLost = after.dataLost + userFilesChanged(afterPrune.diffs);
      detail =
        `killed with ${partial.length} of ${outputs.length} files written (${partial.join(', ')}); prune put the workspace back byte for byte ` +
        `in ${(prune.durationMs / 1000).toFixed(1)} s (the killed run held the workspace lock, stale after 10 s); the next run integrated all ${outputs.length}`;
    } catch (error) {
      verdict.problems.push(`the test itself failed: ${(error as Error).message}`);
    } finally {
      report(fault, verdict, detail);
    }
    expect(verdict.problems).toEqual([]);
  });

  test('crash, then nx g nx-worktree-ai:prune', async () => {
    const fault = 'crash, then nx g nx-worktree-ai:prune';
    const verdict: Verdict = { problems: [], dataLost: 0 };
    let detail = '';
    try {
      const batches = [AUTH_MODULE, DASHBOARD_SCAFFOLD];
      env = await createFaultEnv({ projects: SAMPLE_PROJECTS, batches, delayMs: 700, prefix: 'nxwa-fault-prune-' });
      const e = env;
      const before = snapshotWorkspaceState(e.ws);
      const nx = e.startNx(RUN_MANY(2));
      await waitFor('both agents mid-run', () => batches.every((b) => mainRequestsOf(e, b).filter((r) => r.reply.startsWith('tool_use')).length >= 2) && claudeProcesses(e).length >= 2);
      nx.signalGroup('SIGKILL');
      await nx.done;
      const atCrash = leftovers(e);
      const orphans = claudeProcesses(e).length;

      const dry = await runNx(e, ['g', 'nx-worktree-ai:prune', '--dry-run', '--no-interactive']);
      const dryOut = stripAnsi(dry.output);
      if (dry.code !== 0 || !/would clean: 2 dead runs/.test(dryOut)) verdict.problems.push(`prune --dry-run (exit ${dry.code}):\n${tail(dry.output)}`);
      // (The orphaned agents may still be writing into their worktrees: compare what prune would remove.)
      const afterDry = leftovers(e);
      if (JSON.stringify([afterDry.worktrees, afterDry.registry]) !== JSON.stringify([atCrash.worktrees, atCrash.registry])) verdict.problems.push('prune --dry-run changed something');

      const prune = await runNx(e, ['g', 'nx-worktree-ai:prune', '--no-interactive']);
      const pruneOut = stripAnsi(prune.output);
      if (prune.code !== 0 || !/prune cleaned: 2 dead runs/.test(pruneOut)) verdict.problems.push(`prune (exit ${prune.code}):\n${tail(prune.output)}`);
      const procs = agentProcesses(e);
      if (procs.length) verdict.problems.push(`agent processes left after prune: ${procs.map((p) => p.pid).join(', ')}`);
      const left = leftovers(e);
      if (leftoverCount(left)) verdict.problems.push(`left behind after prune: ${JSON.stringify(left)}`);
      const afterPrune = workspaceDiff(e, before, snapshotWorkspaceState(e.ws));
      verdict.problems.push(...afterPrune.diffs.map((d) => `after prune: ${d}`));
      // What the killed agents had written is on their branches, which prune keeps (not integrated).
      const kept = batches.filter((b) => /Kept 2 branches with work found nowhere else/.test(pruneOut) && git(e.ws.root, 'ls-tree', '-r', '--name-only', `ai/${b.project}/${b.name}`).includes(Object.keys(b.expectedFiles)[0]));
      if (kept.length !== 2) verdict.problems.push(`unfinished work kept on ${kept.length}/2 branches:\n${tail(prune.output)}`);

      const next = await runNx(e, RUN_MANY(2));
      const after = checkAfterNextRun(e, before, next);
      verdict.problems.push(...after.problems);
      verdict.dataLost = after.dataLost + userFilesChanged(afterPrune.diffs);
      detail = `crash left ${atCrash.worktrees.length} worktrees, ${atCrash.registry.length} registry entries, ${orphans} orphaned agents; prune cleaned them and kept the unfinished work on ${kept.length} branches`;
    } catch (error) {
      verdict.problems.push(`the test itself failed: ${(error as Error).message}`);
    } finally {
      report(fault, verdict, detail);
    }
    expect(verdict.problems).toEqual([]);
  });

  test('sixteen batches at once (--parallel 16) on two cores', async () => {
    const fault = 'sixteen batches at once (--parallel 16)';
    const verdict: Verdict = { problems: [], dataLost: 0 };
    let detail = '';
    try {
      const { projects, batches } = sixteenBatches();
      env = await createFaultEnv({ projects, batches, delayMs: 200, prefix: 'nxwa-fault-16-' });
      const e = env;
      // Every worktree git adds gets a copy of the main worktree's config.worktree while the other
      // batches' agents run.
      useWorktreeConfig(e.ws.root);
      const before = snapshotWorkspaceState(e.ws);
      let peak = 0;
      const nx = e.startNx(RUN_MANY(16));
      const sampler = setInterval(() => (peak = Math.max(peak, claudeProcesses(e).length)), 200);
      const first = await nx.done.finally(() => clearInterval(sampler));
      const lockErrors = gitLockErrors(first.output);
      if (lockErrors.length) verdict.problems.push(`git lock errors: ${lockErrors.join(' | ')}`);
      if (first.code !== 0) verdict.problems.push(`the run failed (exit ${first.code}):\n${tail(first.output)}`);
      // How many overlap depends on the machine (agents start as the lock-serialised setup of each
      // run lets them); the row reports it, and only insists that they did overlap.
      if (e.server.maxConcurrentSessions < 2) verdict.problems.push(`the batches did not run at once (${e.server.maxConcurrentSessions} session at a time)`);
      const afterFirst = checkAfterNextRun(e, before, first);
      verdict.problems.push(...afterFirst.problems);

      // Sixteen replays from the result cache at once, all taking the workspace lock.
      const replay = await runNx(e, [...RUN_MANY(16), '--skip-nx-cache']);
      const replayLockErrors = gitLockErrors(replay.output);
      if (replayLockErrors.length) verdict.problems.push(`git lock errors in the replay: ${replayLockErrors.join(' | ')}`);
      const replayed = batches.filter((b) => tryReadResult(e.ws, b.project, b.name)?.status === 'replayed').length;
      if (replayed !== 16) verdict.problems.push(`${replayed}/16 batches replayed from the result cache`);
      const afterReplay = checkAfterNextRun(e, before, replay);
      verdict.problems.push(...afterReplay.problems);
      verdict.dataLost = afterFirst.dataLost + afterReplay.dataLost;
      detail =
        `16 batches on ${require('node:os').cpus().length} cores in ${(first.durationMs / 1000).toFixed(1)} s, up to ${peak} claude processes and ` +
        `${e.server.maxConcurrentSessions} model sessions at once; 16 replays in ${(replay.durationMs / 1000).toFixed(1)} s; ` +
        `"index.lock"/"cannot lock ref" lines: ${lockErrors.length + replayLockErrors.length}`;
    } catch (error) {
      verdict.problems.push(`the test itself failed: ${(error as Error).message}`);
    } finally {
      report(fault, verdict, detail);
    }
    expect(verdict.problems).toEqual([]);
  });
});

/** Four projects with four independent batches each; every batch writes two files of its own. */
function sixteenBatches(): { projects: typeof SAMPLE_PROJECTS; batches: FixtureBatch[] } {
  const projects: typeof SAMPLE_PROJECTS = {};
  const batches: FixtureBatch[] = [];
  for (let p = 1; p <= 4; p++) {
    const project = `lib${p}`;
    const root = `libs/${project}`;
    projects[project] = { root, files: { 'src/index.ts': `export const name = '${project}';\n` } };
    for (let n = 1; n <= 4; n++) {
      const name = `part-${n}`;
      const match = `Write part ${n} of ${project}`;
      const files = {
        [`${root}/src/part${n}/index.ts`]: `export const part = ${n};\nexport const project = '${project}';\n`,
        [`${root}/src/part${n}/README.md`]: `# ${project} part ${n}\n`,
      };
      batches.push({
        project,
        name,
        frontmatter: { description: `${match}.`, agent: 'claude', outputs: [`src/part${n}/**`], timeout: '5m', maxTurns: 6 },
        prompt: `${match} in \`src/part${n}/\`: an index.ts and a README.md.\n`,
        rule: {
          name: `${project}:${name}`,
          match,
          steps: [...Object.entries(files).map(([path, content]) => ({ write: { path, content } })), { text: `Wrote ${project} part ${n}.` }],
        },
        expectedFiles: files,
        reads: [],
      });
    }
  }
  return { projects, batches };
}
