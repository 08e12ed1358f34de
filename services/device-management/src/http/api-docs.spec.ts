import { schemaOfExample } from './api-docs';

describe('schemaOfExample', () => {
  it('describes what the example holds, every property required, arrays by their first item', () => {
    expect(
      schemaOfExample({ id: 'press-07', count: 3, ratio: 0.5, on: true, tags: ['a'], nested: {} }),
    ).toEqual({
      type: 'object',
      properties: {
        id: { type: 'string' },
        count: { type: 'integer' },
        ratio: { type: 'number' },
        on: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' } },
        nested: { type: 'object', properties: {}, required: [] },
      },
      required: ['id', 'count', 'ratio', 'on', 'tags', 'nested'],
    });
    expect(schemaOfExample([])).toEqual({ type: 'array', items: {} });
  });
});
