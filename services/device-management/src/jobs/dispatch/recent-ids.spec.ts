import { RecentIds } from './recent-ids';

describe('RecentIds', () => {
  it('remembers the last ids added and forgets the oldest beyond its capacity', () => {
    const recent = new RecentIds(2);
    recent.add('a');
    recent.add('b');
    recent.add('a'); // seen again: now the newest
    recent.add('c');

    expect(recent.has('a')).toBe(true);
    expect(recent.has('c')).toBe(true);
    expect(recent.has('b')).toBe(false);
  });
});
