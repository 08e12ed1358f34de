import {
  compileRedactionPatterns,
  DEFAULT_REDACTION,
  InvalidRedactionPatternError,
  redact,
} from './redaction';

const clean = (text: string) => redact(text, DEFAULT_REDACTION);

describe('redaction of failure evidence', () => {
  it.each([
    ['password=hunter2 user=op', 'password=[REDACTED] user=op'],
    ['PASSWORD: "hunter 2"', 'PASSWORD: "[REDACTED] 2"'],
    ['{"token":"abc.def","n":1}', '{"token":"[REDACTED]","n":1}'],
    ['api_key=XYZ&next=1', 'api_key=[REDACTED]&next=1'],
    ['client-secret=s3cr3t', 'client-secret=[REDACTED]'],
    ['Authorization: Bearer eyJ0eXAi.x.y', 'Authorization: Bearer [REDACTED]'],
    ['authorization: basic dXNlcjpwYXNz', 'authorization: basic [REDACTED]'],
    ['mqtts://agent:pa55@broker:8883/x', 'mqtts://agent:[REDACTED]@broker:8883/x'],
    ['got bearer abcdefgh.ijk from the IdP', 'got bearer [REDACTED] from the IdP'],
    ['running basic checks', 'running basic checks'],
    ['nothing secret here', 'nothing secret here'],
  ])('%s', (input, expected) => {
    expect(clean(input)).toBe(expected);
  });

  it('removes a whole PEM private key, also one the tail cut at either end', () => {
    const key = [
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn',
      'kL3Z4m5bN5HDi3dYq8yHRzVp',
      '-----END RSA PRIVATE KEY-----',
    ];
    expect(clean(['loaded key:', ...key, 'started'].join('\n'))).toBe(
      'loaded key:\n[REDACTED]\nstarted',
    );
    // The BEGIN fell before the tail.
    expect(clean([...key.slice(1), 'started'].join('\n'))).toBe('[REDACTED]\nstarted');
    // The END was never written.
    expect(clean(['loaded key:', ...key.slice(0, 2)].join('\n'))).toBe('loaded key:\n[REDACTED]');
    // Public material stays.
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(clean(cert)).toBe(cert);
  });

  it('takes configured patterns, keeping a group named keep', () => {
    const patterns = compileRedactionPatterns([
      String.raw`(?<keep>serial=)\d+`,
      String.raw`\b\d{4}-\d{4}-\d{4}\b`,
    ]);
    expect(redact('serial=12345 card 1111-2222-3333', patterns)).toBe(
      'serial=[REDACTED] card [REDACTED]',
    );
  });

  it('refuses a pattern that is not a regular expression, naming it', () => {
    expect(() => compileRedactionPatterns(['ok', '(unclosed'])).toThrow(
      InvalidRedactionPatternError,
    );
    expect(() => compileRedactionPatterns(['(unclosed'])).toThrow(/"\(unclosed"/);
  });
});
