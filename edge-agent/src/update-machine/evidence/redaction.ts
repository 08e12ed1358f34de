/**
 * Redaction of the failure evidence (the workload's log and the agent's own lines) before it
 * leaves the device. A pattern is a JavaScript regular expression, matched case-insensitively
 * against a source's whole text (so a PEM key spanning lines is one match); each match becomes
 * `[REDACTED]`, except the part captured by a group named `keep` (the `password=` before the
 * secret), which stays.
 */
export const REDACTED = '[REDACTED]';

export const DEFAULT_REDACTION_PATTERNS: readonly string[] = [
  // A PEM private key: from BEGIN to END, or to the end of the text when the END was not read.
  String.raw`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`,
  // The rest of a PEM private key whose BEGIN fell before the log's tail.
  String.raw`^(?:(?!-----BEGIN )[\s\S])*?-----END [A-Z0-9 ]*PRIVATE KEY-----`,
  // An Authorization header's credentials, whatever the scheme (Bearer, Basic, Digest).
  String.raw`(?<keep>\bAuthorization["']?\s*[:=]\s*["']?(?:(?:Bearer|Basic|Digest|Token)\s+)?)[^\s"',;]+`,
  // A bearer token elsewhere: "Bearer eyJ...".
  String.raw`(?<keep>\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}`,
  // password=..., token: "...", api_key=..., client-secret=...
  String.raw`(?<keep>\b(?:pass(?:word|wd|phrase)|pwd|secret|client[_-]?secret|token|access[_-]?token|refresh[_-]?token|api[_-]?key|access[_-]?key|private[_-]?key)["']?\s*[=:]\s*["']?)[^\s"',;&]+`,
  // Credentials in a URL: scheme://user:secret@host
  String.raw`(?<keep>\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+(?=@)`,
];

export class InvalidRedactionPatternError extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`redaction pattern ${JSON.stringify(pattern)} is not a regular expression: ${reason}`);
    this.name = 'InvalidRedactionPatternError';
  }
}

/** Compiles patterns (global, case-insensitive); throws InvalidRedactionPatternError on the first bad one. */
export function compileRedactionPatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((pattern) => {
    try {
      return new RegExp(pattern, 'gi');
    } catch (error) {
      throw new InvalidRedactionPatternError(pattern, (error as Error).message);
    }
  });
}

export const DEFAULT_REDACTION: readonly RegExp[] = compileRedactionPatterns(
  DEFAULT_REDACTION_PATTERNS,
);

/** The text with every match of every pattern replaced, in order. */
export function redact(text: string, patterns: readonly RegExp[]): string {
  let result = text;
  for (const pattern of patterns) {
    pattern.lastIndex = 0;
    result = result.replace(pattern, (...args: unknown[]) => {
      const groups = args.at(-1);
      const keep =
        typeof groups === 'object' && groups !== null
          ? (groups as Record<string, string | undefined>).keep
          : undefined;
      return `${keep ?? ''}${REDACTED}`;
    });
  }
  return result;
}
