import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitRepo, removeDir, writeFiles } from '@testing/temp';
import { sampleResult } from '../report/__fixtures__/result';
import { readRunLogs } from '../results/run-log';
import { diffPatch } from '../worktree/changes';
import { parseApplyArgs } from './apply-args';
import { UsageError } from './command';
import { main } from './nx-worktree-ai';

const INFERRED = ['shop', '--project-root=libs/shop', '--batches=libs/shop/ai/a.ai.md,libs/shop/ai/b.ai.md'];

describe('nx-worktree-ai apply: the command line the aggregate target runs', () => {
  it('reads the inferred arguments', () => {
    expect(parseApplyArgs(INFERRED)).toEqual({ project: 'shop', projectRoot: 'libs/shop', files: ['libs/shop/ai/a.ai.md', 'libs/shop/ai/b.ai.md'], options: { dryRun: false } });
    expect(parseApplyArgs(['shop', '--project-root', 'libs/shop', '--batches='])?.files).toEqual([]);
    expect(parseApplyArgs(['--help'])).toBeNull();
  });

  it('takes --dry-run and --apply from the options nx appends, and ignores every other one', () => {
    const options = (...appended: string[]) => parseApplyArgs([...INFERRED, ...appended])?.options;
    expect(options('--dryRun=true')).toEqual({ dryRun: true });
    expect(options('--dry-run')).toEqual({ dryRun: true });
    expect(options('--dry-run', 'false', '--model=opus')).toEqual({ dryRun: false });
    expect(options('--dryRun=false')).toEqual({ dryRun: false });
    expect(options('--apply=commit')).toEqual({ dryRun: false, apply: 'commit' });
    expect(options('--apply', 'branch', '--dry-run')).toEqual({ dryRun: true, apply: 'branch' });
    expect(options('--model', 'opus', '--agentArgs=--verbose', '--keepWorktree', '--help', '--outputStyle=static')).toEqual({ dryRun: false });
  });

  it('keeps the inferred arguments over the same ones appended later', () => {
    const parsed = parseApplyArgs([...INFERRED, 'other', '--project-root=elsewhere', '--batches=x.ai.md', '--batches', 'y.ai.md']);
    expect(parsed).toMatchObject({ project: 'shop', projectRoot: 'libs/shop', files: ['libs/shop/ai/a.ai.md', 'libs/shop/ai/b.ai.md'] });
  });

  it('refuses a bad --apply or --dry-run value and missing inferred arguments, naming them', () => {
    expect(() => parseApplyArgs([...INFERRED, '--apply=sideways'])).toThrow(new UsageError('--apply=sideways is not a way to apply: expected one of working-tree, commit, branch'));
    expect(() => parseApplyArgs([...INFERRED, '--apply'])).toThrow('--apply=true is not a way to apply');
    expect(() => parseApplyArgs([...INFERRED, '--dry-run=maybe'])).toThrow('--dry-run=maybe: expected true or false');
    expect(() => parseApplyArgs(['--batches=a.ai.md', '--project-root=libs/shop'])).toThrow('expected the project');
    expect(() => parseApplyArgs(['shop', '--batches=a.ai.md'])).toThrow('--project-root=<root> is required');
    expect(() => parseApplyArgs(['shop', '--project-root=libs/shop'])).toThrow('--batches=<file>,<file>,... is required');
  });
});

/** The tree of HEAD with `files` written, as a batch's worktree would commit it. */
function treeWith(dir: string, files: Record<string, string>): string {
  const scratch = `${dir}-result`;
  git(dir, 'worktree', 'add', '-q', '--detach', scratch, 'HEAD');
  try {
    writeFiles(scratch, files);
    git(scratch, 'add', '-A');
    return git(scratch, 'write-tree');
  } finally {
    git(dir, 'worktree', 'remove', '--force', scratch);
  }
}

