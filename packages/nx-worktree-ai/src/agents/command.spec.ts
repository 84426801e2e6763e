import { buildCommandInvocation, classifyCommand, commandAdapter, createCommandParser } from './command';
import { runAgentProcess } from './process';
import type { AgentOutcome, AgentRunRequest } from './types';

const request: AgentRunRequest = {
  prompt: 'Write {promptFile} nowhere\n-second line',
  promptFile: '/tmp/wt.prompt.md',
  cwd: '/tmp/wt',
  model: null,
  maxTurns: null,
  maxBudgetUsd: null,
  command: ['my-agent', '--task', '{prompt}'],
  extraArgs: [],
  options: {},
  resumeSessionId: null,
};

function outcome(extra: Partial<AgentOutcome>): AgentOutcome {
  return { exitCode: 0, signal: null, timedOut: false, result: null, stderrTail: '', ...extra };
}

describe('buildCommandInvocation', () => {
  it('substitutes {prompt} and closes stdin', () => {
    expect(buildCommandInvocation(request)).toEqual({ bin: 'my-agent', args: ['--task', request.prompt], env: {}, stdin: null });
  });

  it('substitutes placeholders inside arguments, once (the prompt may contain "{promptFile}")', () => {
    const invocation = buildCommandInvocation({ ...request, command: ['gen', '--message={prompt}', '--file={promptFile}', '{prompt}{prompt}'] });
    expect(invocation.args).toEqual([
      `--message=${request.prompt}`,
      '--file=/tmp/wt.prompt.md',
      request.prompt + request.prompt,
    ]);
    expect(invocation.stdin).toBeNull();
  });

  it('sends the prompt on stdin when no placeholder is used, and appends agentArgs', () => {
    expect(buildCommandInvocation({ ...request, command: ['node', 'tools/gen.mjs'], extraArgs: ['--fast'] })).toEqual({
      bin: 'node',
      args: ['tools/gen.mjs', '--fast'],
      env: {},
      stdin: request.prompt,
    });
  });

  it('does not substitute in the program name or in agentArgs', () => {
    const invocation = buildCommandInvocation({ ...request, command: ['{prompt}'], extraArgs: ['{promptFile}'] });
    expect(invocation).toMatchObject({ bin: '{prompt}', args: ['{promptFile}'], stdin: request.prompt });
  });

  it.each([null, [], ['']])('explains what is missing when command is %j', (command) => {
    expect(() => buildCommandInvocation({ ...request, command })).toThrow('agent "command" needs `command: [program, ...args]` in the batch frontmatter');
  });
});

describe('command parser and classify', () => {
  it('keeps every non-empty output line as a message', () => {
    const parse = createCommandParser();
    expect(parse('compiling…')).toEqual([{ kind: 'message', text: 'compiling…' }]);
    expect(parse('{"type":"result"}')).toEqual([{ kind: 'message', text: '{"type":"result"}' }]);
    expect(parse('  ')).toEqual([]);
  });

  it('succeeds on exit 0 only', () => {
    expect(classifyCommand(outcome({ exitCode: 0 }))).toBeNull();
    expect(classifyCommand(outcome({ exitCode: 2, stderrTail: 'usage: gen <file>\n' }))).toEqual({
      kind: 'crashed',
      message: 'the batch command exited with code 2: usage: gen <file>',
    });
    expect(classifyCommand(outcome({ exitCode: null, signal: 'SIGTERM', timedOut: true, timeoutMs: 90_000 }))).toEqual({
      kind: 'timeout',
      message: 'the batch command was killed after 1m30s: raise `timeout` in the batch frontmatter, or make the batch smaller',
    });
  });
});

describe('the command agent through runAgentProcess', () => {
  async function run(command: string[]) {
    const invocation = commandAdapter.buildInvocation({ ...request, command });
    const parse = commandAdapter.createParser();
    const events: unknown[] = [];
    const result = await runAgentProcess({ ...invocation, cwd: process.cwd(), timeoutMs: 10_000, onLine: (line) => events.push(...parse(line)) });
    return { events, failure: commandAdapter.classify({ ...result, result: null }) };
  }

  it('gets the prompt on stdin', async () => {
    const script = "let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => console.log(s.split('\\n').reverse().join('\\n')));";
    const { events, failure } = await run([process.execPath, '-e', script]);
    expect(failure).toBeNull();
    expect(events).toEqual([
      { kind: 'message', text: '-second line' },
      { kind: 'message', text: 'Write {promptFile} nowhere' },
    ]);
  });

  it('gets the prompt as an argument, verbatim', async () => {
    const { events } = await run([process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '--', '{prompt}', '{promptFile}']);
    expect(events).toEqual([{ kind: 'message', text: JSON.stringify([request.prompt, request.promptFile]) }]);
  });

  it('fails on a non-zero exit', async () => {
    const { failure } = await run([process.execPath, '-e', "console.error('no model configured'); process.exit(4)"]);
    expect(failure).toEqual({ kind: 'crashed', message: 'the batch command exited with code 4: no model configured' });
  });
});
