import { isIP } from 'node:net';

/**
 * Which webhook URLs a subscription may name, and which addresses a delivery may connect to.
 *
 * - `https:` only; `http:` to the loopback (127.0.0.1, ::1, localhost) when `allowInsecure`
 *   (ALERT_WEBHOOK_ALLOW_INSECURE, tests and development);
 * - no user name or password in the URL (it would be logged and shown);
 * - never a link-local address (169.254.0.0/16, fe80::/10: the cloud metadata services live
 *   there), nor the unspecified address: checked on the URL and again on every address the
 *   name resolves to when a delivery connects (a name may resolve elsewhere later).
 *
 * Private networks are not refused: a plant's receiver is often on one. An operator who must
 * keep the service from reaching them blocks them by egress policy (docs/configuration.md).
 */
export interface WebhookUrlPolicy {
  allowInsecure: boolean;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why `url` cannot be a webhook, or undefined when it can. */
export function webhookUrlProblem(url: string, policy: WebhookUrlPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.username || parsed.password) return 'must not hold a user name or password';
  if (parsed.protocol === 'http:') {
    if (!policy.allowInsecure) return 'must be https';
    if (!LOOPBACK_NAMES.has(parsed.hostname)) {
      return 'may be http only to 127.0.0.1, ::1 or localhost';
    }
  } else if (parsed.protocol !== 'https:') {
    return 'must be https';
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && forbiddenAddress(host)) {
    return 'must not point at a link-local or unspecified address';
  }
  return undefined;
}

/** Link-local (metadata services) or unspecified: never a webhook's address. */
export function forbiddenAddress(address: string): boolean {
  const lower = address.toLowerCase();
  const v4 = mappedV4(lower) ?? lower;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number);
    return (a === 169 && b === 254) || a === 0;
  }
  if (isIP(lower) === 6) {
    return /^fe[89ab][0-9a-f]:/.test(lower) || lower === '::' || /^fd00:ec2::/.test(lower);
  }
  return false;
}

/** The IPv4 address of an IPv4-mapped IPv6 one (`::ffff:a.b.c.d` or `::ffff:xxxx:yyyy`). */
function mappedV4(address: string): string | undefined {
  if (!address.startsWith('::ffff:')) return undefined;
  const rest = address.slice(7);
  if (isIP(rest) === 4) return rest;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(rest);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}
