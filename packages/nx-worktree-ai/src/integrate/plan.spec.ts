import { chmodSync, existsSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitRepo, removeDir, writeFiles } from '@testing/temp';
import { applyPlan } from '../worktree/apply';
import { diffPatch } from '../worktree/changes';
import { parsePatch, PatchFormatError } from './patch';
import { planChange } from './plan';

/** A change as the batch would make it: `after` applied to a copy of the committed tree, as a patch. */
function changeOf(dir: string, after: (root: string) => void): string {
  const base = git(dir, 'rev-parse', 'HEAD');
  const scratch = join(dir, '..', `${dir.split('/').pop()}-result`);
  git(dir, 'worktree', 'add', '-q', '--detach', scratch, base);
  try {
    after(scratch);
    git(scratch, 'add', '-A');
    return git(scratch, 'write-tree');
  } finally {
    git(dir, 'worktree', 'remove', '--force', scratch);
  }
}

describe('one integration for fresh results and replays (real git)', () => {
  let dir: string;
  let patch: string;

  beforeEach(async () => {
    dir = gitRepo({ 'src/a.ts': 'a\nb\nc\nd\ne\n', 'src/gone.ts': 'old\n', 'src/other.spec.ts': 'not the batch’s\n', 'src/pic.bin': '\u0000\u0001old' });
    const tree = changeOf(dir, (root) => {
      writeFiles(root, { 'src/a.ts': 'a\nb\nc\nd\nE\n', 'src/new.ts': 'new\n', 'src/pic.bin': '\u0000\u0002new', 'src/é q"uote.ts': 'odd\n' });
      rmSync(join(root, 'src/gone.ts'));
      chmodSync(join(root, 'src/new.ts'), 0o755);
      symlinkSync('a.ts', join(root, 'src/link'));
    });
    patch = await diffPatch(dir, 'HEAD', tree);
  });
  afterEach(() => removeDir(dir));

  it('reads base and result of every file from the patch alone', () => {
    const files = parsePatch(patch);
    expect(files.map((f) => [f.path, f.before?.mode ?? null, f.after?.mode ?? null])).toEqual([
      ['src/a.ts', '100644', '100644'],
      ['src/gone.ts', '100644', null],
      ['src/link', null, '120000'],
      ['src/new.ts', null, '100755'],
      ['src/pic.bin', '100644', '100644'],
      ['src/é q"uote.ts', null, '100644'],
    ]);
    expect(files[0].before!.oid).toBe(git(dir, 'rev-parse', 'HEAD:src/a.ts'));
    // The same change gives the same bytes (dependents hash them).
    expect(patch).toContain('GIT binary patch');
    expect(() => parsePatch(patch.replace(/^index ([0-9a-f]{7})[0-9a-f]+\.\./m, 'index $1..'))).toThrow(PatchFormatError);
  });

  it('writes the whole change where the workspace holds the base, and is idempotent', async () => {
    const plan = await planChange(dir, dir, patch, 'replay');
    expect(plan.kept).toEqual([]);
    applyPlan(dir, plan);
    expect(readFileSync(join(dir, 'src/a.ts'), 'utf8')).toBe('a\nb\nc\nd\nE\n');
    expect(existsSync(join(dir, 'src/gone.ts'))).toBe(false);
    expect(readlinkSync(join(dir, 'src/link'))).toBe('a.ts');
    expect(readFileSync(join(dir, 'src/pic.bin'), 'latin1')).toBe('\u0000\u0002new');
    expect(readFileSync(join(dir, 'src/é q"uote.ts'), 'utf8')).toBe('odd\n');
    // Never a file the batch did not change.
    expect(readFileSync(join(dir, 'src/other.spec.ts'), 'utf8')).toBe('not the batch’s\n');
    // Everything now holds the result: a second integration has nothing to do.
    const again = await planChange(dir, dir, patch, 'replay');
    expect({ writes: again.writes, kept: again.kept }).toEqual({ writes: [], kept: [] });
  });

  it('a replay keeps every file the user changed since the base, and only writes the others', async () => {
    writeFileSync(join(dir, 'src/a.ts'), 'mine\n');
    writeFileSync(join(dir, 'src/new.ts'), 'my own new file\n');
    rmSync(join(dir, 'src/gone.ts'));
    writeFileSync(join(dir, 'src/gone.ts'), 'edited before the batch could delete it\n');
    const plan = await planChange(dir, dir, patch, 'replay');
    expect(plan.kept.sort()).toEqual(['src/a.ts', 'src/gone.ts', 'src/new.ts']);
    expect(plan.writes.map((w) => w.path).sort()).toEqual(['src/link', 'src/pic.bin', 'src/é q"uote.ts']);
  });

  it('a fresh result merges a clean concurrent edit and reports a clash as a conflict', async () => {
    writeFileSync(join(dir, 'src/a.ts'), 'A\nb\nc\nd\ne\n');
    const clean = await planChange(dir, dir, patch, 'fresh');
    expect(clean.merged).toEqual(['src/a.ts']);
    expect(clean.writes.find((w) => w.path === 'src/a.ts')!.file!.content.toString()).toBe('A\nb\nc\nd\nE\n');
    writeFileSync(join(dir, 'src/a.ts'), 'a\nb\nc\nd\nX\n');
    const clash = await planChange(dir, dir, patch, 'fresh');
    expect(clash.conflicts).toEqual(['src/a.ts']);
  });

  describe('in a clone without the batch’s objects (a patch Nx restored from a teammate’s run)', () => {
    let clone: string;
    beforeEach(() => {
      clone = `${dir}-clone`;
      git(dir, 'clone', '-q', '--no-local', dir, clone);
      expect(() => git(clone, 'cat-file', '-e', parsePatch(patch)[0].after!.oid!)).toThrow();
    });
    afterEach(() => removeDir(clone));

    it('makes every file of the change from the patch alone', async () => {
      const plan = await planChange(clone, clone, patch, 'replay');
      applyPlan(clone, plan);
      expect(readFileSync(join(clone, 'src/a.ts'), 'utf8')).toBe('a\nb\nc\nd\nE\n');
      expect(existsSync(join(clone, 'src/gone.ts'))).toBe(false);
      expect(readlinkSync(join(clone, 'src/link'))).toBe('a.ts');
      expect(readFileSync(join(clone, 'src/pic.bin'), 'latin1')).toBe('\u0000\u0002new');
      expect(readFileSync(join(clone, 'src/new.ts'), 'utf8')).toBe('new\n');
      expect(readFileSync(join(clone, 'src/é q"uote.ts'), 'utf8')).toBe('odd\n');
      // The user's index is never touched.
      expect(git(clone, 'diff', '--cached', '--name-only')).toBe('');
    });

    it('refuses a patch whose hunks do not make the result it names', async () => {
      const tampered = patch.replace('+E\n', '+EVIL\n');
      await expect(planChange(clone, clone, tampered, 'replay')).rejects.toThrow(/does not reproduce the batch's version of src\/a\.ts/);
    });
  });
});
