import { writeFileSync } from 'node:fs';
import { oneLine } from '../agents/format';
import { getAdapter } from '../agents/registry';
import type { AttemptRecord } from '../results/result';
import type { VerifySettings } from '../resolve/verify';
import { runAgent, type AgentRunInput } from './agent';
import type { AgentOutcome } from './attempts';
import { fixPrompt } from './fix-prompt';
import { addAttempt, emptyTotals, tokensSince, type AttemptTotals } from './retry';
import type { RunState } from './state';
import { checkWork } from './check-work';
import { verifyLine, verifyPassed, type VerifyRun } from './verify';

export type { AttemptRecord };

/**
 * Batches with `verify`: checks the agent's work in its worktree; while the check fails and
 * attempts remain, the same session is resumed with the check's command, exit code and output
 * tail, and the work is checked again. The work stays in the worktree between attempts, so each
 * fix builds on the last. Returns the agent's outcome with every attempt and, when the work never
 * passed, why (the run then fails and nothing is integrated).
 */
export async function proveWork(state: RunState, settings: VerifySettings, input: AgentRunInput, first: AgentOutcome): Promise<AgentOutcome> {
  const { run, options, ctx, life } = state;
  const attempts: AttemptRecord[] = [];
  let { totals, failure } = first;
  let current = first.totals;
  const cumulative = getAdapter(run.agent).sessionUsage === 'cumulative';
  let reported = first.lastResult?.tokens ?? null;
  for (let n = 1; ; n++) {
    const stopped = life.guard.received || input.stop?.aborted;
    if (failure || stopped) {
      attempts.push(attemptRecord(current, null));
      return { totals, failure, attempts, verifyFailure: null };
    }
    const verify = await checkWork(state, settings, input);
    attempts.push(attemptRecord(current, verify));
    input.transcript.push(JSON.stringify({ type: 'nx-worktree-ai', event: 'verify', attempt: n, exitCode: verify.exitCode, durationMs: verify.durationMs }));
    const line = `[${run.label}] ${verifyLine(settings, verify)}`;
    if (verifyPassed(verify)) {
      ctx.log(line);
      return { totals, failure: null, attempts, verifyFailure: null };
    }
    if (n >= settings.attempts || life.guard.received || input.stop?.aborted) {
      ctx.log(line);
      return { totals, failure: null, attempts, verifyFailure: verifyFailureMessage(state, settings, verify, n) };
    }
    const session = totals.sessionId;
    ctx.log(`${line}; ${session ? `resuming session ${session}` : 'running the agent again'} to fix it (attempt ${n + 1} of ${settings.attempts})`);
    const prompt = fixPrompt(run, settings, verify, session ? null : state.prompt);
    writeFileSync(input.promptFile, prompt);
    input.transcript.push(JSON.stringify({ type: 'nx-worktree-ai', event: 'fix', attempt: n + 1, resumes: session, prompt }));
    const last = session ? { sessionId: session, agent: run.agent, status: 'failed' as const, commit: null, filesChanged: [] } : null;
    const fix = await runAgent(run, options, ctx, { ...input, prompt, last }, n + 1);
    // What this run used: a CLI that reports the session's total has its earlier runs taken off.
    const own = cumulative && session && reported && fix.agentResult ? { ...fix.agentResult, tokens: tokensSince(reported, fix.agentResult.tokens) } : fix.agentResult;
    reported = session ? (fix.agentResult?.tokens ?? reported) : null;
    current = addAttempt(emptyTotals(), own, fix.countedTurns);
    totals = addAttempt(totals, own, fix.countedTurns);
    failure = fix.failure;
  }
}

function attemptRecord(totals: AttemptTotals, verify: VerifyRun | null): AttemptRecord {
  return { verify, sessionId: totals.sessionId, turns: totals.turns, tokens: totals.tokens, costUsd: totals.costUsd };
}

/** The run's last line when its work never passed: the check, its last output, the branch with the work. */
function verifyFailureMessage({ run, branch }: RunState, settings: VerifySettings, verify: VerifyRun, attempts: number): string {
  const how = verify.exitCode === null ? 'did not finish' : `exited with code ${verify.exitCode}`;
  const tail = verify.outputTail.trim().split('\n').slice(-5).join(' | ');
  return (
    `verify \`${settings.argv.join(' ')}\` still failed after ${attempts} attempt(s): it ${how}${tail ? `: ${oneLine(tail, 600)}` : ''}. ` +
    `Nothing was applied; the work is on branch ${branch} (each attempt's verify output is in ${run.artifactDir}/result.json). ` +
    `Fix the work or the check and run again, or raise "attempts" in ${run.spec.file}.`
  );
}
