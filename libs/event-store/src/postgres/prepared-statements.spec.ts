import type { Pool } from 'pg';
import { PreparedStatements } from './prepared-statements';

describe('PreparedStatements.textOf', () => {
  // textOf never touches the pool.
  const statements = () => new PreparedStatements({} as Pool, true);

  it('builds the text of a shape once and hands out the same string after', () => {
    const store = statements();
    const build = jest.fn(() => `SELECT ${['$1', '$2'].join(', ')}`);

    const first = store.textOf('shape-a', build);
    const second = store.textOf('shape-a', build);

    expect(second).toBe(first);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('builds each shape of its own', () => {
    const store = statements();

    expect(store.textOf('shape-a', () => 'SELECT 1')).toBe('SELECT 1');
    expect(store.textOf('shape-b', () => 'SELECT 2')).toBe('SELECT 2');
  });

  it('stops keeping texts past its bound, and still builds them', () => {
    const store = statements();
    for (let n = 0; n < 500; n++) store.textOf(`shape-${n}`, () => `SELECT ${n}`);
    const build = jest.fn(() => 'SELECT 500');

    store.textOf('shape-500', build);
    store.textOf('shape-500', build);

    expect(build).toHaveBeenCalledTimes(2);
  });
});
