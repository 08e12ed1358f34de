import { RuntimeError } from './container-runtime.port';

/**
 * Engines report pull failures as text (Podman even finishes the stream "successfully" with an
 * `error` event), so the text is mapped to a code the status report and the machine can act on.
 */
const PATTERNS: ReadonlyArray<{ test: RegExp; code: RuntimeError['code']; retryable: boolean }> = [
  {
    test: /unauthorized|authentication required|denied|401|forbidden/i,
    code: 'auth_failed',
    retryable: false,
  },
  {
    test: /manifest unknown|name unknown|not found|no such image|does not exist/i,
    code: 'image_not_found',
    retryable: false,
  },
  {
    test: /dial tcp|connection refused|pinging container registry|no such host|i\/o timeout|timed? ?out|network is unreachable|EOF|connection reset/i,
    code: 'registry_unreachable',
    retryable: true,
  },
];

export function classifyPullError(reference: string, message: string): RuntimeError {
  const match = PATTERNS.find((p) => p.test.test(message));
  const code = match?.code ?? 'pull_failed';
  return new RuntimeError(
    code,
    `pull of ${reference} failed: ${message}`,
    match?.retryable ?? true,
  );
}
