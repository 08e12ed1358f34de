import { ClientAddress, clientTopicRoot, isValidId } from '@opcfleet/contracts';

/**
 * Who is on the other end of an MQTT connection, once authenticated. Devices own exactly one
 * client tree; service accounts (the device-management replicas, operators' tools) own the fleet.
 */
export type BrokerIdentity =
  ({ kind: 'device' } & ClientAddress) | { kind: 'service'; name: string };

/** The default service-account name: the certificate CN and the username of device-management. */
export const DEFAULT_SERVICE_ACCOUNT = 'opcfleet-service';

/** How many service accounts the shipped configurations grant (secure.acl lists the same). */
export const SERVICE_ACCOUNT_SLOTS = 16;

/**
 * The service account of replica `n` (1-based): `opcfleet-service`, then `opcfleet-service-2`
 * and so on. Mosquitto binds a session to the certificate CN (use_username_as_clientid), so two
 * connections under one identity take the session from each other: every replica, and every
 * tool connected as the service at the same time, needs an identity of its own.
 */
export function serviceAccountOfReplica(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > SERVICE_ACCOUNT_SLOTS) {
    throw new RangeError(`service replica number must be 1 to ${SERVICE_ACCOUNT_SLOTS}, got ${n}`);
  }
  return n === 1 ? DEFAULT_SERVICE_ACCOUNT : `${DEFAULT_SERVICE_ACCOUNT}-${n}`;
}

/** Every service account the shipped configurations grant. */
export const DEFAULT_SERVICE_ACCOUNTS: readonly string[] = Array.from(
  { length: SERVICE_ACCOUNT_SLOTS },
  (_, i) => serviceAccountOfReplica(i + 1),
);

/**
 * A device certificate's subject CN is its topic root, `tenants/{tenantId}/clients/{clientId}`.
 * That exact string is what Mosquitto substitutes for `%u` (use_identity_as_username), so one
 * ACL pattern line (`pattern read %u/#`) expresses the same tree as this broker's policy.
 */
export function deviceCommonName(address: ClientAddress): string {
  return clientTopicRoot(address);
}

/**
 * Maps a certificate CN (or a username) to an identity: a configured service-account name, or a
 * device topic root with valid ids. Anything else is nobody (null), never a guess.
 */
export function identityFromCommonName(
  commonName: string,
  serviceAccounts: readonly string[],
): BrokerIdentity | null {
  if (serviceAccounts.includes(commonName)) return { kind: 'service', name: commonName };
  const parts = commonName.split('/');
  if (parts.length !== 4 || parts[0] !== 'tenants' || parts[2] !== 'clients') return null;
  const [, tenantId, , clientId] = parts;
  if (!isValidId(tenantId) || !isValidId(clientId)) return null;
  return { kind: 'device', tenantId, clientId };
}

/** A short, log-friendly name for an identity. */
export function describeIdentity(identity: BrokerIdentity): string {
  return identity.kind === 'service' ? `service:${identity.name}` : deviceCommonName(identity);
}

/**
 * The key a session is stored under. MQTT lets a client pick any client id, and a new connection
 * with an existing id takes that session over (its subscriptions and queued QoS 1 messages).
 * Prefixing the requested id with the authenticated owner makes two identities' sessions
 * disjoint: a device that reuses another device's (or the service's) client id gets a session
 * of its own, never theirs.
 */
export function sessionKey(identity: BrokerIdentity, requestedClientId: string): string {
  return `${describeIdentity(identity)}|${requestedClientId}`;
}
