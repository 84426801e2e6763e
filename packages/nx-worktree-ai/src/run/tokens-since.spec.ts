import { tokensSince } from './retry';

describe('tokensSince: one run of a session whose CLI reports the session total', () => {
  it('takes the earlier total off, field by field; unknown stays unknown', () => {
    expect(tokensSince({ input: 100, output: 20, cacheRead: 300, cacheWrite: null }, { input: 150, output: 45, cacheRead: 700, cacheWrite: null })).toEqual({ input: 50, output: 25, cacheRead: 400, cacheWrite: null });
    expect(tokensSince({ input: null, output: 20, cacheRead: 0, cacheWrite: 0 }, { input: 10, output: 10, cacheRead: null, cacheWrite: 0 })).toEqual({ input: 10, output: 0, cacheRead: null, cacheWrite: 0 });
  });
});
