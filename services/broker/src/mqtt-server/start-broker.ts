import Aedes, { type AuthenticateError, type Client } from 'aedes';
import { once } from 'node:events';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import pino, { type Logger } from 'pino';
import type { PasswordAuthenticator } from '../authentication/password-authenticator';
import { mayPublish, maySubscribe } from '../domain/access-policy';
import {
  BrokerIdentity,
  DEFAULT_SERVICE_ACCOUNTS,
  describeIdentity,
  identityFromCommonName,
  sessionKey,
} from '../domain/identity';
import { limitPacketSize, maxPacketBytesSchema } from './packet-size-limit';

export interface BrokerTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** The CA that signs client certificates. */
  ca: string | Buffer;
  /** Ask for a client certificate and refuse the handshake without a valid one. Default true. */
  requestCert?: boolean;
}

export interface StartBrokerOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Plain TCP listener (development). Default 1883; 0 picks a free port; false: none. */
  port?: number | false;
  /** TLS listener, started when `tls` is given. Default 8883; 0 picks a free port. */
  tlsPort?: number;
  tls?: BrokerTlsOptions;
  /**
   * Checks username/password pairs (a PasswordUsers file, device credentials); the username
   * names the identity like a certificate CN.
   */
  users?: PasswordAuthenticator;
  /**
   * Certificate CNs and usernames that are service accounts. Default `opcfleet-service` and
   * `opcfleet-service-2` to `-16` (one per replica, see domain/identity.ts).
   */
  serviceAccounts?: readonly string[];
  /**
   * Largest packet a client may send, fixed header included. A bigger one is refused when its
   * header arrives, before its body is buffered, and the connection is closed. Default 1 MiB.
   */
  maxPacketBytes?: number;
  /**
   * Development only: a client with neither certificate nor credentials is trusted as the
   * service account `anonymous` (everything allowed). Default false.
   */
  allowAnonymous?: boolean;
  /** An aedes persistence (sessions, retained messages). Default in-memory aedes-persistence. */
  persistence?: unknown;
  logger?: Logger;
}

export interface RunningBroker {
  /** `mqtt://host:port` of the TCP listener, when there is one. */
  mqttUrl?: string;
  /** `mqtts://host:port` of the TLS listener, when there is one. */
  mqttsUrl?: string;
  /**
   * Closes every connection of `identity` (a device topic root or a service-account name) at
   * once, including one still authenticating: after a credential is revoked or rotated.
   * Returns how many were closed.
   */
  disconnect(identity: string, reason: string): number;
  close(): Promise<void>;
}

/** CONNACK return codes (aedes declares them as a const enum, which swc cannot inline). */
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

const ANONYMOUS: BrokerIdentity = { kind: 'service', name: 'anonymous' };

function authError(code: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code });
}

