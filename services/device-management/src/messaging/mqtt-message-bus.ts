import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MessagingConfig } from './messaging.config';
import {
  BrokerUnavailableError,
  type BrokerStatus,
  type IncomingMessage,
  type MessageBus,
  type MessageHandler,
  type OutgoingMessage,
  type ProtocolName,
  type SubscribeOptions,
} from './message-bus';
import type { Worker } from '../shared/worker';
import { sharedFilter, topicMatches } from './topic-filter';

interface Route {
  /** The filter as the handler wrote it, used to route incoming topics. */
  filter: string;
  /** The shared-subscription group (MQTT 5), if any. */
  shareGroup?: string;
  handler: MessageHandler;
}

/** CONNACK return code of MQTT 3.1.1 "unacceptable protocol version" (aedes answers v5 so). */
const UNACCEPTABLE_PROTOCOL_VERSION = 1;
const CONNECT_TIMEOUT_MS = 5000;

/**
 * The MessageBus over mqtt.js. Speaks MQTT 5 where the broker does (Mosquitto, EMQX) and
 * 3.1.1 otherwise (aedes); reconnects on its own and restores every subscription; keeps a
 * persistent session so that reports sent while the service restarts wait in the broker.
 */
export class MqttMessageBus implements MessageBus, Worker {
  readonly name = 'mqtt';
  private client: MqttClient | undefined;
  private protocol: ProtocolName | undefined;
  private lastError: string | undefined;
  /** Between the broker refusing MQTT 5 and the next attempt, with 3.1.1. */
  private fallingBack = false;
  private readonly routes: Route[] = [];
  private readonly connectedListeners: Array<() => void> = [];

  constructor(
    private readonly config: MessagingConfig['mqtt'],
    private readonly logger: Logger,
  ) {
    if (config.protocol === '5') this.protocol = 'mqtt-5';
    if (config.protocol === '3.1.1') this.protocol = 'mqtt-3.1.1';
  }

  /**
   * Starts connecting and resolves at the first successful connection or after the first
   * failed attempt: the service starts even while the broker is down, and keeps trying.
   */
  async start(): Promise<void> {
    if (this.client) return;
    const client = mqtt.connect(this.config.url, this.clientOptions());
    this.client = client;
    client.handleMessage = (packet, done) => {
      this.route(packet).then(
        () => done(),
        () => done(),
      );
    };
    client.on('connect', (connack) => {
      this.lastError = undefined;
      this.fallingBack = false;
      this.protocol = client.options.protocolVersion === 5 ? 'mqtt-5' : 'mqtt-3.1.1';
      this.logger.info(
        { broker: this.safeUrl(), protocol: this.protocol, sessionPresent: connack.sessionPresent },
        'connected to the MQTT broker',
      );
      void this.subscribeAll();
      for (const listener of this.connectedListeners) listener();
    });
    client.on('error', (error: Error & { code?: number }) => {
      if (error.code === UNACCEPTABLE_PROTOCOL_VERSION && this.config.protocol === 'auto') {
        // The broker speaks only 3.1.1: the next (immediate) attempt uses it.
        client.options.protocolVersion = 4;
        delete client.options.properties;
        this.fallingBack = true;
        this.logger.info({ broker: this.safeUrl() }, 'broker refused MQTT 5, using MQTT 3.1.1');
        return;
      }
      this.lastError = error.message;
      this.logger.warn({ broker: this.safeUrl(), err: error.message }, 'MQTT connection error');
    });
    client.on('offline', () => {
      if (this.fallingBack) return;
      this.logger.warn({ broker: this.safeUrl() }, 'MQTT broker unreachable, reconnecting');
    });
    await new Promise<void>((resolve) => {
      // Resolve at the first connection, or once an attempt has failed for a reason other
      // than the protocol fallback, or after the connect timeout: start never hangs.
      const timer = setTimeout(settle, CONNECT_TIMEOUT_MS + 1000);
      function settle() {
        clearTimeout(timer);
        client.off('connect', settle);
        client.off('offline', settleIfFailed);
        resolve();
      }
      const settleIfFailed = () => {
        if (this.lastError) settle();
      };
      client.on('connect', settle);
      client.on('offline', settleIfFailed);
    });
  }

