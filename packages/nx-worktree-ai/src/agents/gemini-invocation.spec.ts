import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { removeDir } from '@testing/temp';
import { flagsOf, helpLists } from './__fixtures__/malformed';
import { runRequest } from './__fixtures__/request';
import { tempDirs } from './__fixtures__/temp-dirs';
import { geminiFilesDir } from './gemini-files';
import { readSettings } from './gemini-home';
import { buildGeminiInvocation, GEMINI_GIT_DENY_POLICY, geminiInvocation } from './gemini-invocation';
import { findGeminiSessionFile } from './gemini-session';
import { DENIED_GIT_COMMANDS } from './git-deny';
import type { AgentRunRequest } from './types';

const help = readFileSync(join(__dirname, '__fixtures__', 'gemini', 'gemini-help.txt'), 'utf8');

const dir = tempDirs('gemini-spec-');

/** A run request whose prompt file sits in a fresh folder (gemini's files go beside it). */
function request(extra: Partial<AgentRunRequest> = {}): AgentRunRequest {
  const base = dir();
  return runRequest({ promptFile: join(base, 'auth--login.prompt.md'), cwd: join(base, 'auth--login'), ...extra });
}

describe('geminiInvocation (the command line, from files already prepared)', () => {
  it('reads nothing and writes nothing: the policy, session file and overlay home are given', () => {
    const files = { policyFile: '/p/git-deny.toml', sessionFile: '/h/chats/session-1-3eb9c6f8.jsonl', home: '/p/home-1' };
    const req = runRequest({ promptFile: '/nowhere/wt.prompt.md', resumeSessionId: '3eb9c6f8-52b7-446d-8740-7261cf043b46', options: { sandbox: true } });
    expect(geminiInvocation(req, files)).toEqual({
      bin: 'gemini',
      args: ['-o', 'stream-json', '--approval-mode', 'auto_edit', '--skip-trust', '--policy', '/p/git-deny.toml', '--sandbox', '--session-file', files.sessionFile],
      env: { GEMINI_CLI_HOME: '/p/home-1' },
      stdin: req.prompt,
      warnings: [],
    });
    expect(existsSync('/nowhere')).toBe(false);
    expect(geminiInvocation(req, { ...files, sessionFile: null, home: null })).toMatchObject({ args: expect.arrayContaining(['-r', req.resumeSessionId]), env: {} });
  });
});

