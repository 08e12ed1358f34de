import { forbiddenAddress, webhookUrlProblem } from './webhook-url';

describe('webhook URLs', () => {
  const strict = { allowInsecure: false };
  const insecure = { allowInsecure: true };

  it('takes https, and http to the loopback only when allowed', () => {
    expect(webhookUrlProblem('https://alerts.example.com/hook', strict)).toBeUndefined();
    expect(webhookUrlProblem('https://10.1.2.3:8443/hook', strict)).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:8080/hook', strict)).toBe('must be https');
    expect(webhookUrlProblem('http://127.0.0.1:8080/hook', insecure)).toBeUndefined();
    expect(webhookUrlProblem('http://localhost/hook', insecure)).toBeUndefined();
    expect(webhookUrlProblem('http://[::1]:9/hook', insecure)).toBeUndefined();
    expect(webhookUrlProblem('http://alerts.example.com/hook', insecure)).toMatch(/only to/);
  });

  it('refuses other schemes, credentials, link-local and unspecified addresses', () => {
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'gopher://x', 'nope']) {
      expect(webhookUrlProblem(url, insecure)).toBeDefined();
    }
    expect(webhookUrlProblem('https://user:pw@example.com/', strict)).toMatch(/user name/);
    expect(webhookUrlProblem('https://token@example.com/', strict)).toMatch(/user name/);
    expect(webhookUrlProblem('https://169.254.169.254/latest/meta-data', strict)).toMatch(
      /link-local/,
    );
    expect(webhookUrlProblem('https://[fe80::1]/', strict)).toMatch(/link-local/);
    expect(webhookUrlProblem('https://0.0.0.0/', strict)).toMatch(/link-local/);
    // Other spellings of the same address: URL normalizes them to dotted quads.
    expect(webhookUrlProblem('https://2852039166/', strict)).toMatch(/link-local/);
    expect(webhookUrlProblem('https://0xa9.0xfe.0xa9.0xfe/', strict)).toMatch(/link-local/);
    expect(webhookUrlProblem('https://[::ffff:169.254.169.254]/', strict)).toMatch(/link-local/);
  });

  it('knows the forbidden addresses a name may resolve to', () => {
    expect(forbiddenAddress('169.254.169.254')).toBe(true);
    expect(forbiddenAddress('::ffff:169.254.169.254')).toBe(true);
    expect(forbiddenAddress('::ffff:a9fe:a9fe')).toBe(true);
    expect(forbiddenAddress('fe80::abcd')).toBe(true);
    expect(forbiddenAddress('fd00:ec2::254')).toBe(true);
    expect(forbiddenAddress('::')).toBe(true);
    expect(forbiddenAddress('127.0.0.1')).toBe(false);
    expect(forbiddenAddress('10.0.0.1')).toBe(false);
    expect(forbiddenAddress('2001:db8::1')).toBe(false);
  });
});
