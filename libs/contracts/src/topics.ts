import { isValidId } from './ids';

/**
 * What travels on a client's topic tree. Commands go down, everything else comes up. `cancel`
 * stops an update or config job sent before.
 */
export type CommandKind = 'update' | 'config' | 'cancel';
/** `acks` goes down too: the service's word that it holds a status report (report-ack.ts). */
export type ClientChannel = `commands/${CommandKind}` | 'status' | 'state' | 'presence' | 'acks';

export const CLIENT_CHANNELS: readonly ClientChannel[] = [
  'commands/update',
  'commands/config',
  'commands/cancel',
  'status',
  'state',
  'presence',
  'acks',
];

export interface ClientAddress {
  tenantId: string;
  clientId: string;
}

export interface ParsedTopic extends ClientAddress {
  channel: ClientChannel;
}

export class InvalidTopicIdError extends Error {
  constructor(
    readonly field: 'tenantId' | 'clientId',
    readonly value: string,
  ) {
    super(`${field} ${JSON.stringify(value)} cannot be used in a topic`);
    this.name = 'InvalidTopicIdError';
  }
}

function assertIds({ tenantId, clientId }: ClientAddress): void {
  if (!isValidId(tenantId)) throw new InvalidTopicIdError('tenantId', tenantId);
  if (!isValidId(clientId)) throw new InvalidTopicIdError('clientId', clientId);
}

/** `tenants/{t}/clients/{c}`: the root of one client's tree. */
export function clientTopicRoot(address: ClientAddress): string {
  assertIds(address);
  return `tenants/${address.tenantId}/clients/${address.clientId}`;
}

export function clientTopic(address: ClientAddress, channel: ClientChannel): string {
  return `${clientTopicRoot(address)}/${channel}`;
}

export const commandTopic = (address: ClientAddress, kind: CommandKind) =>
  clientTopic(address, `commands/${kind}`);
export const statusTopic = (address: ClientAddress) => clientTopic(address, 'status');
export const stateTopic = (address: ClientAddress) => clientTopic(address, 'state');
export const presenceTopic = (address: ClientAddress) => clientTopic(address, 'presence');
export const acksTopic = (address: ClientAddress) => clientTopic(address, 'acks');

/** The filter an agent subscribes to for its own commands. */
export const clientCommandsFilter = (address: ClientAddress) =>
  `${clientTopicRoot(address)}/commands/#`;

/** Everything one client may touch: its ACL in the broker. */
export const clientTreeFilter = (address: ClientAddress) => `${clientTopicRoot(address)}/#`;

/** Filters the service subscribes to, across all tenants and clients. */
export const fleetFilters = {
  status: 'tenants/+/clients/+/status',
  state: 'tenants/+/clients/+/state',
  presence: 'tenants/+/clients/+/presence',
} as const;

/** Parses a concrete topic; returns null for anything that is not exactly a known client channel. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length < 5 || parts[0] !== 'tenants' || parts[2] !== 'clients') return null;
  const [, tenantId, , clientId, ...rest] = parts;
  if (!isValidId(tenantId) || !isValidId(clientId)) return null;
  const channel = rest.join('/');
  if (!(CLIENT_CHANNELS as readonly string[]).includes(channel)) return null;
  return { tenantId, clientId, channel: channel as ClientChannel };
}
