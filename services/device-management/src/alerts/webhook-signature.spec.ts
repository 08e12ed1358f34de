import { signatureHeader, verifySignature } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"deliveryId":"d-1","kind":"job.failed"}';

  it('signs "<t>.<body>" with HMAC-SHA256, as computed independently', () => {
    // printf '%s' '1700000000.{"deliveryId":"d-1","kind":"job.failed"}' |
    //   openssl dgst -sha256 -hmac whsec_test   (and Python's hmac: the same)
    expect(signatureHeader(secret, body, 1_700_000_000.9)).toBe(
      't=1700000000,v1=f600a9c0076c6b1a23cdf31a3b7a66d0f68cf8c15fca0e496196257962321642',
    );
  });

  it('verifies what it signs, and refuses another body, secret, or a stale time', () => {
    const header = signatureHeader(secret, body, 1_700_000_000);
    expect(verifySignature(secret, body, header, 1_700_000_100)).toBe(true);
    expect(verifySignature(secret, `${body} `, header, 1_700_000_100)).toBe(false);
    expect(verifySignature('whsec_other', body, header, 1_700_000_100)).toBe(false);
    expect(verifySignature(secret, body, header, 1_700_001_000)).toBe(false);
    expect(verifySignature(secret, body, 't=1700000000,v1=00', 1_700_000_000)).toBe(false);
    expect(verifySignature(secret, body, 'garbage', 1_700_000_000)).toBe(false);
  });
});
