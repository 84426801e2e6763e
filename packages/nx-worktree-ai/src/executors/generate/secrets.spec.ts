import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureConsoleEachTest, executorContext } from '@testing/executor';
import { allGitObjects, filesBelow } from '@testing/leaks';
import { git, gitRepo, removeDir, tempDir } from '@testing/temp';
import generateExecutor from './executor';

/**
 * A planted secret never leaves the process that holds it: the agent prints credential values on
 * stdout and stderr (and fails once with them in its error), yet no file under .nx-worktree-ai/, no
 * git object of the repository (every branch, result-cache record, snapshot) and no line printed
 * to the terminal contains them. Values are replaced by [redacted:NAME].
 */
const PLANTED = 'sk-planted-SECRET-0123456789abcdef';
const DB_URL = 'postgres://admin:hunter2-db@db.internal/prod';
const SHORT = 'abc12';
/** Longer than any cut of a progress line or error message: only redaction before the cut hides it whole. */
const LONG = `ghp_R3dT3am${'x7Kq9'.repeat(21)}ZZQQ`;

describe('secrets stay out of transcripts, artifacts, git and terminal output', () => {
  const logged = captureConsoleEachTest();
  let root: string;
  let worktreeDir: string;
  const saved = { ...process.env };

  beforeEach(() => {
    process.env.PLANTED_API_KEY = PLANTED;
    process.env.MY_DB_URL = DB_URL;
    process.env.TINY_TOKEN = SHORT;
    process.env.GITHUB_TOKEN = LONG;
    const leak = `console.log('key=' + process.env.PLANTED_API_KEY + ' db=' + process.env.MY_DB_URL); console.log(JSON.stringify({ env: process.env.PLANTED_API_KEY })); console.log('tiny=' + process.env.TINY_TOKEN); console.error('stderr ' + process.env.PLANTED_API_KEY + ' ' + process.env.MY_DB_URL);`;
    const write = `require('fs').mkdirSync('libs/a/src', { recursive: true }); require('fs').writeFileSync('libs/a/src/x.ts', 'export const x = 1;\\n');`;
    const batch = (script: string) => `---\ndescription: leaky\nagent: command\ncommand: [node, -e, ${JSON.stringify(script)}]\noutputs: [src/**]\n---\nWork.\n`;
    root = gitRepo({
      'libs/a/project.json': '{ "name": "a" }\n',
      'libs/a/ai/leaky.ai.md': batch(`${leak} ${write}`),
      'libs/a/ai/failing.ai.md': batch(`${leak} process.exit(3);`),
      // The token in a long stdout line (a progress line cuts it at 120) and at the start of the
      // last 600 characters of stderr (the failure message keeps those).
      'libs/a/ai/long.ai.md': batch(`console.log('say ' + process.env.GITHUB_TOKEN + ' and more'); console.error('err ' + process.env.GITHUB_TOKEN + ' ' + 'y'.repeat(540)); process.exit(3);`),
      '.gitignore': '.nx-worktree-ai/\n',
    });
    worktreeDir = tempDir('nxwa-secrets-wt-');
  });
  afterEach(() => {
    for (const k of ['PLANTED_API_KEY', 'MY_DB_URL', 'TINY_TOKEN', 'GITHUB_TOKEN']) delete process.env[k];
    Object.assign(process.env, saved);
    removeDir(root);
    removeDir(worktreeDir);
  });

  const context = (batch: string) =>
    executorContext(root, { project: 'a', target: `ai-generate--${batch}` });

  it('redacts every sink of a successful and a failed run', async () => {
    const run = (batch: string) => generateExecutor({ batch: `libs/a/ai/${batch}.ai.md`, worktreeDir, secretEnv: ['MY_DB_URL'] }, context(batch));
    await expect(run('leaky')).resolves.toEqual({ success: true });
    await expect(run('failing')).resolves.toEqual({ success: false });
    // A replay writes the artifacts again, from the result cache.
    await expect(run('leaky')).resolves.toEqual({ success: true });

    const artifacts = filesBelow(join(root, '.nx-worktree-ai'));
    expect(artifacts.length).toBeGreaterThanOrEqual(8);
    const secrets = [PLANTED, DB_URL, 'hunter2-db'];
    for (const file of artifacts) {
      const text = readFileSync(file, 'latin1');
      for (const s of secrets) expect({ file, leaks: text.includes(s) }).toEqual({ file, leaks: false });
    }
    const objects = allGitObjects(root);
    const log = git(root, 'log', '-p', '--all', '--format=%H %s%n%b');
    for (const s of secrets) {
      expect({ where: 'git objects', leaks: objects.includes(s) }).toEqual({ where: 'git objects', leaks: false });
      expect({ where: 'git log -p --all', leaks: log.includes(s) }).toEqual({ where: 'git log -p --all', leaks: false });
      expect({ where: 'terminal', leaks: logged.lines.join('\n').includes(s) }).toEqual({ where: 'terminal', leaks: false });
    }

    // The sinks did see the values: they were replaced, not lost.
    const transcript = readFileSync(join(root, '.nx-worktree-ai/a/leaky/transcript.jsonl'), 'utf8');
    expect(transcript).toContain('key=[redacted:PLANTED_API_KEY] db=[redacted:MY_DB_URL]');
    expect(transcript).toContain('{"env":"[redacted:PLANTED_API_KEY]"}');
    expect(logged.lines.join('\n')).toContain('[a:leaky] › key=[redacted:PLANTED_API_KEY] db=[redacted:MY_DB_URL]');
    const failed = JSON.parse(readFileSync(join(root, '.nx-worktree-ai/a/failing/result.json'), 'utf8'));
    expect(failed.error).toContain('stderr [redacted:PLANTED_API_KEY] [redacted:MY_DB_URL]');
    expect(logged.lines.join('\n')).toContain('[a:failing] failed: the batch command exited with code 3: stderr [redacted:PLANTED_API_KEY] [redacted:MY_DB_URL]');
    // Shorter than 6 characters: not redacted (documented in SECURITY.md).
    expect(transcript).toContain(`tiny=${SHORT}`);
  });

  it('redacts a secret in the description from every commit subject: the run, its replay, apply: commit', async () => {
    const write = `require('fs').mkdirSync('libs/a/src', { recursive: true }); require('fs').writeFileSync('libs/a/src/d.ts', 'export const d = 1;\\n');`;
    // Not committed: the test above looks for the secret in every git object.
    writeFileSync(join(root, 'libs/a/ai/described.ai.md'), `---\ndescription: uses ${PLANTED}\nagent: command\ncommand: [node, -e, ${JSON.stringify(write)}]\noutputs: [src/**]\napply: commit\n---\nWork.\n`);
    const run = () => generateExecutor({ batch: 'libs/a/ai/described.ai.md', worktreeDir }, context('described'));
    await expect(run()).resolves.toEqual({ success: true });
    // The batch's commit undone: the replay writes the file and commits it again.
    git(root, 'reset', '--hard', 'HEAD~1');
    await expect(run()).resolves.toEqual({ success: true });
    expect(logged.lines.join('\n')).toContain('[a:described] replayed from the result cache');
    const subjects = git(root, 'log', '--all', '--reflog', '--format=%s').split('\n');
    expect(subjects.filter((s) => s.includes(PLANTED))).toEqual([]);
    const redacted = 'a:described: uses [redacted:PLANTED_API_KEY]';
    // The batch branch and HEAD, after the run and after the replay.
    expect(subjects.filter((s) => s === redacted)).toHaveLength(2);
    expect(subjects.filter((s) => s === `${redacted} (replayed)`)).toHaveLength(2);
  });

  it('redacts a long secret before a progress line or an error message is cut: no piece of it shows', async () => {
    expect(LONG.length).toBe(120);
    const run = await generateExecutor({ batch: 'libs/a/ai/long.ai.md', worktreeDir }, context('long'));
    expect(run).toEqual({ success: false });
    const pieces = [LONG.slice(0, 12), LONG.slice(-12)];
    const sinks = { terminal: logged.lines.join('\n'), ...Object.fromEntries(filesBelow(join(root, '.nx-worktree-ai')).map((f) => [f, readFileSync(f, 'latin1')])) };
    for (const [where, text] of Object.entries(sinks)) for (const piece of pieces) expect({ where, piece, leaks: text.includes(piece) }).toEqual({ where, piece, leaks: false });
    expect(logged.lines).toContain('[a:long] › say [redacted:GITHUB_TOKEN] and more');
    expect(logged.lines.at(-1)).toMatch(/^\[a:long\] failed: the batch command exited with code 3: (?!.*x7Kq9)/);
  });
});
