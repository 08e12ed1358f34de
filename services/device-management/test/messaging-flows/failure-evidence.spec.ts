import { EVIDENCE_MAX_LINES } from '@opcfleet/contracts';
import request from 'supertest';
import { mintDevToken } from '../../src/auth/mint-dev-token';
import { TEST_BROKERS } from '../support/brokers';
import { eventually } from '../support/memory-logger';
import { TEST_JWT_SECRET, type ServiceStack } from '../support/service-stack';
import { serviceWithDevice } from '../support/service-with-device';
import type { TestDevice } from '../support/test-device';

jest.setTimeout(30_000);

/** Issue 13: "why did it roll back" answered from the job's page, without a shell on the device. */
describe.each(TEST_BROKERS.slice(0, 1))(
  'failure evidence over MQTT with %s',
  (brokerName, startBroker) => {
    let service: ServiceStack;
    let tenantId: string;
    let device: TestDevice;
    serviceWithDevice(brokerName, startBroker, (parts) => {
      ({ service, tenantId, device } = parts);
    });

    const evidence = {
      workloadLog: [
        'opc-core 3.0.0 [crash-at-start]: connecting with password=[REDACTED]',
        'opc-core 3.0.0 [crash-at-start]: crashing at start on purpose',
        '<script>alert(1)</script>',
      ],
      agentLog: [
        '2026-11-30T22:31:02.120Z info update job transition from=verifying to=rolling_back',
        '2026-11-30T22:31:02.180Z warn removing the failed new container container=c2',
      ],
      truncated: false,
    };

    async function rolledBackJob(extra: Record<string, unknown>) {
      const job = await service.requestUpdate(tenantId, 'line-1', '3.0.0');
      await eventually(() => device.commandsFor(job.jobId).length > 0);
      const phases = ['received', 'pulling', 'pulled', 'stopping_old', 'starting_new', 'verifying'];
      let seq = 0;
      for (const phase of [...phases, 'rolling_back']) {
        await device.report({ ...job, kind: 'update' }, ++seq, phase);
      }
      await device.report({ ...job, kind: 'update' }, ++seq, 'rolled_back', {
        version: '1.0.0',
        error: { code: 'unhealthy', message: 'the new container exited with code 1' },
        ...extra,
      });
      const rolledBack = await eventually(async () =>
        (await service.jobEvents(job)).find((event) => event.type === 'UpdateRolledBack'),
      );
      return { job, rolledBack };
    }

    const getJob = async (jobId: string) => {
      const auditor = await mintDevToken(TEST_JWT_SECRET, {
        tenant: tenantId,
        roles: ['auditor'],
        subject: 'test-auditor',
      });
      return request(service.app.getHttpServer())
        .get(`/api/v1/jobs/${jobId}`)
        .set('Authorization', `Bearer ${auditor}`)
        .expect(200);
    };

    it('a rolled-back report with evidence: the event keeps it and the job API shows it', async () => {
      const { job, rolledBack } = await rolledBackJob({ evidence });
      expect(rolledBack.data).toMatchObject({
        reason: 'the new container exited with code 1',
        evidence,
      });
      const shown = await eventually(async () => {
        const response = await getJob(job.jobId);
        return response.body.status === 'RolledBack' && response.body;
      });
      expect(shown).toMatchObject({
        status: 'RolledBack',
        rollback: { reason: 'the new container exited with code 1' },
        evidence,
      });
    });

    it('evidence over its bounds: the report is kept, the evidence dropped, and that is logged', async () => {
      const tooMuch = {
        ...evidence,
        workloadLog: Array.from({ length: EVIDENCE_MAX_LINES + 1 }, (_, i) => `line ${i}`),
      };
      const { job, rolledBack } = await rolledBackJob({ evidence: tooMuch });
      expect(rolledBack.data).not.toHaveProperty('evidence');
      const shown = await eventually(async () => {
        const response = await getJob(job.jobId);
        return response.body.status === 'RolledBack' && response.body;
      });
      expect(shown).not.toHaveProperty('evidence');
      const dropped = service
        .logsWith('failure evidence dropped: it breaks the contract; the report is kept')
        .filter((line) => line.jobId === job.jobId);
      expect(dropped.length).toBeGreaterThan(0);
      expect(dropped[0]!.errors).toEqual([
        expect.objectContaining({ path: 'evidence.workloadLog' }),
      ]);
    });
  },
);