  async publish(message: OutgoingMessage): Promise<void> {
    const client = this.client;
    if (!client?.connected) {
      throw new BrokerUnavailableError(`not connected to ${this.safeUrl()}`);
    }
    const options: mqtt.IClientPublishOptions = { qos: message.qos ?? 1 };
    if (this.protocol === 'mqtt-5') {
      options.properties = {
        contentType: 'application/json',
        ...(message.expiresAt && {
          messageExpiryInterval: Math.max(
            1,
            Math.ceil((message.expiresAt.getTime() - Date.now()) / 1000),
          ),
        }),
        ...(message.correlationId && { correlationData: Buffer.from(message.correlationId) }),
        ...(message.userProperties && { userProperties: message.userProperties }),
      };
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new BrokerUnavailableError(`no PUBACK within ${this.config.pubackTimeoutMs} ms`)),
        this.config.pubackTimeoutMs,
      );
    });
    try {
      await Promise.race([client.publishAsync(message.topic, message.payload, options), timeout]);
    } catch (error) {
      if (error instanceof BrokerUnavailableError) throw error;
      throw new BrokerUnavailableError(`publish failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async subscribe(
    filter: string,
    handler: MessageHandler,
    options: SubscribeOptions = {},
  ): Promise<void> {
    const route: Route = {
      filter,
      handler,
      ...(options.shareGroup ? { shareGroup: options.shareGroup } : {}),
    };
    this.routes.push(route);
    if (this.client?.connected) await this.subscribeRoute(route);
  }

  onConnected(listener: () => void): void {
    this.connectedListeners.push(listener);
  }

  status(): BrokerStatus {
    return {
      connected: this.client?.connected ?? false,
      url: this.safeUrl(),
      protocol: this.protocol,
      ...(this.lastError && { lastError: this.lastError }),
    };
  }

  /** Nothing to catch up with: what it receives goes to its handlers at once. */
  caughtUp(): Promise<void> {
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync();
  }

  private async route(packet: IPublishPacket): Promise<void> {
    const message: IncomingMessage = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      retained: packet.retain,
      ...(packet.properties?.correlationData && {
        correlationId: packet.properties.correlationData.toString('utf8').slice(0, 128),
      }),
    };
    const routes = this.routes.filter((route) => topicMatches(route.filter, packet.topic));
    if (routes.length === 0) {
      this.logger.warn({ topic: packet.topic }, 'message on a topic nobody handles, dropped');
      return;
    }
    for (const route of routes) {
      try {
        await route.handler(message);
      } catch (error) {
        // Handlers log their own failures; this is the last line that keeps the client alive.
        this.logger.error(
          { topic: packet.topic, filter: route.filter, err: (error as Error).message },
          'message handler failed, message dropped',
        );
      }
    }
  }

  private async subscribeAll(): Promise<void> {
    await Promise.all(this.routes.map((route) => this.subscribeRoute(route)));
  }

  private async subscribeRoute(route: Route): Promise<void> {
    const client = this.client;
    if (!client) return;
    const subscribed = this.subscribedFilter(route);
    try {
      const grants = await client.subscribeAsync(subscribed, { qos: 1 });
      const refused = grants.filter((grant) => grant.qos > 2);
      if (refused.length > 0) {
        this.logger.error(
          { filter: subscribed, grants: refused },
          'broker refused the subscription',
        );
      }
    } catch (error) {
      this.logger.warn(
        { filter: subscribed, err: (error as Error).message },
        'subscribe failed; retried on the next connection',
      );
    }
  }

  /**
   * What is sent in SUBSCRIBE: the filter, or its `$share/...` form on MQTT 5. On MQTT 3.1.1 a
   * `$share/` filter is not a shared subscription everywhere (aedes takes it for a topic that
   * nothing is published to, and every report would be lost): the plain filter is used, and this
   * replica receives every message, which the idempotent handlers absorb.
   */
  private subscribedFilter(route: Route): string {
    if (!route.shareGroup) return route.filter;
    if (this.protocol === 'mqtt-5') return sharedFilter(route.shareGroup, route.filter);
    this.logger.warn(
      { filter: route.filter, shareGroup: route.shareGroup, protocol: this.protocol },
      'shared subscriptions need MQTT 5: subscribed without the group, so this replica receives every message',
    );
    return route.filter;
  }

  private clientOptions(): IClientOptions {
    const tls = {
      ...(this.config.caFile && { ca: readFileSync(this.config.caFile) }),
      ...(this.config.certFile && { cert: readFileSync(this.config.certFile) }),
      ...(this.config.keyFile && { key: readFileSync(this.config.keyFile) }),
      rejectUnauthorized: this.config.rejectUnauthorized,
    };
    const v5 = this.protocol !== 'mqtt-3.1.1';
    return {
      clientId: this.config.clientId,
      username: this.config.username,
      password: this.config.password,
      protocolVersion: v5 ? 5 : 4,
      clean: false,
      // How long the broker keeps our session (and queues status reports) while we are away.
      ...(v5 && { properties: { sessionExpiryInterval: this.config.sessionExpirySeconds } }),
      reconnectPeriod: 1000,
      // Also after a refusal: the protocol fallback, and a broker that refuses while it starts.
      reconnectOnConnackError: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Subscriptions are restored by subscribeAll on every connect, with their handlers.
      resubscribe: false,
      // Never hold publishes in memory while offline: the event store is the outbox.
      queueQoSZero: false,
      ...tls,
    };
  }

  private safeUrl(): string {
    try {
      const url = new URL(this.config.url);
      url.username = '';
      url.password = '';
      return url.toString().replace(/\/$/, '');
    } catch {
      return '(invalid url)';
    }
  }
}
