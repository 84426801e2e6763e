import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALC_BATCH, calcContext, calcRepoFiles, calcResult } from '@testing/fixtures/calc-repo';
import { git, gitRepo, removeDir, tempDir } from '@testing/temp';
import generateExecutor from './executor';
import { pruneWorkspace } from '../../recovery/prune';
import { readRepoInfo } from '../../worktree/repo';

/**
 * samples with the `command` agent, which finds out which sample it is from its worktree's branch:
 * sample 1 writes a wrong sum and then sleeps (it must be stopped), sample 2 writes the right one.
 * The race of real CLIs is in e2e/verify.e2e.ts.
 */
const AGENT = [
  "const fs = require('fs');",
  "const branch = require('child_process').execFileSync('git', ['symbolic-ref', '--short', 'HEAD'], { encoding: 'utf8' }).trim();",
  "const right = branch.endsWith('--sample-2');",
  "console.log(`sample on ${branch}`);",
  "fs.mkdirSync('libs/calc/src', { recursive: true });",
  "fs.writeFileSync('libs/calc/src/sum.js', `module.exports = (a, b) => a ${right ? '+' : '-'} b;\\n`);",
  'if (!right) setTimeout(() => {}, 60_000);',
].join('\n');
const BATCH = (extra: string) => `---\nagent: command\ncommand: [node, agent.js]\noutputs: [src/**]\nverify: [node, '{projectRoot}/check.js']\n${extra}---\nWrite sum.\n`;


describe('nx-worktree-ai:generate with samples', () => {
  let root: string;
  let worktreeDir: string;
  const setUp = (extra: string) => {
    root = gitRepo(calcRepoFiles(AGENT, BATCH(extra)));
  };
  beforeEach(() => {
    worktreeDir = tempDir('nxwa-wt-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
  });

  it('applies the first sample that passes, stops the other and keeps its work on its sample branch', async () => {
    setUp('samples: 2\nattempts: 1\n');
    const started = Date.now();
    await expect(generateExecutor({ batch: CALC_BATCH, worktreeDir }, calcContext(root))).resolves.toEqual({ success: true });
    expect(Date.now() - started).toBeLessThan(30_000);
    const result = calcResult(root);
    expect(result).toMatchObject({ status: 'succeeded', branch: 'ai/calc/sum' });
    expect(result.samples?.map((s) => [s.k, s.status, s.branch])).toEqual([
      [1, 'stopped', 'ai/calc/sum--sample-1'],
      [2, 'succeeded', 'ai/calc/sum'],
    ]);
    expect(result.attempts?.map((a) => a.verify?.exitCode)).toEqual([0]);
    // Each sample's start and end (its bar in the report's timeline), both within the run; they ran at once.
    const span = result.samples!.map((s) => [Date.parse(s.startedAt!), Date.parse(s.finishedAt!)]);
    for (const [start, end] of span) expect(start >= started && start <= end && end <= Date.now()).toBe(true);
    expect(span[0][0] < span[1][1] && span[1][0] < span[0][1]).toBe(true);
    expect(readFileSync(join(root, 'libs/calc/src/sum.js'), 'utf8')).toBe('module.exports = (a, b) => a + b;\n');
    expect(git(root, 'show', 'ai/calc/sum:libs/calc/src/sum.js')).toBe('module.exports = (a, b) => a + b;');
    expect(git(root, 'show', 'ai/calc/sum--sample-1:libs/calc/src/sum.js')).toBe('module.exports = (a, b) => a - b;');
    expect(git(root, 'log', '-1', '--format=%(trailers:key=Nx-Worktree-Ai-Sample,valueonly)', 'ai/calc/sum--sample-1')).toBe('1/2');
    // The chosen sample's branch is gone (its work is on the batch branch); no worktree is left.
    expect(git(root, 'branch', '--list', 'ai/calc/sum--sample-2')).toBe('');
    expect(git(root, 'worktree', 'list')).not.toContain(worktreeDir);

    // prune deletes the sample that was not chosen without --force; a batch merely named like one keeps its work.
    git(root, 'branch', 'ai/calc/x--sample-2', 'ai/calc/sum--sample-1');
    const report = await pruneWorkspace(await readRepoInfo(root));
    expect(report.branchesDeleted).toContain('ai/calc/sum--sample-1');
    expect(report.branchesKept.map((b) => b.branch)).toEqual(['ai/calc/x--sample-2']);
    expect(report.branchesDeleted.sort()).toEqual(['ai/calc/sum', 'ai/calc/sum--sample-1']);
  });
});