describe('nx-worktree-ai apply: a replay of two stacked batches (real git)', () => {
  const BATCH = '---\noutputs: [src/**]\n---\nBuild it.\n';
  let root: string;
  let lines: string[];

  beforeEach(async () => {
    root = gitRepo({ 'nx.json': '{}\n', 'libs/shop/ai/a.ai.md': BATCH, 'libs/shop/ai/b.ai.md': BATCH, 'libs/shop/src/base.ts': 'base\n', 'libs/shop/src/mine.ts': 'mine\n' });
    // b changes a's new file: its patch applies only on top of a's.
    const a = treeWith(root, { 'libs/shop/src/a.ts': 'from a\n', 'libs/shop/src/mine.ts': 'a rewrote it\n' });
    const b = treeWith(root, { 'libs/shop/src/a.ts': 'from a\nand b\n', 'libs/shop/src/mine.ts': 'a rewrote it\n', 'libs/shop/src/b.ts': 'from b\n' });
    for (const [name, from, to] of [['a', 'HEAD^{tree}', a], ['b', a, b]]) {
      // Nx restored them from its cache: results of an earlier run.
      writeFiles(root, {
        [`.nx-worktree-ai/shop/${name}/changes.patch`]: await diffPatch(root, from, to),
        [`.nx-worktree-ai/shop/${name}/result.json`]: JSON.stringify(sampleResult(Date.now(), 'shop', name, 0, 5, { runId: '20261201-090000-4242' })),
      });
    }
    lines = [];
    jest.spyOn(console, 'info').mockImplementation((line: string) => void lines.push(line));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    removeDir(root);
  });

  const apply = (...extra: string[]) => main(['apply', ...INFERRED, ...extra], { cwd: join(root, 'libs/shop'), out: () => {}, err: (t) => lines.push(t) });
  const read = (path: string) => (existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : null);

  it('applies each change in order, keeps a file the user changed, and records the replays in the run log', async () => {
    writeFileSync(join(root, 'libs/shop/src/mine.ts'), 'my edit\n');
    expect(await apply('--model=opus')).toBe(0);
    expect([read('libs/shop/src/a.ts'), read('libs/shop/src/b.ts'), read('libs/shop/src/mine.ts')]).toEqual(['from a\nand b\n', 'from b\n', 'my edit\n']);
    expect(lines).toEqual(['[shop:a] kept your version of libs/shop/src/mine.ts', "[shop:a] applied 1 file(s) of the batch's change", "[shop:b] applied 2 file(s) of the batch's change"]);
    const entries = readRunLogs(root).runs.flatMap((r) => r.entries);
    expect(entries.map((e) => [e.kind, e.batchFile, e.applied])).toEqual([
      ['nx-cache', 'libs/shop/ai/a.ai.md', true],
      ['nx-cache', 'libs/shop/ai/b.ai.md', true],
    ]);
    // Everything holds the result now: nothing left to write.
    lines.length = 0;
    expect(await apply()).toBe(0);
    expect(lines.filter((l) => l.includes('applied'))).toEqual([]);
    expect([read('libs/shop/src/a.ts'), read('libs/shop/src/mine.ts')]).toEqual(['from a\nand b\n', 'my edit\n']);
  });

  it('never takes a stored change that names a path outside the workspace as already applied', async () => {
    // Tampered with (a remote cache): the file it names outside the workspace holds its "result".
    const outside = join(root, '..', `${root.split('/').pop()}-outside.txt`);
    writeFileSync(outside, 'x\n');
    const oid = git(root, 'hash-object', outside);
    const path = `../${outside.split('/').pop()}`;
    const patch = `diff --git a/${path} b/${path}\nnew file mode 100644\nindex ${'0'.repeat(40)}..${oid}\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1 @@\n+x\n`;
    writeFiles(root, { '.nx-worktree-ai/shop/a/changes.patch': patch });
    const errors: string[] = [];
    jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    try {
      expect(await main(['apply', 'shop', '--project-root=libs/shop', '--batches=libs/shop/ai/a.ai.md'], { cwd: root, out: () => {}, err: () => {} })).toBe(1);
      expect(errors.join('\n')).toContain(JSON.stringify(path));
    } finally {
      removeDir(outside);
    }
  });

  it('writes nothing in a dry run, and refuses a bad --apply before touching anything', async () => {
    expect(await apply('--dryRun=true')).toBe(0);
    expect(await apply('--apply=sideways')).toBe(2);
    expect(lines.join('\n')).toContain('nx-worktree-ai apply: --apply=sideways is not a way to apply: expected one of working-tree, commit, branch');
    expect([read('libs/shop/src/a.ts'), git(root, 'status', '--porcelain')]).toEqual([null, '?? .nx-worktree-ai/']);
  });

  it('--apply=branch leaves the workspace alone; a missing batch file fails naming it', async () => {
    expect(await apply('--apply=branch')).toBe(0);
    expect(read('libs/shop/src/a.ts')).toBeNull();
    const errors: string[] = [];
    jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    expect(await main(['apply', 'shop', '--project-root=libs/shop', '--batches=libs/shop/ai/gone.ai.md'], { cwd: root, out: () => {}, err: () => {} })).toBe(1);
    expect(errors.join('\n')).toContain('Batch file libs/shop/ai/gone.ai.md not found');
  });
});
