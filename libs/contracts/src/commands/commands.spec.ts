import { randomUUID } from 'node:crypto';
import { MAX_MESSAGE_BYTES } from '../validation';
import { CANCEL_COMMAND_SCHEMA, decodeCancelCommand } from './cancel-command';
import { CONFIG_COMMAND_SCHEMA, decodeConfigCommand } from './config-command';
import { decodeUpdateCommand, UPDATE_COMMAND_SCHEMA } from './update-command';

function updateCommand(overrides: Record<string, unknown> = {}) {
  return {
    schema: UPDATE_COMMAND_SCHEMA,
    messageId: randomUUID(),
    jobId: randomUUID(),
    tenantId: 'acme',
    clientId: 'press-07',
    issuedAt: '2026-11-23T10:00:00.000Z',
    correlationId: 'req-1',
    payload: { targetVersion: '2.1.0', image: 'registry.example.com/opc-core:2.1.0' },
    ...overrides,
  };
}

const errorPaths = (result: { ok: boolean; errors?: { path: string }[] }) =>
  result.ok ? [] : result.errors!.map((e) => e.path);

describe('update command decoding', () => {
  it('accepts a well-formed command and returns it typed', () => {
    const command = updateCommand({ expiresAt: '2026-11-23T11:00:00+01:00' });
    const result = decodeUpdateCommand(JSON.stringify(command));
    expect(result).toEqual({ ok: true, value: command });
  });

  it('tolerates fields a newer service may add, and drops them', () => {
    const result = decodeUpdateCommand(JSON.stringify({ ...updateCommand(), priority: 'high' }));
    expect(result.ok).toBe(true);
    expect(result.ok && 'priority' in result.value).toBe(false);
  });

  it('accepts an image pinned by a digest beside the tag', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const command = updateCommand({
      payload: {
        targetVersion: '2.1.0',
        image: `127.0.0.1:5000/opcfleet/opc-core:2.1.0@${digest}`,
        imageDigest: digest,
      },
    });
    expect(decodeUpdateCommand(JSON.stringify(command)).ok).toBe(true);
  });

  it('rejects bytes that are not JSON', () => {
    const result = decodeUpdateCommand(Buffer.from([0xff, 0xfe, 0x00]));
    expect(result).toMatchObject({
      ok: false,
      errors: [{ path: '(root)', message: expect.stringMatching(/^not JSON/) }],
    });
  });

  it('rejects an oversized message before parsing it', () => {
    const result = decodeUpdateCommand('x'.repeat(MAX_MESSAGE_BYTES + 1));
    expect(result).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringMatching(/limit is/) }],
    });
  });

  it('rejects another schema, naming the field', () => {
    expect(
      errorPaths(
        decodeUpdateCommand(
          JSON.stringify(updateCommand({ schema: 'opcfleet.command.update/v2' })),
        ),
      ),
    ).toEqual(['schema']);
    expect(
      errorPaths(
        decodeUpdateCommand(JSON.stringify(updateCommand({ schema: CONFIG_COMMAND_SCHEMA }))),
      ),
    ).toEqual(['schema']);
  });

  it('lists every missing and mistyped field at once', () => {
    const { payload: _payload, jobId: _jobId, ...rest } = updateCommand();
    const result = decodeUpdateCommand(JSON.stringify({ ...rest, issuedAt: 12 }));
    expect(errorPaths(result).sort()).toEqual(['issuedAt', 'jobId', 'payload']);
  });

  it.each([
    ['an image with spaces', { image: 'opc core:2' }],
    ['an image with a shell metacharacter', { image: 'opc-core:2;rm -rf /' }],
    ['a version with a slash', { targetVersion: '../2.1.0' }],
    ['a malformed digest', { imageDigest: 'md5:abc' }],
  ])('rejects %s', (_, payloadOverride) => {
    const command = updateCommand({
      payload: { targetVersion: '2.1.0', image: 'r.example.com/opc:2.1.0', ...payloadOverride },
    });
    const result = decodeUpdateCommand(JSON.stringify(command));
    expect(result.ok).toBe(false);
    expect(errorPaths(result)[0]).toMatch(/^payload\./);
  });

  it.each(['acme/evil', '+', '#', ''])('rejects the hostile tenant id %j', (tenantId) => {
    expect(
      errorPaths(decodeUpdateCommand(JSON.stringify(updateCommand({ tenantId })))).includes(
        'tenantId',
      ),
    ).toBe(true);
  });

  it('rejects JSON that is not an object', () => {
    for (const raw of ['null', '[]', '"text"', '42'])
      expect(decodeUpdateCommand(raw).ok).toBe(false);
  });
});

describe('config command decoding', () => {
  const configCommand = (payload: unknown) => ({
    ...updateCommand(),
    schema: CONFIG_COMMAND_SCHEMA,
    payload,
  });

  it('carries settings through without judging them (the agent does, so it can report why)', () => {
    const result = decodeConfigCommand(
      JSON.stringify(configCommand({ version: 3, settings: { endpoints: 'nonsense' } })),
    );
    expect(result.ok && result.value.payload.settings).toEqual({ endpoints: 'nonsense' });
  });

  it('rejects a version that is not a positive integer', () => {
    for (const version of [0, -1, 1.5, '3']) {
      expect(
        errorPaths(decodeConfigCommand(JSON.stringify(configCommand({ version, settings: {} })))),
      ).toEqual(['payload.version']);
    }
  });
});

describe('cancel command decoding', () => {
  const cancelCommand = (payload: unknown) => ({
    ...updateCommand({ expiresAt: '2026-11-23T11:00:00.000Z' }),
    schema: CANCEL_COMMAND_SCHEMA,
    payload,
  });

  it('accepts a cancel of either job kind, with or without a reason', () => {
    const update = cancelCommand({ jobKind: 'update', reason: 'wrong image tag' });
    expect(decodeCancelCommand(JSON.stringify(update))).toEqual({ ok: true, value: update });
    expect(decodeCancelCommand(JSON.stringify(cancelCommand({ jobKind: 'config' }))).ok).toBe(true);
  });

  it('rejects an unknown job kind and an overlong reason, naming the field', () => {
    expect(
      errorPaths(decodeCancelCommand(JSON.stringify(cancelCommand({ jobKind: 'reboot' })))),
    ).toEqual(['payload.jobKind']);
    expect(
      errorPaths(
        decodeCancelCommand(
          JSON.stringify(cancelCommand({ jobKind: 'update', reason: 'x'.repeat(501) })),
        ),
      ),
    ).toEqual(['payload.reason']);
  });

  it('is not mistaken for an update command, nor the other way round', () => {
    expect(
      errorPaths(decodeCancelCommand(JSON.stringify(updateCommand()))).includes('schema'),
    ).toBe(true);
    expect(
      errorPaths(
        decodeUpdateCommand(JSON.stringify(cancelCommand({ jobKind: 'update' }))),
      ).includes('schema'),
    ).toBe(true);
  });

  it('needs the job it cancels', () => {
    const { jobId: _jobId, ...rest } = cancelCommand({ jobKind: 'update' });
    expect(errorPaths(decodeCancelCommand(JSON.stringify(rest)))).toEqual(['jobId']);
  });
});
