import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALC_BATCH, calcContext, calcRepoFiles, calcResult } from '@testing/fixtures/calc-repo';
import { git, gitRepo, removeDir, tempDir } from '@testing/temp';
import { sandboxTool } from '../../sandbox/available';
import generateExecutor from './executor';

/**
 * verify with an agent that has no session to resume (`agent: command`): the fix is a fresh run
 * with the batch's prompt and the check's failure, on top of the earlier work. The resumed sessions
 * of claude and codex are covered end to end in e2e/verify.e2e.ts.
 */
const AGENT = [
  "const fs = require('fs');",
  "const prompt = fs.readFileSync(process.argv[2], 'utf8');",
  "const fixing = prompt.includes('The check of this work failed');",
  "console.log(`RUN fixing=${fixing} original=${prompt.includes('Write sum.')} output=${prompt.includes('FAIL sum is -1')} earlier=${fs.existsSync('libs/calc/src/sum.js')}`);",
  "fs.mkdirSync('libs/calc/src', { recursive: true });",
  "fs.writeFileSync('libs/calc/src/sum.js', `module.exports = (a, b) => a ${fixing ? '+' : '-'} b;\\n`);",
].join('\n');


describe('nx-worktree-ai:generate with verify and an agent without sessions', () => {
  let root: string;
  let worktreeDir: string;
  beforeEach(() => {
    root = gitRepo(calcRepoFiles(AGENT, "---\nagent: command\ncommand: [node, agent.js, '{promptFile}']\noutputs: [src/**]\nverify: [node, '{projectRoot}/check.js']\n---\nWrite sum.\n"));
    worktreeDir = tempDir('nxwa-wt-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
  });

  it('runs the agent again with the prompt and the failure, its earlier work in place, and applies the fixed work', async () => {
    await expect(generateExecutor({ batch: CALC_BATCH, worktreeDir }, calcContext(root))).resolves.toEqual({ success: true });
    const result = calcResult(root);
    expect(result.status).toBe('succeeded');
    expect(result.attempts?.map((a) => [a.verify?.exitCode, a.sessionId])).toEqual([
      [1, null],
      [0, null],
    ]);
    expect(result.attempts?.[0].verify?.outputTail).toBe('FAIL sum is -1');
    const transcript = readFileSync(join(root, '.nx-worktree-ai/calc/sum/transcript.jsonl'), 'utf8');
    expect(transcript).toContain('RUN fixing=false original=true output=false earlier=false');
    expect(transcript).toContain('RUN fixing=true original=true output=true earlier=true');
    // The fix prompt is kept in the transcript, as the agent got it.
    const fix = transcript.split('\n').filter((line) => line.includes('"event":"fix"')).map((line) => JSON.parse(line))[0];
    expect(fix).toMatchObject({ type: 'nx-worktree-ai', attempt: 2, resumes: null });
    expect(fix.prompt).toContain('Write sum.');
    expect(fix.prompt).toContain('FAIL sum is -1');
    expect(readFileSync(join(root, 'libs/calc/src/sum.js'), 'utf8')).toBe('module.exports = (a, b) => a + b;\n');
    expect(git(root, 'show', 'ai/calc/sum:libs/calc/src/sum.js')).toBe('module.exports = (a, b) => a + b;');
  });

  // The check runs code the agent wrote: confined like the agent, it cannot write into the workspace.
  const ESCAPE = "require('fs').writeFileSync(process.argv[1], 'written by the check'); require('./libs/calc/check.js');";
  const escapingBatch = (sandbox: string) => `---\nagent: command\ncommand: [node, agent.js, '{promptFile}']\noutputs: [src/**]\nsandbox: ${sandbox}\nattempts: 1\nverify: [node, -e, ${JSON.stringify(ESCAPE)}, '${'${ESCAPED}'}']\n---\nWrite sum.\n`;

  it('runs the check inside the sandbox: its write into the workspace is refused and the batch fails; unconfined the write lands', async () => {
    if (!sandboxTool().available) throw new Error('bubblewrap is needed for this test (apt-get install bubblewrap)');
    const escaped = join(root, 'escaped-by-check.txt');
    const write = (sandbox: string) => writeFileSync(join(root, CALC_BATCH), escapingBatch(sandbox).replace('${ESCAPED}', escaped));
    write('required');
    git(root, 'commit', '-qam', 'confined check');
    await expect(generateExecutor({ batch: CALC_BATCH, worktreeDir }, calcContext(root))).resolves.toEqual({ success: false });
    expect(existsSync(escaped)).toBe(false);
    expect(calcResult(root).attempts?.[0].verify?.outputTail).toMatch(/EROFS|read-only file system/i);
    // The same check unconfined (sandbox: off) writes the file: what the sandbox prevented above.
    write('off');
    git(root, 'commit', '-qam', 'unconfined check');
    await generateExecutor({ batch: CALC_BATCH, worktreeDir }, calcContext(root));
    expect(readFileSync(escaped, 'utf8')).toBe('written by the check');
  });
});
