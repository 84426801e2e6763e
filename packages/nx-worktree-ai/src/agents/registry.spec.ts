import { AGENT_NAMES } from '../batch/spec';
import { claudeAdapter } from './claude';
import { commandAdapter } from './command';
import { AVAILABLE_AGENTS, getAdapter } from './registry';

describe('getAdapter', () => {
  it('returns the implemented adapters under their own names', () => {
    expect(getAdapter('claude')).toBe(claudeAdapter);
    expect(getAdapter('command')).toBe(commandAdapter);
    for (const name of AVAILABLE_AGENTS) expect(getAdapter(name).name).toBe(name);
  });

  it.each(AGENT_NAMES.filter((name) => !AVAILABLE_AGENTS.includes(name)))('says which agents are available when asked for %s', (name) => {
    expect(() => getAdapter(name)).toThrow(`agent "${name}" is not supported yet: the available agents are claude, command`);
  });
});
