import { splitList } from './lists';

describe('splitList', () => {
  it('splits on top-level commas only, trims, drops blanks', () => {
    expect(splitList('src/a/**, src/{b,c}/*.ts,,  ')).toEqual(['src/a/**', 'src/{b,c}/*.ts']);
    expect(splitList(['a,b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(splitList('x\\,y,z')).toEqual(['x\\,y', 'z']);
    expect(splitList(undefined)).toEqual([]);
  });
});
