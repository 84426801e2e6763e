import { bypassSettings, bypassWarning } from './permissions';

describe('bypassSettings', () => {
  it('finds nothing in the defaults', () => {
    expect(bypassSettings({ agent: 'claude', section: {}, agentArgs: [] })).toEqual([]);
    expect(bypassSettings({ agent: 'claude', section: { permissionMode: 'acceptEdits', allowedTools: ['Bash(npm test:*)'] }, agentArgs: ['--allowedTools', 'Bash(npm run lint:*)'] })).toEqual([]);
  });

  it("names claude's bypass settings in the batch section and in agentArgs", () => {
    expect(bypassSettings({ agent: 'claude', section: { permissionMode: 'bypassPermissions' }, agentArgs: [] })).toEqual(['claude.permissionMode bypassPermissions bypasses every permission check']);
    expect(bypassSettings({ agent: 'claude', section: { allowedTools: ['Read', 'Bash'] }, agentArgs: [] })).toEqual(['claude.allowedTools Bash allows every Bash command']);
    expect(bypassSettings({ agent: 'claude', section: {}, agentArgs: ['--dangerously-skip-permissions'] })).toEqual(['agentArgs --dangerously-skip-permissions skips every permission check']);
    expect(bypassSettings({ agent: 'claude', section: {}, agentArgs: ['--permission-mode', 'bypassPermissions'] })).toEqual(['agentArgs --permission-mode bypassPermissions bypasses every permission check']);
    expect(bypassSettings({ agent: 'claude', section: {}, agentArgs: ['--permission-mode=bypassPermissions'] })).toEqual(['agentArgs --permission-mode bypassPermissions bypasses every permission check']);
    expect(bypassSettings({ agent: 'claude', section: {}, agentArgs: ['--allowedTools', 'Read', 'Bash', '--model', 'x'] })).toEqual(['agentArgs --allowedTools Bash allows every Bash command']);
    expect(bypassSettings({ agent: 'claude', section: {}, agentArgs: ['--permission-mode', 'plan'] })).toEqual([]);
  });

  it('knows the other CLIs bypass flags', () => {
    expect(bypassSettings({ agent: 'codex', section: {}, agentArgs: ['--dangerously-bypass-approvals-and-sandbox'] })).toHaveLength(1);
    expect(bypassSettings({ agent: 'codex', section: {}, agentArgs: ['-s', 'danger-full-access'] })).toHaveLength(1);
    expect(bypassSettings({ agent: 'gemini', section: {}, agentArgs: ['--approval-mode', 'yolo'] })).toHaveLength(1);
    expect(bypassSettings({ agent: 'qwen', section: {}, agentArgs: ['-y'] })).toHaveLength(1);
    expect(bypassSettings({ agent: 'copilot', section: {}, agentArgs: ['--allow-all-tools'] })).toHaveLength(1);
  });

  it('leaves the command agent alone: its argv is the user own program', () => {
    expect(bypassSettings({ agent: 'command', section: {}, agentArgs: ['-y', '--force'] })).toEqual([]);
  });

  it('warns in one line naming the setting', () => {
    expect(bypassWarning('auth:login', 'claude.permissionMode bypassPermissions bypasses every permission check')).toMatch(
      /^\[auth:login\] warning: claude\.permissionMode bypassPermissions bypasses every permission check: the agent can run any command as you, outside its worktree too; .*SECURITY\.md/,
    );
  });
});