/**
 * The embedded MQTT broker (aedes, MQTT 3.1.1) with the opcfleet access policy: who a client is
 * comes from its TLS client certificate, else its username/password; what it may do comes from
 * domain/access-policy.ts. Every refusal is one `warn` log line with identity, topic and reason.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const log = (options.logger ?? pino({ name: 'broker' })).child({ component: 'broker' });
  const host = options.host ?? '127.0.0.1';
  const serviceAccounts = options.serviceAccounts ?? DEFAULT_SERVICE_ACCOUNTS;
  const limit = maxPacketBytesSchema.safeParse(options.maxPacketBytes);
  if (!limit.success) throw new RangeError(`maxPacketBytes: ${limit.error.issues[0].message}`);
  const maxPacketBytes = limit.data;
  const identities = new WeakMap<Client, BrokerIdentity>();
  /** Authenticated connections by identity, so `disconnect` finds them before aedes lists them. */
  const connected = new Map<string, Set<Client>>();
  /**
   * When each identity was last disconnected (a counter, not a clock): a connection whose
   * password check began before that must not get in with the credential just revoked.
   */
  let disconnects = 0;
  const disconnectedAt = new Map<string, number>();
  // The id the client asked for, before sessionKey() namespaced it: what operators recognise.
  const requestedIds = new WeakMap<Client, string>();

  const refusal = (
    client: Client | null,
    action: string,
    details: Record<string, unknown>,
    reason: string,
  ) => {
    const identity = client ? identities.get(client) : undefined;
    log.warn(
      {
        event: 'mqtt.refused',
        action,
        identity: identity ? describeIdentity(identity) : null,
        clientId: client ? (requestedIds.get(client) ?? client.id) : null,
        ...details,
        reason,
      },
      `refused ${action}: ${reason}`,
    );
  };

  async function identify(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<BrokerIdentity> {
    // Only a chain verified against our CA names anybody (`authorized`); with requestCert off no
    // certificate is asked for, and an unverified one must never count.
    if (client.conn instanceof TLSSocket && client.conn.authorized) {
      const subject = client.conn.getPeerCertificate()?.subject;
      if (subject?.CN !== undefined) {
        // A verified certificate decides; a username sent alongside it is ignored, as Mosquitto
        // does with use_identity_as_username.
        const cn = Array.isArray(subject.CN) ? subject.CN.join(',') : subject.CN;
        const identity = identityFromCommonName(cn, serviceAccounts);
        if (!identity) {
          throw authError(NOT_AUTHORIZED, `certificate CN ${JSON.stringify(cn)} names no identity`);
        }
        return identity;
      }
    }
    if (username !== undefined) {
      if (!options.users || !(await options.users.check(username, password))) {
        throw authError(BAD_USERNAME_OR_PASSWORD, 'bad username or password');
      }
      const identity = identityFromCommonName(username, serviceAccounts);
      if (!identity) {
        throw authError(NOT_AUTHORIZED, `username ${JSON.stringify(username)} names no identity`);
      }
      return identity;
    }
    if (options.allowAnonymous) return ANONYMOUS;
    throw authError(NOT_AUTHORIZED, 'no client certificate and no credentials');
  }

  const aedes = new Aedes({
    persistence: options.persistence,
    authenticate(client, username, password, done) {
      const checkBegan = disconnects;
      identify(client, username, password).then(
        (identity) => {
          const name = describeIdentityName(identity);
          if ((disconnectedAt.get(name) ?? 0) > checkBegan) {
            const error = authError(NOT_AUTHORIZED, 'credentials revoked while connecting');
            refusal(client, 'connect', { username: username ?? null }, error.message);
            return done(error, false);
          }
          identities.set(client, identity);
          requestedIds.set(client, client.id);
          remember(name, client);
          // Runs before aedes looks the session up: see sessionKey() for why.
          (client as { id: string }).id = sessionKey(identity, client.id);
          done(null, true);
        },
        (error: AuthenticateError) => {
          refusal(client, 'connect', { username: username ?? null }, error.message);
          done(error, false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      const identity = client ? (identities.get(client) ?? null) : null;
      const decision = mayPublish(identity, packet.topic);
      if (decision.allowed) return done(null);
      // MQTT 3.1.1 cannot tell a client its PUBLISH was refused; aedes closes the connection.
      refusal(client, 'publish', { topic: packet.topic, retain: packet.retain }, decision.reason);
      done(new Error(`publish to ${packet.topic} refused: ${decision.reason}`));
    },
    authorizeSubscribe(client, subscription, done) {
      const decision = maySubscribe(identities.get(client) ?? null, subscription.topic);
      if (decision.allowed) return done(null, subscription);
      refusal(client, 'subscribe', { topic: subscription.topic }, decision.reason);
      done(null, null); // SUBACK 0x80 for this filter; the client stays connected
    },
  });
  aedes.on('clientError', (client, error) =>
    log.info(
      { event: 'mqtt.client-error', clientId: client?.id, err: error.message },
      'client error',
    ),
  );
  aedes.on('connectionError', (client, error) =>
    log.info(
      { event: 'mqtt.connection-error', clientId: client?.id, err: error.message },
      'connection error',
    ),
  );
  /** The name `disconnect` takes: a device topic root, or a service-account name. */
  function describeIdentityName(identity: BrokerIdentity): string {
    return identity.kind === 'service' ? identity.name : describeIdentity(identity);
  }

  function remember(name: string, client: Client) {
    const clients = connected.get(name) ?? new Set<Client>();
    clients.add(client);
    connected.set(name, clients);
    client.conn.once('close', () => {
      clients.delete(client);
      if (clients.size === 0 && connected.get(name) === clients) connected.delete(name);
    });
  }

  function disconnect(identity: string, reason: string): number {
    disconnectedAt.set(identity, ++disconnects);
    const clients = [...(connected.get(identity) ?? [])];
    for (const client of clients) {
      log.warn(
        {
          event: 'mqtt.disconnected',
          identity,
          clientId: requestedIds.get(client) ?? client.id,
          reason,
        },
        `disconnected ${identity}: ${reason}`,
      );
      client.close();
    }
    return clients.length;
  }

  /** Every connection starts with the packet size limit, or not at all. */
  const handle = (socket: Socket) => {
    const client = aedes.handle(socket);
    const limited = limitPacketSize(client, maxPacketBytes, (packet) => {
      const identity = identities.get(client);
      refusal(
        client,
        'packet-size',
        {
          remoteAddress: socket.remoteAddress ?? null,
          packetType: packet.packetType,
          bytes: packet.bytes,
          limit: packet.limit,
        },
        `${packet.packetType} packet of ${packet.bytes} bytes exceeds the limit of ${packet.limit}${
          identity ? '' : ' (before authentication)'
        }`,
      );
    });
    if (!limited) {
      log.error(
        { event: 'mqtt.packet-limit-unavailable' },
        'cannot enforce the packet size limit on this aedes/mqtt-packet version: connection refused',
      );
      socket.destroy();
    }
  };

  if (options.allowAnonymous) {
    log.warn(
      { event: 'mqtt.anonymous-allowed' },
      'anonymous clients are trusted as a service account: development only',
    );
  }

  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const track = (server: Server) => {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    servers.push(server);
    return server;
  };
  const listen = async (server: Server, port: number) => {
    server.listen(port, host);
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  };
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const running: RunningBroker = { close, disconnect };

  try {
    if (options.port !== false) {
      const port = await listen(track(createTcpServer(handle)), options.port ?? 1883);
      running.mqttUrl = `mqtt://${urlHost}:${port}`;
    }
    if (options.tls) {
      const requestCert = options.tls.requestCert ?? true;
      const tlsServer = createTlsServer(
        {
          key: options.tls.key,
          cert: options.tls.cert,
          ca: options.tls.ca,
          requestCert,
          rejectUnauthorized: requestCert,
          // The seeds ask for TLS 1.3 on MQTT: a 1.2 client fails the handshake.
          minVersion: 'TLSv1.3',
        },
        handle,
      );
      tlsServer.on('tlsClientError', (error, socket) =>
        log.warn(
          {
            event: 'mqtt.refused',
            action: 'tls-handshake',
            remoteAddress: socket.remoteAddress,
            reason: error.message,
          },
          `refused tls-handshake: ${error.message}`,
        ),
      );
      const port = await listen(track(tlsServer), options.tlsPort ?? 8883);
      running.mqttsUrl = `mqtts://${urlHost}:${port}`;
    }
  } catch (error) {
    await close();
    throw error;
  }
  log.info(
    {
      event: 'mqtt.listening',
      mqttUrl: running.mqttUrl,
      mqttsUrl: running.mqttsUrl,
      maxPacketBytes,
    },
    'broker listening',
  );
  return running;

  async function close(): Promise<void> {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}
