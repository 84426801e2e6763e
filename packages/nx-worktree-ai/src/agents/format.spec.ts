import { formatCount } from './format';

describe('formatCount', () => {
  it('groups thousands as en-US does', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 1_234_567, -9_876_543, 1234.5]) expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
  });
});
