import { parseImageReference } from './image-reference';
import { classifyPullError } from './pull-errors';

describe('classifyPullError', () => {
  it.each([
    [
      'reading manifest 9 in 127.0.0.1:5000/x: manifest unknown: manifest unknown',
      'image_not_found',
      false,
    ],
    ['unauthorized: authentication required', 'auth_failed', false],
    [
      'pinging container registry 127.0.0.1:1: Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
      'registry_unreachable',
      true,
    ],
    ['something else entirely', 'pull_failed', true],
  ])('%s -> %s', (message, code, retryable) => {
    const error = classifyPullError('r/x:1', message);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(message);
  });
});

describe('parseImageReference', () => {
  it.each([
    [
      '127.0.0.1:5000/opcfleet/opc-core:2.0.0',
      '127.0.0.1:5000',
      'opcfleet/opc-core',
      '2.0.0',
      undefined,
    ],
    [
      'registry.example.com/opc-core@sha256:abc',
      'registry.example.com',
      'opc-core',
      undefined,
      'sha256:abc',
    ],
    ['busybox', 'docker.io', 'library/busybox', undefined, undefined],
    ['localhost/a/b:1', 'localhost', 'a/b', '1', undefined],
  ])('%s', (reference, registry, path, tag, digest) => {
    expect(parseImageReference(reference)).toMatchObject({ registry, path, tag, digest });
  });
});
