import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchFrontmatterSchema } from '../batch/spec';
import { flagsOf, helpLists } from './__fixtures__/malformed';
import { runRequest } from './__fixtures__/request';
import { buildCodexInvocation, codexAdapter } from './codex';
import { codexOptionsSchema } from './options';
import { getAdapter } from './registry';
import { tomlValue } from './toml-value';

const FIXTURES = join(__dirname, '__fixtures__', 'codex');
const fixture = (name: string) => join(FIXTURES, name);
const execHelp = readFileSync(fixture('codex-exec-help.txt'), 'utf8');
const resumeHelp = readFileSync(fixture('codex-exec-resume-help.txt'), 'utf8');

const request = runRequest();

describe('buildCodexInvocation', () => {
  it('runs `codex exec --json -s workspace-write -` with the prompt on stdin, verbatim', () => {
    const invocation = buildCodexInvocation(request);
    expect(invocation).toEqual({ bin: 'codex', args: ['exec', '--json', '-s', 'workspace-write', '-'], env: {}, stdin: request.prompt, warnings: [] });
  });

  it('passes model, profile and every config entry as -c key=<TOML>, then agentArgs, the prompt last', () => {
    const args = buildCodexInvocation({
      ...request,
      model: 'gpt-5.5',
      extraArgs: ['--skip-git-repo-check'],
      options: {
        profile: 'work',
        config: {
          model_reasoning_effort: 'high',
          'model_providers.local': { name: 'local', base_url: 'http://127.0.0.1:8080/v1', env_key: 'LOCAL_KEY', wire_api: 'responses', request_max_retries: 0 },
          model_provider: 'local',
          'sandbox_workspace_write.writable_roots': ['/tmp/cache'],
          'shell_environment_policy.inherit': 'all',
          hide_agent_reasoning: true,
        },
      },
    }).args;
    expect(args).toEqual([
      'exec', '--json', '-s', 'workspace-write', '-m', 'gpt-5.5', '--profile', 'work',
      '-c', 'model_reasoning_effort="high"',
      '-c', 'model_providers.local={ name = "local", base_url = "http://127.0.0.1:8080/v1", env_key = "LOCAL_KEY", wire_api = "responses", request_max_retries = 0 }',
      '-c', 'model_provider="local"',
      '-c', 'sandbox_workspace_write.writable_roots=["/tmp/cache"]',
      '-c', 'shell_environment_policy.inherit="all"',
      '-c', 'hide_agent_reasoning=true',
      '--skip-git-repo-check', '-',
    ]);
    for (const flag of flagsOf(args)) expect({ flag, listed: helpLists(execHelp, flag) }).toEqual({ flag, listed: true });
  });

  it('resumes a thread with `exec [options] resume <id> -` (the options before resume hold for it)', () => {
    const args = buildCodexInvocation({ ...request, model: 'gpt-5.5', resumeSessionId: '01a20c54-0932-7332-b030-babda5007d65' }).args;
    expect(args).toEqual(['exec', '--json', '-s', 'workspace-write', '-m', 'gpt-5.5', 'resume', '01a20c54-0932-7332-b030-babda5007d65', '-']);
    expect(execHelp).toMatch(/^\s+resume\s+Resume a previous session by id/m);
    expect(resumeHelp).toMatch(/\[SESSION_ID\] \[PROMPT\]/);
    expect(resumeHelp).toMatch(/If `-` is used, read from stdin/);
  });

  it('takes the sandbox from the batch section and warns about danger-full-access', () => {
    expect(buildCodexInvocation({ ...request, options: { sandbox: 'read-only' } }).args.slice(0, 4)).toEqual(['exec', '--json', '-s', 'read-only']);
    const open = buildCodexInvocation({ ...request, options: { sandbox: 'danger-full-access' } });
    expect(open.args.slice(2, 4)).toEqual(['-s', 'danger-full-access']);
    expect(open.warnings).toEqual(['codex runs without a sandbox (danger-full-access): it can write anywhere, not only in the worktree']);
    expect(execHelp).toMatch(/\[possible values: read-only, workspace-write, danger-full-access\]/);
  });

  it('says that codex has no turn or spending limit (the timeout still holds)', () => {
    expect(buildCodexInvocation({ ...request, maxTurns: 40, maxBudgetUsd: 3 }).warnings).toEqual([
      'codex has no turn limit: maxTurns 40 is not enforced (the timeout still is)',
      'codex has no spending limit: maxBudgetUsd 3 is not enforced (the timeout still is)',
    ]);
    expect(execHelp).not.toMatch(/max-turns|max_turns/);
  });

  it('writes TOML values: strings quoted and escaped, nested tables, arrays, quoted keys', () => {
    expect(tomlValue('a "b"\n\\c')).toBe('"a \\"b\\"\\n\\\\c"');
    expect(tomlValue(0.5)).toBe('0.5');
    expect(tomlValue(false)).toBe('false');
    expect(tomlValue([1, 'x', [true]])).toBe('[1, "x", [true]]');
    expect(tomlValue({ 'my.key': { inner: 1 }, plain: 'v' })).toBe('{ "my.key" = { inner = 1 }, plain = "v" }');
    expect(tomlValue({})).toBe('{}');
  });
});

describe('the codex section of a batch', () => {
  it('accepts sandbox, profile and config with TOML-able values', () => {
    const parsed = codexOptionsSchema.parse({ sandbox: 'workspace-write', profile: 'p', config: { 'model_providers.x': { name: 'x', retries: 2, flags: [true] } } });
    expect(parsed.config).toEqual({ 'model_providers.x': { name: 'x', retries: 2, flags: [true] } });
    const batch = batchFrontmatterSchema.parse({ agent: 'codex', outputs: ['src/**'], codex: { sandbox: 'read-only' } });
    expect(batch.codex).toEqual({ sandbox: 'read-only' });
  });

  it('refuses unknown keys, bad sandboxes, null values and keys with "="', () => {
    expect(codexOptionsSchema.safeParse({ approvalMode: 'x' }).success).toBe(false);
    expect(codexOptionsSchema.safeParse({ sandbox: 'full' }).success).toBe(false);
    expect(codexOptionsSchema.safeParse({ config: { a: null } }).success).toBe(false);
    expect(codexOptionsSchema.safeParse({ config: { 'a=b': 1 } }).success).toBe(false);
    expect(codexOptionsSchema.safeParse({ config: { '-c': 1 } }).success).toBe(false);
  });

  it('is registered under its name', () => {
    expect(getAdapter('codex')).toBe(codexAdapter);
    expect(codexAdapter).toMatchObject({ bin: 'codex', npmPackage: '@openai/codex', versionArgs: ['--version'] });
  });
});
