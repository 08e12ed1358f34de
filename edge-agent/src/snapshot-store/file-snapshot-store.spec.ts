import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSnapshotStore } from './file-snapshot-store';
import type { JobRecord } from './job-record';

const record = (
  jobId: string,
  state: string,
  createdAt: string,
  machineVersion = 1,
): JobRecord => ({
  jobId,
  machineVersion,
  state,
  context: { image: 'x' },
  log: [{ at: createdAt, from: null, to: state, event: 'COMMAND' }],
  reportedThrough: 0,
  createdAt,
  updatedAt: createdAt,
});

describe('FileSnapshotStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapshots-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('saves, replaces and loads a record, leaving no temp file behind', async () => {
    const store = new FileSnapshotStore(join(dir, 'jobs'));
    await store.save(record('job-1', 'received', '2026-01-01T00:00:00.000Z'));
    await store.save({
      ...record('job-1', 'pulling', '2026-01-01T00:00:00.000Z'),
      reportedThrough: 1,
    });
    const loaded = await store.load('job-1', [1]);
    expect(loaded).toMatchObject({ kind: 'ok', record: { state: 'pulling', reportedThrough: 1 } });
    expect(await readdir(join(dir, 'jobs'))).toEqual(['job-1.job.json']);
  });

  it('tells missing, incompatible and corrupt records apart', async () => {
    const store = new FileSnapshotStore(dir);
    expect(await store.load('nope', [1])).toEqual({ kind: 'missing', jobId: 'nope' });
    await store.save(record('old', 'verifying', '2026-01-01T00:00:00.000Z', 0));
    expect(await store.load('old', [1])).toMatchObject({ kind: 'incompatible', machineVersion: 0 });
    await writeFile(join(dir, 'torn.job.json'), '{"jobId":"torn","sta');
    expect(await store.load('torn', [1])).toMatchObject({ kind: 'corrupt', jobId: 'torn' });
  });

  it('lists jobs oldest first, corrupt ones included, for history', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(record('b', 'committed', '2026-01-02T00:00:00.000Z'));
    await store.save(record('a', 'failed', '2026-01-01T00:00:00.000Z'));
    await writeFile(join(dir, 'c.job.json'), 'not json');
    const list = await store.list();
    expect(list.map((j) => [j.jobId, j.state])).toEqual([
      ['c', 'corrupt'],
      ['a', 'failed'],
      ['b', 'committed'],
    ]);
  });

  it('drops temp files a crash left mid-write, and refuses unsafe job ids', async () => {
    await writeFile(join(dir, 'job-9.job.json.123.tmp'), '{"half":');
    const store = new FileSnapshotStore(dir);
    await store.save(record('job-9', 'received', '2026-01-01T00:00:00.000Z'));
    expect(await readdir(dir)).toEqual(['job-9.job.json']);
    await expect(
      store.save(record('../escape', 'received', '2026-01-01T00:00:00.000Z')),
    ).rejects.toThrow('unsafe job id');
  });
});
