import { foldClient } from '../clients/domain/client.decider';
import type { ClientEvent } from '../clients/domain/client.events';
import { foldUpdateJob } from '../jobs/update/domain/update-job.decider';
import type { UpdateJobEvent } from '../jobs/update/domain/update-job.events';
import { clientStream, updateJobStream } from '../shared/domain/stream-names';
import { CLIENTS_TABLE, JOBS_TABLE, readModelRows } from './read-model.rows';

const jobId = '6f1c2a9e-4b7d-4c3e-9a21-0d5e8f7b6c41';
const requested: UpdateJobEvent = {
  type: 'UpdateRequested',
  data: {
    jobId,
    tenantId: 'acme',
    clientId: 'press-07',
    targetVersion: '2.1.0',
    image: 'registry.example.com/opc-core:2.1.0',
    requestedAt: '2026-11-23T10:00:00.000Z',
  },
};
const received: UpdateJobEvent = {
  type: 'UpdateReceived',
  data: { jobId, seq: 1, at: '2026-11-23T10:00:01.000Z' },
};
const registered: ClientEvent = {
  type: 'ClientRegistered',
  data: {
    tenantId: 'acme',
    clientId: 'press-07',
    labels: { line: '7' },
    version: '2.0.0',
    registeredAt: '2026-11-23T09:00:00.000Z',
  },
};

describe('read-model rows: (state after, revision) -> rows', () => {
  it("writes a job's API document at its revision, never the decider's state", () => {
    const rows = readModelRows({
      streamName: updateJobStream('acme', jobId),
      stateAfter: foldUpdateJob([requested]),
      revision: 0,
      events: [requested],
    });
    expect(rows).toEqual([
      expect.objectContaining({ table: JOBS_TABLE, key: { job_id: jobId }, revision: 0 }),
    ]);
    const values = (rows[0] as { values: Record<string, unknown> }).values;
    expect(values).not.toHaveProperty('state');
    expect(values.document).toEqual({
      jobId,
      kind: 'update',
      clientId: 'press-07',
      status: 'Requested',
      requestedAt: '2026-11-23T10:00:00.000Z',
      targetVersion: '2.1.0',
      image: 'registry.example.com/opc-core:2.1.0',
    });
  });

  it("moves the client's last-seen time forward when a report of the device is among the events", () => {
    const rows = readModelRows({
      streamName: updateJobStream('acme', jobId),
      stateAfter: foldUpdateJob([requested, received]),
      revision: 1,
      events: [received],
    });
    expect(rows[1]).toEqual({
      op: 'advance',
      table: CLIENTS_TABLE,
      key: { tenant_id: 'acme', client_id: 'press-07' },
      values: { last_seen_at: '2026-11-23T10:00:01.000Z' },
    });
  });

  it('writes a client row whose last-seen time never goes back', () => {
    const [row] = readModelRows({
      streamName: clientStream('acme', 'press-07'),
      stateAfter: foldClient([registered]),
      revision: 0,
      events: [registered],
    });
    expect(row).toMatchObject({
      table: CLIENTS_TABLE,
      key: { tenant_id: 'acme', client_id: 'press-07' },
      revision: 0,
      monotonic: ['last_seen_at'],
      values: { status: 'Online', reported_version: '2.0.0', credential_id: null },
    });
    expect((row as { values: Record<string, unknown> }).values).not.toHaveProperty('state');
  });

  it('has no rows for streams without a read model, nor for a stream without state', () => {
    const other = { streamName: 'audit-export/acme/1', revision: 0, events: [] };
    expect(readModelRows({ ...other, stateAfter: { any: 'state' } })).toEqual([]);
    expect(
      readModelRows({
        streamName: clientStream('acme', 'x'),
        stateAfter: null,
        revision: 0,
        events: [],
      }),
    ).toEqual([]);
  });
});
