import { ProjectedHere } from './projected-here';

describe('ProjectedHere', () => {
  it('covers a stream up to the revision written here, and forgets it once the projection reaches it', () => {
    const here = new ProjectedHere();
    here.written('client-t-a', 3);

    expect(here.covers('client-t-a', 2)).toBe(true);
    expect(here.covers('client-t-a', 4)).toBe(false);
    expect(here.covers('client-t-a', 3)).toBe(true);
    expect(here.covers('client-t-a', 3)).toBe(false);
    expect(here.size).toBe(0);
  });

  it('knows nothing of streams it did not write', () => {
    expect(new ProjectedHere().covers('client-t-b', 0)).toBe(false);
  });

  it('keeps the highest revision when commits are heard out of order', () => {
    const here = new ProjectedHere();
    here.written('job-t-1', 5);
    here.written('job-t-1', 4);

    expect(here.covers('job-t-1', 5)).toBe(true);
  });

  it('forgets the oldest stream beyond its capacity', () => {
    const here = new ProjectedHere(2);
    here.written('a', 0);
    here.written('b', 0);
    here.written('c', 0);

    expect(here.covers('a', 0)).toBe(false);
    expect(here.covers('b', 0)).toBe(true);
    expect(here.covers('c', 0)).toBe(true);
  });
});
