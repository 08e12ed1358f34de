import { clientStream, jobStream, rolloutStream } from '../shared/domain/stream-names';
import { auditQuery, checkTimeRange, tenantStreamPrefixes, type AuditFilter } from './audit-filter';

const tenant = 'acme';
const base: AuditFilter = { tenantId: tenant, order: 'newest' };

describe('auditQuery', () => {
  it('asks for the tenant’s events by their metadata and their streams’ names, newest first', () => {
    expect(auditQuery(base)).toEqual({
      tenantId: tenant,
      direction: 'backwards',
      within: [
        {
          streamPrefixes: [
            'client/acme/',
            'update-job/acme/',
            'config-job/acme/',
            'rollout/acme/',
            'release/acme/',
          ],
        },
      ],
    });
    expect(auditQuery({ ...base, order: 'oldest' }).direction).toBe('forwards');
  });

  it('never gives a prefix another tenant’s streams start with, whatever the tenant ids', () => {
    // `acme/x` escapes its slash: its streams are not under `acme`'s prefixes, nor the other way.
    const other = tenantStreamPrefixes('acme/x');
    expect(other).toContain('client/acme%2Fx/');
    expect(clientStream('acme/x', 'c').startsWith(tenantStreamPrefixes(tenant)[0])).toBe(false);
    expect(clientStream(tenant, 'x/c').startsWith(other[0])).toBe(false);
  });

  it('adds a scope per subject filter, so that each must hold', () => {
    const query = auditQuery({ ...base, clientId: 'press-7', jobId: 'j-1', rolloutId: 'r-1' }, [
      jobStream('update', tenant, 'j-1'),
    ]);
    expect(query.within?.slice(1)).toEqual([
      { streamNames: [clientStream(tenant, 'press-7'), jobStream('update', tenant, 'j-1')] },
      { streamNames: [jobStream('update', tenant, 'j-1'), jobStream('config', tenant, 'j-1')] },
      { streamNames: [rolloutStream(tenant, 'r-1')], correlationIds: ['r-1'] },
    ]);
  });

  it('passes actor, types and the time range through', () => {
    const from = new Date('2026-11-16T00:00:00Z');
    const to = new Date('2026-11-23T00:00:00Z');
    expect(
      auditQuery({ ...base, actor: 'alice', types: ['UpdateFailed'], from, to }),
    ).toMatchObject({
      actor: 'alice',
      types: ['UpdateFailed'],
      recordedFrom: from,
      recordedBefore: to,
    });
  });
});

describe('checkTimeRange', () => {
  it('refuses a range that ends before or when it starts, naming `to`', () => {
    const at = new Date('2026-11-16T00:00:00Z');
    expect(() => checkTimeRange(at, at)).toThrow(
      expect.objectContaining({
        code: 'invalid_input',
        details: { fieldErrors: [{ path: 'to', message: 'must be later than from' }] },
      }),
    );
    expect(() => checkTimeRange(at, new Date(at.getTime() + 1))).not.toThrow();
    expect(() => checkTimeRange(undefined, at)).not.toThrow();
  });
});
