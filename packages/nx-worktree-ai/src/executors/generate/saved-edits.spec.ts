import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { executorContext } from '@testing/executor';
import { git, gitRepo, removeDir, tempDir } from '@testing/temp';
import { pruneWorkspace } from '../../recovery/prune';
import { readRepoInfo } from '../../worktree/repo';
import generateExecutor from './executor';

/**
 * A replay never overwrites an edit (integrate/: a file that is neither what the batch started from
 * nor its result is yours): two replays over two edits keep each edit in place. Saves made by
 * earlier versions (which did overwrite) stay listed by prune and are removed only by --force.
 */
const write = `require('fs').mkdirSync('libs/auth/src/auth', { recursive: true }); require('fs').writeFileSync('libs/auth/src/auth/login.ts', 'export const login = () => true;\\n');`;
const BATCH = `---\ndescription: test batch\nagent: command\ncommand: [node, -e, ${JSON.stringify(write)}]\noutputs: [src/auth/**]\n---\nWrite the module.\n`;
const LOGIN = 'libs/auth/src/auth/login.ts';

function context(root: string): ExecutorContext {
  const targets = { 'ai-generate--auth-module': { executor: 'nx-worktree-ai:generate', options: { batch: 'libs/auth/ai/auth-module.ai.md' } } };
  return executorContext(root, { target: 'ai-generate--auth-module', targets });
}

describe('edits a replay overwrites', () => {
  let root: string;
  let worktreeDir: string;
  beforeEach(() => {
    root = gitRepo({ 'libs/auth/project.json': '{ "name": "auth" }\n', 'libs/auth/ai/auth-module.ai.md': BATCH, '.gitignore': '.nx-worktree-ai/\n' });
    worktreeDir = tempDir('nxwa-wt-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(worktreeDir);
  });

  const run = () => generateExecutor({ batch: 'libs/auth/ai/auth-module.ai.md', worktreeDir }, context(root));
  const replayStatus = () => JSON.parse(readFileSync(join(root, '.nx-worktree-ai/auth/auth-module/result.json'), 'utf8')).status;
  const saves = () => git(root, 'for-each-ref', '--format=%(refname)', 'refs/nx-worktree-ai/saved-edits/').split('\n').filter(Boolean);

  it('keeps each edit in place through two replays; earlier saves are listed by prune and removed only with --force', async () => {
    await expect(run()).resolves.toEqual({ success: true });
    git(root, 'add', LOGIN);
    git(root, 'commit', '-qm', 'take the generated login.ts');
    writeFileSync(join(root, LOGIN), 'first edit\n');
    await expect(run()).resolves.toEqual({ success: true });
    expect(replayStatus()).toBe('replayed');
    expect(readFileSync(join(root, LOGIN), 'utf8')).toBe('first edit\n');
    writeFileSync(join(root, LOGIN), 'second edit\n');
    await expect(run()).resolves.toEqual({ success: true });
    expect(replayStatus()).toBe('replayed');
    expect(readFileSync(join(root, LOGIN), 'utf8')).toBe('second edit\n');
    expect(saves()).toEqual([]);

    // Saves of the versions that overwrote: one per save, and the one ref per batch before that.
    const head = git(root, 'rev-parse', 'HEAD');
    const refs = ['refs/nx-worktree-ai/overwritten/auth/auth-module', 'refs/nx-worktree-ai/saved-edits/auth/auth-module/20261201-120000', 'refs/nx-worktree-ai/saved-edits/auth/auth-module/20261201-120000-2'];
    for (const ref of refs) git(root, 'update-ref', ref, head);
    const repo = await readRepoInfo(root);
    const kept = await pruneWorkspace(repo);
    expect(kept.savedEditsKept.map((s) => s.ref).sort()).toEqual([...refs].sort());
    expect(kept.savedEditsDeleted).toEqual([]);

    const forced = await pruneWorkspace(repo, { force: true });
    expect(forced.savedEditsDeleted.sort()).toEqual([...refs].sort());
    expect(git(root, 'for-each-ref', 'refs/nx-worktree-ai/overwritten/', 'refs/nx-worktree-ai/saved-edits/')).toBe('');
  });
});
