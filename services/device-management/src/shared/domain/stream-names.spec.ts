import {
  clientTopic,
  CLIENT_CHANNELS,
  InvalidTopicIdError,
  isValidId,
  parseTopic,
} from '@opcfleet/contracts';
import fc from 'fast-check';
import {
  clientKey,
  clientStream,
  idName,
  jobKey,
  jobStream,
  parseStreamName,
  releaseStream,
  rolloutStream,
  splitName,
  tenantRolloutsPrefix,
  type StreamName,
} from './stream-names';

/**
 * Ids as an attacker would choose them: the id alphabet's `-`, `_` and `.`, digits, the
 * characters the names use as separators and escapes, and any unicode.
 */
const tricky = fc.constantFrom('-', '_', '.', '/', ':', '%', '%2F', '%25', '%3A', '1', '0', 'a');
const anyId = fc.oneof(
  fc.string({ unit: tricky, maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: fc.oneof(tricky, fc.constantFrom('é', '漢', '😀', '\u0000')), maxLength: 8 }),
);

/** Every stream the service names, with the ids it was built from. */
const anyStream: fc.Arbitrary<StreamName> = fc.oneof(
  fc.record({ category: fc.constant('client' as const), tenantId: anyId, clientId: anyId }),
  fc.record({
    category: fc.constantFrom('update-job' as const, 'config-job' as const),
    tenantId: anyId,
    jobId: anyId,
  }),
  fc.record({ category: fc.constant('rollout' as const), tenantId: anyId, rolloutId: anyId }),
  fc.record({ category: fc.constant('release' as const), tenantId: anyId, releaseId: anyId }),
);

function nameOf(stream: StreamName): string {
  switch (stream.category) {
    case 'client':
      return clientStream(stream.tenantId, stream.clientId);
    case 'rollout':
      return rolloutStream(stream.tenantId, stream.rolloutId);
    case 'release':
      return releaseStream(stream.tenantId, stream.releaseId);
    default:
      return jobStream(
        stream.category === 'update-job' ? 'update' : 'config',
        stream.tenantId,
        stream.jobId,
      );
  }
}

const runs = { numRuns: 2_000 };

describe('stream names', () => {
  it('are parsed back into the ids they were built from', () => {
    fc.assert(
      fc.property(anyStream, (stream) => {
        expect(parseStreamName(nameOf(stream))).toEqual(stream);
      }),
      runs,
    );
  });

  it('never give two different id tuples the same name, across every kind of stream', () => {
    fc.assert(
      fc.property(anyStream, anyStream, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(nameOf(a)).not.toBe(nameOf(b));
      }),
      runs,
    );
  });

  it('differ when a piece of one id moves into the next, the way joined names collide', () => {
    const separator = fc.constantFrom('-', '/', ':', '%2F', '');
    fc.assert(
      fc.property(anyId, anyId, anyId, separator, (head, moved, tail, sep) => {
        fc.pre(moved.length > 0);
        // (head+sep+moved, tail) against (head, moved+sep+tail): one string when joined by sep.
        expect(clientStream(`${head}${sep}${moved}`, tail)).not.toBe(
          clientStream(head, `${moved}${sep}${tail}`),
        );
        expect(jobKey(`${head}${sep}${moved}`, tail)).not.toBe(
          jobKey(head, `${moved}${sep}${tail}`),
        );
      }),
      runs,
    );
  });

  it('keep one tenant from another where plain joining with "-" did not', () => {
    // The finding: tenant `acme7` / client `east-1` and tenant `acme7-east` / client `1`.
    expect(clientStream('acme7', 'east-1')).not.toBe(clientStream('acme7-east', '1'));
    expect(parseStreamName(clientStream('acme7-east', '1'))).toEqual({
      category: 'client',
      tenantId: 'acme7-east',
      clientId: '1',
    });
  });

  it('share a prefix with the tenant’s rollouts only, never with another tenant’s', () => {
    fc.assert(
      fc.property(anyId, anyId, anyId, (tenant, other, rolloutId) => {
        fc.pre(tenant !== other);
        expect(rolloutStream(tenant, rolloutId).startsWith(tenantRolloutsPrefix(tenant))).toBe(
          true,
        );
        expect(rolloutStream(other, rolloutId).startsWith(tenantRolloutsPrefix(tenant))).toBe(
          false,
        );
      }),
      runs,
    );
  });

  it('a name the service did not build is not taken for one of its streams', () => {
    for (const foreign of ['client-acme-line-1', 'update-job/acme', 'client/a/b/c', 'x/a/b']) {
      expect(parseStreamName(foreign)).toBeUndefined();
    }
    expect(parseStreamName('client/a%zz/b')).toBeUndefined();
  });
});

describe('names behind name-based ids and in-memory keys', () => {
  const parts = fc.array(fc.oneof(anyId, fc.nat()), { minLength: 1, maxLength: 4 });

  it('idName never gives two different part lists the same name, and splits back', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        expect(splitName(idName(...a), ':')).toEqual(a.map(String));
        if (JSON.stringify(a.map(String)) !== JSON.stringify(b.map(String))) {
          expect(idName(...a)).not.toBe(idName(...b));
        }
      }),
      runs,
    );
  });

  it('keeps the names the service always used for UUIDs and numbers (stored event ids)', () => {
    const jobId = '6f1c2a9e-4b7d-4c3e-9a21-0d5e8f7b6c41';
    expect(idName(jobId, 'report', 3)).toBe(`${jobId}:report:3`);
    expect(idName('command', jobId)).toBe(`command:${jobId}`);
  });

  it('job and client keys never meet, whatever the ids', () => {
    fc.assert(
      fc.property(anyId, anyId, anyId, anyId, (t1, id1, t2, id2) => {
        expect(jobKey(t1, id1)).not.toBe(clientKey(t2, id2));
        if (t1 !== t2 || id1 !== id2) {
          expect(jobKey(t1, id1)).not.toBe(jobKey(t2, id2));
          expect(clientKey(t1, id1)).not.toBe(clientKey(t2, id2));
        }
      }),
      runs,
    );
  });
});

describe('topics (libs/contracts)', () => {
  const channel = fc.constantFrom(...CLIENT_CHANNELS);

  it('are built only from valid ids, parsed back to them, and distinct for distinct ids', () => {
    fc.assert(
      fc.property(anyId, anyId, channel, anyId, anyId, channel, (t1, c1, ch1, t2, c2, ch2) => {
        const build = (tenantId: string, clientId: string, ch: typeof ch1) => {
          try {
            return clientTopic({ tenantId, clientId }, ch);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidTopicIdError);
            expect(isValidId(tenantId) && isValidId(clientId)).toBe(false);
            return undefined;
          }
        };
        const a = build(t1, c1, ch1);
        const b = build(t2, c2, ch2);
        if (a !== undefined) {
          expect(parseTopic(a)).toEqual({ tenantId: t1, clientId: c1, channel: ch1 });
        }
        if (a !== undefined && b !== undefined && (t1 !== t2 || c1 !== c2 || ch1 !== ch2)) {
          expect(a).not.toBe(b);
        }
      }),
      runs,
    );
  });

  it('hold valid ids with "-" unambiguously', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
        (tenantId, clientId) => {
          expect(parseTopic(clientTopic({ tenantId, clientId }, 'status'))).toEqual({
            tenantId,
            clientId,
            channel: 'status',
          });
        },
      ),
      runs,
    );
  });
});
