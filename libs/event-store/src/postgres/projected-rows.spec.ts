import type { ProjectedRow, RowUpsert } from '../event-store';
import { rowWrites } from './projected-rows';

const job = (jobId: string, status: string, revision: number): RowUpsert => ({
  table: 'read_models.jobs',
  key: { job_id: jobId },
  values: { status, client_id: 'c-1' },
  revision,
});
const writesOf = (rows: ProjectedRow[]) =>
  rowWrites(
    rows.map((row) => ({ row, stream: 1 })),
    { onlyAppended: true },
  );

describe('rowWrites', () => {
  it('gives rows of the same tables and columns one shape, whatever their values', () => {
    const first = writesOf([job('j-1', 'Requested', 0)]);
    const second = writesOf([job('j-2', 'Dispatched', 4), job('j-3', 'Requested', 0)]);

    expect(second.shape).toBe(first.shape);
    expect(second.ctes(8)).toEqual(first.ctes(8));
    expect(second.values).not.toEqual(first.values);
  });

  it('gives another shape to another column, monotonic column, kind of write or table', () => {
    const shapes = [
      writesOf([job('j-1', 'Requested', 0)]),
      writesOf([{ ...job('j-1', 'Requested', 0), values: { status: 'Requested' } }]),
      writesOf([{ ...job('j-1', 'Requested', 0), monotonic: ['status'] }]),
      writesOf([{ op: 'delete', table: 'read_models.jobs', key: { job_id: 'j-1' }, revision: 1 }]),
      writesOf([
        { op: 'advance', table: 'read_models.jobs', key: { job_id: 'j-1' }, values: { seen: 2 } },
      ]),
      writesOf([{ ...job('j-1', 'Requested', 0), table: 'read_models.jobs_v2' }]),
      rowWrites([{ row: job('j-1', 'Requested', 0) }], { onlyAppended: false }),
    ].map((writes) => writes.shape);

    expect(new Set(shapes).size).toBe(shapes.length);
  });

  it('numbers the placeholders from the first one given, in the order of the values', () => {
    const writes = writesOf([
      job('j-1', 'Requested', 0),
      { op: 'advance', table: 'read_models.jobs', key: { job_id: 'j-1' }, values: { status: 'x' } },
      { op: 'delete', table: 'read_models.clients', key: { client_id: 'c-9' }, revision: 3 },
    ]);

    const sql = writes.ctes(8).join(', ');

    // jobs: the advance's rows, then the upsert's; clients: the delete's.
    expect(writes.values.map((json) => JSON.parse(json) as unknown)).toEqual([
      [{ s: 1, r: { job_id: 'j-1', status: 'x' } }],
      [{ s: 1, r: { job_id: 'j-1', status: 'Requested', client_id: 'c-1', stream_revision: 0 } }],
      [{ s: 1, r: { client_id: 'c-9', stream_revision: 3 } }],
    ]);
    expect(sql).toMatch(/rows_0_advanced AS \([^]*jsonb_array_elements\(\$8::jsonb\)/);
    expect(sql).toMatch(/rows_0_upsert AS \([^]*jsonb_array_elements\(\$9::jsonb\)/);
    expect(sql).toMatch(/rows_1_delete AS \([^]*jsonb_array_elements\(\$10::jsonb\)/);
    expect(sql).not.toMatch(/\$(7|11)\b/);
  });

  it('checks the rows before anything is built', () => {
    expect(() => writesOf([{ ...job('j-1', 'Requested', 0), key: {} }])).toThrow(/no key columns/);
  });
});