describe('buildGeminiInvocation', () => {
  it('runs `gemini -o stream-json --approval-mode auto_edit --skip-trust --policy <git deny>` with the prompt on stdin', () => {
    const req = request();
    const invocation = buildGeminiInvocation(req, {});
    const policy = invocation.args[6];
    expect(invocation.bin).toBe('gemini');
    expect(invocation.args).toEqual(['-o', 'stream-json', '--approval-mode', 'auto_edit', '--skip-trust', '--policy', policy]);
    expect(policy).toMatch(new RegExp(`^${geminiFilesDir(req)}/git-deny-[0-9a-f]{16}\\.toml$`));
    expect(invocation.stdin).toBe(req.prompt);
    expect(invocation.env).toEqual({});
    expect(invocation.warnings).toEqual([]);
    expect(readFileSync(policy, 'utf8')).toBe(GEMINI_GIT_DENY_POLICY);
    // Written once, beside the worktrees (the prompt file's folder), shared by the runs.
    expect(buildGeminiInvocation({ ...req, prompt: 'another' }, {}).args[6]).toBe(policy);
    expect(readdirSync(geminiFilesDir(req))).toEqual([basename(policy)]);
  });

  it('passes model, resume, sandbox and agentArgs, with flags and values that `gemini --help` lists', () => {
    const args = buildGeminiInvocation(
      request({ model: 'gemini-2.5-pro', resumeSessionId: '3eb9c6f8-52b7-446d-8740-7261cf043b46', extraArgs: ['--debug'], options: { sandbox: true, approvalMode: 'plan' } }),
      { GEMINI_CLI_HOME: dir() },
    ).args;
    expect(args.slice(0, 5)).toEqual(['-o', 'stream-json', '--approval-mode', 'plan', '--skip-trust']);
    expect(args.slice(7)).toEqual(['--sandbox', '-m', 'gemini-2.5-pro', '-r', '3eb9c6f8-52b7-446d-8740-7261cf043b46', '--debug']);
    for (const flag of flagsOf(args)) expect({ flag, listed: helpLists(help, flag) }).toEqual({ flag, listed: true });
    expect(help).toMatch(/--output-format.*\[choices: "text", "json", "stream-json"\]/);
    expect(help).toMatch(/--approval-mode.*\[choices: "default", "auto_edit", "yolo", "plan"\]/);
    expect(args).not.toContain('-p');
  });

  it('resumes from the session file gemini recorded (-r only searches the current folder, and each run has a new worktree)', () => {
    const home = dir();
    const id = '3eb9c6f8-52b7-446d-8740-7261cf043b46';
    const chats = join(home, '.gemini', 'tmp', 'auth--login-1a2b3c', 'chats');
    mkdirSync(chats, { recursive: true });
    const file = join(chats, 'session-2026-11-24T07-10-3eb9c6f8.jsonl');
    writeFileSync(file, `${JSON.stringify({ sessionId: id, projectHash: 'x', kind: 'main' })}\n{"$set":{}}\n`);
    // Same 8-character prefix, another session: not taken.
    writeFileSync(join(chats, 'session-2026-11-24T07-11-3eb9c6f8.jsonl'), `${JSON.stringify({ sessionId: '3eb9c6f8-0000-0000-0000-000000000000' })}\n`);
    expect(findGeminiSessionFile(home, id)).toBe(file);
    const args = buildGeminiInvocation(request({ resumeSessionId: id }), { GEMINI_CLI_HOME: home }).args;
    expect(args.slice(-2)).toEqual(['--session-file', file]);
    expect(help).toMatch(/--session-file\s+Load a session from a JSON file/);
    expect(findGeminiSessionFile(home, 'ffffffff-0000-0000-0000-000000000000')).toBeNull();
    expect(findGeminiSessionFile(join(home, 'nowhere'), id)).toBeNull();
  });

  it('denies the shared git command list in its policy file (deny wins over yolo)', () => {
    expect(GEMINI_GIT_DENY_POLICY).toContain('toolName = "run_shell_command"');
    expect(GEMINI_GIT_DENY_POLICY).toContain('decision = "deny"');
    for (const command of DENIED_GIT_COMMANDS) expect(GEMINI_GIT_DENY_POLICY).toContain(JSON.stringify(command));
  });

  it('warns about yolo and about the budget it cannot enforce; maxTurns it can', () => {
    const invocation = buildGeminiInvocation(request({ maxTurns: 12, maxBudgetUsd: 2, options: { approvalMode: 'yolo' } }), { GEMINI_CLI_HOME: dir() });
    expect(invocation.warnings).toEqual([
      'gemini has no spending limit: maxBudgetUsd 2 is not enforced (the timeout still is)',
      'gemini approves every tool call (yolo), shell commands included; only the git deny list still holds',
    ]);
  });

  it('maxTurns: model.maxSessionTurns in a settings overlay of the user home, which is never written', () => {
    const home = dir();
    mkdirSync(join(home, '.gemini', 'tmp', 'project', 'chats'), { recursive: true });
    writeFileSync(join(home, '.gemini', 'settings.json'), '{\n  // mine\n  "security": { "auth": { "selectedType": "oauth-personal" } },\n  "model": { "name": "x", },\n}\n');
    writeFileSync(join(home, '.gemini', 'oauth_creds.json'), '{"token":"t"}');
    mkdirSync(join(home, '.agents'));
    const before = readFileSync(join(home, '.gemini', 'settings.json'), 'utf8');

    const req = request({ maxTurns: 7, options: { settings: { model: { compressionThreshold: 0.5 }, ui: { hideBanner: true } } } });
    const invocation = buildGeminiInvocation(req, { GEMINI_CLI_HOME: home });
    const overlay = invocation.env.GEMINI_CLI_HOME;
    expect(overlay).toMatch(new RegExp(`^${geminiFilesDir(req)}/home-[0-9a-f]{16}$`));
    expect(JSON.parse(readFileSync(join(overlay, '.gemini', 'settings.json'), 'utf8'))).toEqual({
      security: { auth: { selectedType: 'oauth-personal' } },
      model: { name: 'x', compressionThreshold: 0.5, maxSessionTurns: 7 },
      ui: { hideBanner: true },
    });
    for (const name of ['oauth_creds.json', 'tmp', 'history']) {
      expect({ name, link: lstatSync(join(overlay, '.gemini', name)).isSymbolicLink() }).toEqual({ name, link: true });
      expect(realpathSync(join(overlay, '.gemini', name))).toBe(realpathSync(join(home, '.gemini', name)));
    }
    expect(lstatSync(join(overlay, '.agents')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(home, '.gemini', 'settings.json'), 'utf8')).toBe(before);

    // Another run with the same settings shares the overlay, and links what the user's home gained.
    writeFileSync(join(home, '.gemini', 'google_accounts.json'), '{}');
    expect(buildGeminiInvocation(request({ promptFile: req.promptFile, maxTurns: 7, options: req.options }), { GEMINI_CLI_HOME: home }).env.GEMINI_CLI_HOME).toBe(overlay);
    expect(lstatSync(join(overlay, '.gemini', 'google_accounts.json')).isSymbolicLink()).toBe(true);
    // Other settings: another overlay.
    const other = buildGeminiInvocation(request({ promptFile: req.promptFile, maxTurns: 8 }), { GEMINI_CLI_HOME: home }).env.GEMINI_CLI_HOME;
    expect(other).not.toBe(overlay);
    expect(readSettings(join(other, '.gemini', 'settings.json'))).toMatchObject({ model: { name: 'x', maxSessionTurns: 8 } });

    // Removing the adapter's folder (rmSync unlinks the symlinks) leaves the user's home alone.
    removeDir(geminiFilesDir(req));
    expect(readFileSync(join(home, '.gemini', 'settings.json'), 'utf8')).toBe(before);
    expect(readFileSync(join(home, '.gemini', 'oauth_creds.json'), 'utf8')).toBe('{"token":"t"}');
    expect(existsSync(join(home, '.gemini', 'tmp', 'project', 'chats'))).toBe(true);
  });
});
