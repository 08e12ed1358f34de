import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header of every delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'Opcfleet-Signature';
/** The delivery's id: the same on every attempt, so a receiver drops what it already had. */
export const IDEMPOTENCY_HEADER = 'Opcfleet-Delivery-Id';

/**
 * The signature of a delivery, as Stripe signs its webhooks: the receiver recomputes the HMAC
 * of `<t>.<body>` (the raw body bytes, not a re-serialization) with its secret, compares in
 * constant time, and refuses a `t` too far from its clock (replays).
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * What a receiver does: true when `header` signs `body` with `secret` and its time is within
 * `toleranceSeconds` of `nowSeconds`.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at), part.slice(at + 1)] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureHeader(secret, body, t).split(',v1=')[1], 'hex');
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A new subscription's secret: 32 random bytes, shown once. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;
