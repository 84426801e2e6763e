import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { git, gitRepo, removeDir, tempDir } from '../../../../../testing/temp';
import generateExecutor from './executor';
import type { BatchResult } from '../../results/result';

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
const CHECK = "const got = require('./src/sum.js')(2, 3); if (got !== 5) { console.log(`FAIL sum is ${got}`); process.exitCode = 1; }\n";

function context(root: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: 'calc',
    targetName: 'ai-generate--sum',
    projectsConfigurations: { version: 2, projects: { calc: { root: 'libs/calc', targets: { 'ai-generate--sum': { executor: 'nx-worktree-ai:generate', options: { batch: 'libs/calc/ai/sum.ai.md' } } } } } },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as ExecutorContext;
}

describe('nx-worktree-ai:generate with verify and an agent without sessions', () => {
  let root: string;
  let worktreeDir: string;
  beforeEach(() => {
    root = gitRepo({
      'libs/calc/project.json': '{ "name": "calc" }\n',
      'libs/calc/check.js': CHECK,
      'agent.js': AGENT,
      'libs/calc/ai/sum.ai.md': "---\nagent: command\ncommand: [node, agent.js, '{promptFile}']\noutputs: [src/**]\nverify: [node, '{projectRoot}/check.js']\n---\nWrite sum.\n",
      '.gitignore': '.nx-worktree-ai/\n',
    });
    worktreeDir = tempDir('nxwa-wt-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
  });

  it('runs the agent again with the prompt and the failure, its earlier work in place, and applies the fixed work', async () => {
    await expect(generateExecutor({ batch: 'libs/calc/ai/sum.ai.md', worktreeDir }, context(root))).resolves.toEqual({ success: true });
    const result = JSON.parse(readFileSync(join(root, '.nx-worktree-ai/calc/sum/result.json'), 'utf8')) as BatchResult;
    expect(result.status).toBe('succeeded');
    expect(result.attempts?.map((a) => [a.verify?.exitCode, a.sessionId])).toEqual([
      [1, null],
      [0, null],
    ]);
    expect(result.attempts?.[0].verify?.outputTail).toBe('FAIL sum is -1');
    const transcript = readFileSync(join(root, '.nx-worktree-ai/calc/sum/transcript.jsonl'), 'utf8');
    expect(transcript).toContain('RUN fixing=false original=true output=false earlier=false');
    expect(transcript).toContain('RUN fixing=true original=true output=true earlier=true');
    expect(readFileSync(join(root, 'libs/calc/src/sum.js'), 'utf8')).toBe('module.exports = (a, b) => a + b;\n');
    expect(git(root, 'show', 'ai/calc/sum:libs/calc/src/sum.js')).toBe('module.exports = (a, b) => a + b;');
  });
});
