import { RunInterrupted } from '../utils/signal-guard';
import type { BatchRun } from '../resolve/resolve';
import { replayable } from '../integrate/replay';
import { decideOutcome, restampAfterFailure, thrownOutcome, type OutcomeFacts, type RunStatus } from './outcome';

function batchRun(allowEmpty?: boolean, agent: BatchRun['agent'] = 'claude'): BatchRun {
  return { agent, spec: { file: 'libs/auth/ai/notes.ai.md', frontmatter: { allowEmpty } } } as unknown as BatchRun;
}

const facts = (extra: Partial<OutcomeFacts> = {}): OutcomeFacts => ({
  failure: null,
  signal: null,
  outside: null,
  scope: null,
  verify: null,
  filesChanged: 2,
  resumedFiles: 0,
  permissionDenials: [],
  branch: 'ai/auth/notes',
  transcriptPath: '.nx-worktree-ai/auth/notes/transcript.jsonl',
  ...extra,
});

describe('decideOutcome: one status for result.json and the branch trailer', () => {
  it('succeeded when files changed and nothing went wrong', () => {
    expect(decideOutcome(batchRun(), facts())).toEqual({ status: 'succeeded', ok: true, message: null });
  });

  it('empty fails unless allowEmpty, and says where to look and what to do', () => {
    const empty = decideOutcome(batchRun(), facts({ filesChanged: 0, permissionDenials: ['Bash', 'Bash'] }));
    expect(empty).toMatchObject({ status: 'empty', ok: false });
    expect(empty.message).toBe(
      'the agent changed no file (status "empty"); see .nx-worktree-ai/auth/notes/transcript.jsonl. It was refused Bash: allow what the work needs ' +
        '(claude: { allowedTools: [...] } in libs/auth/ai/notes.ai.md), or change the prompt. If a run that changes nothing is fine for this batch, ' +
        'set allowEmpty: true in libs/auth/ai/notes.ai.md. Nothing was applied or cached.',
    );
    expect(decideOutcome(batchRun(false, 'codex'), facts({ filesChanged: 0, permissionDenials: ['sandbox'] })).message).toContain('(the "codex" section of libs/auth/ai/notes.ai.md or the executor option agentArgs)');
    expect(decideOutcome(batchRun(), facts({ filesChanged: 0 })).message).toContain('Read what it did and said there');
    expect(decideOutcome(batchRun(true), facts({ filesChanged: 0 }))).toEqual({ status: 'empty', ok: true, message: null });
  });

  it('a resumed session whose earlier work is already integrated is not empty', () => {
    expect(decideOutcome(batchRun(), facts({ filesChanged: 0, resumedFiles: 1 })).status).toBe('succeeded');
  });

  it('interrupted wins over what the stopped agent reported, and is never empty', () => {
    const out = decideOutcome(batchRun(true), facts({ signal: 'SIGTERM', filesChanged: 0, failure: { kind: 'crashed', message: 'claude exited with code 143' } }));
    expect(out).toEqual({
      status: 'interrupted',
      ok: false,
      message: 'interrupted by SIGTERM while the agent ran: nothing was applied to the workspace; what the agent did is on branch ai/auth/notes. Run the batch again to finish it.',
    });
  });

  it('the agent failing or the scope guard fail the batch; something reaching outside fails it whatever else happened', () => {
    expect(decideOutcome(batchRun(), facts({ scope: 'outside the outputs' }))).toEqual({ status: 'failed', ok: false, message: 'outside the outputs' });
    expect(decideOutcome(batchRun(), facts({ filesChanged: 0, failure: { kind: 'max-turns', message: 'turn limit' } }))).toMatchObject({ status: 'failed', message: 'turn limit' });
    const both = decideOutcome(batchRun(), facts({ outside: 'reached .git/config.', signal: 'SIGINT' }));
    expect(both.status).toBe('failed');
    expect(both.message).toMatch(/^reached \.git\/config\. Also: interrupted by SIGINT/);
  });
});

describe('thrownOutcome and restampAfterFailure', () => {
  it('a thrown failure is interrupted when a signal had arrived', () => {
    expect(thrownOutcome(new RunInterrupted('SIGINT', 'interrupted by SIGINT before integration'), 'SIGINT')).toEqual({ status: 'interrupted', message: 'interrupted by SIGINT before integration' });
    expect(thrownOutcome(new Error('the setup command `npm ci` was killed (SIGTERM)'), 'SIGTERM')).toEqual({
      status: 'interrupted',
      message: 'interrupted by SIGTERM: the setup command `npm ci` was killed (SIGTERM)',
    });
    expect(thrownOutcome(new Error('conflict'), null)).toEqual({ status: 'failed', message: 'conflict' });
  });

  it('makes the commit again with the new status and names the new commit in the message', async () => {
    const old = 'a'.repeat(40);
    const made: RunStatus[] = [];
    const stamped = { commit: old, status: 'succeeded' as RunStatus, restamp: async (status: RunStatus) => (made.push(status), 'b'.repeat(40)) };
    const out = await restampAfterFailure(stamped, 'failed', `conflict: git diff ${old.slice(0, 12)}~1 ${old.slice(0, 12)}; commit ${old}`);
    expect(made).toEqual(['failed']);
    expect(out).toEqual({ commit: 'b'.repeat(40), message: `conflict: git diff ${'b'.repeat(12)}~1 ${'b'.repeat(12)}; commit ${'b'.repeat(40)}` });
    expect(await restampAfterFailure({ ...stamped, status: 'failed' }, 'failed', 'x')).toEqual({ commit: old, message: 'x' });
    expect(await restampAfterFailure(null, 'failed', 'x')).toEqual({ commit: null, message: 'x' });
  });
});

describe('replayable', () => {
  const record = (result: unknown) => ({ record: 'r', outputs: new Map(), artifacts: { 'result.json': Buffer.from(JSON.stringify(result)) } });

  it('ignores a stored result that changed no file (stored before empty runs failed)', () => {
    expect(replayable(record({ status: 'succeeded', filesChanged: [] }))).toBeNull();
    const hit = record({ status: 'succeeded', filesChanged: ['libs/auth/src/a.ts'] });
    expect(replayable(hit)).toBe(hit);
    expect(replayable(null)).toBeNull();
  });
});
