import { AGENT_NAMES } from './names';
import { ampAdapter } from './amp';
import { claudeAdapter } from './claude';
import { commandAdapter } from './command';
import { copilotAdapter } from './copilot';
import { cursorAdapter } from './cursor';
import { opencodeAdapter } from './opencode';
import { qwenAdapter } from './qwen';
import { AVAILABLE_AGENTS, getAdapter } from './registry';

describe('getAdapter', () => {
  it('returns the implemented adapters under their own names', () => {
    expect(getAdapter('claude')).toBe(claudeAdapter);
    expect(getAdapter('command')).toBe(commandAdapter);
    expect(getAdapter('opencode')).toBe(opencodeAdapter);
    expect(getAdapter('copilot')).toBe(copilotAdapter);
    expect(getAdapter('qwen')).toBe(qwenAdapter);
    expect(getAdapter('cursor')).toBe(cursorAdapter);
    expect(getAdapter('amp')).toBe(ampAdapter);
    for (const name of AVAILABLE_AGENTS) expect(getAdapter(name).name).toBe(name);
  });

  it('every adapter can say how to install its CLI', () => {
    for (const name of AVAILABLE_AGENTS.filter((n) => n !== 'command')) {
      const adapter = getAdapter(name);
      expect(adapter.bin).not.toBe('');
      expect(adapter.npmPackage ?? adapter.install).toBeTruthy();
    }
  });

  const unavailable = AGENT_NAMES.filter((name) => !AVAILABLE_AGENTS.includes(name));
  // (jest refuses an empty table: once every agent is implemented there is nothing to test here)
  if (unavailable.length > 0) {
    it.each(unavailable)('says which agents are available when asked for %s', (name) => {
      expect(() => getAdapter(name)).toThrow(`agent "${name}" is not supported yet: the available agents are ${AVAILABLE_AGENTS.join(', ')}`);
    });
  }
});
