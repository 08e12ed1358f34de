import { BrokerIdentity } from './identity';

/**
 * The broker's security enforcement point (seed SEQ-EP-001), as pure functions.
 *
 * A device `tenants/{t}/clients/{c}`:
 * - PUBLISHES only to its own upward channels: `.../status`, `.../state`, `.../presence`
 *   (exact topics; commands are the service's to send, even on the device's own tree).
 * - SUBSCRIBES only to filters that cannot match anything outside its own tree: the first four
 *   levels literally `tenants/{t}/clients/{c}`, wildcards only below (`.../commands/#`,
 *   `.../#`, `.../+/update`). Never `#`, `+/...`, `tenants/+/...`, `$SYS/...`, `$share/...`.
 * A service account publishes anywhere except broker-reserved `$` topics and subscribes to
 * anything (including `$share/...` and `$SYS/...`).
 * Nobody else may do anything. Malformed topics and filters are refused for everybody.
 */
export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: AccessDecision = { allowed: true };
const refuse = (reason: string): AccessDecision => ({ allowed: false, reason });

/** The channels a device reports on. Kept here, not derived, so the ACL is read in one place. */
export const DEVICE_PUBLISH_CHANNELS = ['status', 'state', 'presence'] as const;

/** MQTT forbids U+0000 in topics; some brokers also choke on other control characters. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const MAX_TOPIC_BYTES = 65535;

function malformed(topic: string): string | null {
  if (typeof topic !== 'string' || topic.length === 0) return 'empty topic';
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) return 'topic too long';
  if (CONTROL_CHARACTERS.test(topic)) return 'control character in topic';
  return null;
}

/** Checks wildcard placement: `+` alone in its level, `#` alone and last. */
function malformedFilter(filter: string): string | null {
  const basic = malformed(filter);
  if (basic) return basic;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return '"#" must be the whole last level';
    }
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return null;
}

function deviceRootLevels(identity: { tenantId: string; clientId: string }): string[] {
  return ['tenants', identity.tenantId, 'clients', identity.clientId];
}

function startsWithOwnRoot(levels: string[], identity: { tenantId: string; clientId: string }) {
  const root = deviceRootLevels(identity);
  return root.every((level, i) => levels[i] === level);
}

export function mayPublish(identity: BrokerIdentity | null, topic: string): AccessDecision {
  const bad = malformed(topic);
  if (bad) return refuse(bad);
  if (topic.includes('+') || topic.includes('#')) return refuse('wildcard in a topic name');
  if (!identity) return refuse('not authenticated');
  if (identity.kind === 'service') {
    return topic.startsWith('$') ? refuse('"$" topics are reserved for the broker') : ALLOWED;
  }
  const levels = topic.split('/');
  if (!startsWithOwnRoot(levels, identity)) return refuse("outside the device's own tree");
  const channel = levels.slice(4).join('/');
  if (!(DEVICE_PUBLISH_CHANNELS as readonly string[]).includes(channel)) {
    return refuse(`devices publish only ${DEVICE_PUBLISH_CHANNELS.join(', ')}`);
  }
  return ALLOWED;
}

export function maySubscribe(identity: BrokerIdentity | null, filter: string): AccessDecision {
  const bad = malformedFilter(filter);
  if (bad) return refuse(bad);
  if (!identity) return refuse('not authenticated');
  if (identity.kind === 'service') return ALLOWED;
  if (filter.startsWith('$')) return refuse('devices may not use "$" topics ($SYS, $share)');
  const levels = filter.split('/');
  // `tenants/t/clients/c/#` also matches the root itself; fewer than four literal levels, or a
  // wildcard among them, would reach other clients.
  if (levels.length < 4 || !startsWithOwnRoot(levels, identity)) {
    return refuse("filter reaches outside the device's own tree");
  }
  return ALLOWED;
}
