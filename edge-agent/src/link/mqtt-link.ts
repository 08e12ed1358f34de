import {
  PRESENCE_SCHEMA,
  acksTopic,
  clientCommandsFilter,
  clientTopicRoot,
  presenceTopic,
  stateTopic,
  type ClientAddress,
  type Presence,
  type StateSummary,
} from '@opcfleet/contracts';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AgentSettings } from '../config/agent-settings';
import type { Delivery } from './service-clock';
import {
  DEFAULT_TAKEOVER_POLICY,
  SessionTakeoverWatch,
  type SessionConflict,
  type TakeoverPolicy,
} from './session-takeover';
import type { ReportPublisher, StatusReporter } from './status-reporter';

export type LinkSettings = Pick<
  AgentSettings,
  | 'tenantId'
  | 'clientId'
  | 'mqttUrl'
  | 'mqttVersion'
  | 'mqttUsername'
  | 'mqttPassword'
  | 'mqttCaFile'
  | 'mqttCertFile'
  | 'mqttKeyFile'
  | 'mqttSessionExpirySeconds'
  | 'mqttKeepaliveSeconds'
>;

export interface CommandSink {
  /** `failed` withholds the PUBACK: the broker redelivers after the next reconnect. */
  handle(
    topic: string,
    payload: Uint8Array,
    delivery: Delivery,
  ): Promise<'handled' | 'dropped' | 'failed'>;
}

/**
 * The agent's MQTT connection: a persistent session under a stable client id, so commands
 * sent while the device was offline wait in the broker; QoS 1 on its own `commands/#`, each
 * acknowledged only after the inbox has stored it; retained presence with an `offline` last
 * will; retained state; and the publisher the status reporter drains its outbox through.
 */
/** CONNACK return code of MQTT 3.1.1 "unacceptable protocol version": how aedes answers v5. */
const UNACCEPTABLE_PROTOCOL_VERSION = 1;
/** MQTT 5 DISCONNECT reason code: another connection with this client id took the session. */
const SESSION_TAKEN_OVER = 0x8e;

export class MqttLink implements ReportPublisher {
  private client: MqttClient | null = null;
  private connects = 0;
  /** Whether the broker kept the session at the last connect (told in `online` presence). */
  private readonly address: ClientAddress;
  /** The protocol of the next or current connection: 5 unless the settings or the broker say 3.1.1. */
  private protocol: 4 | 5;
  private readonly takeover: SessionTakeoverWatch;
  private takeoverPolicy: TakeoverPolicy;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      settings: LinkSettings;
      agentVersion: string;
      commands: CommandSink;
      reporter: StatusReporter;
      logger: Logger;
      /** Each connection after the first: the link was lost and came back. */
      onReconnect?: () => void;
      /** The retained state to publish on each (re)connect. */
      currentState?: () => Promise<StateSummary>;
      /** What `online` presence says about the device besides (its workload, its clock). */
      presenceDetails?: () => Pick<Presence, 'workload' | 'clockSkewSeconds'>;
      /** Told when another client starts or stops taking this client id's session (null). */
      onSessionConflict?: (conflict: SessionConflict | null) => void;
      /** Tests shorten the takeover detection and back-off. */
      takeoverPolicy?: Partial<TakeoverPolicy>;
    },
  ) {
    this.address = { tenantId: deps.settings.tenantId, clientId: deps.settings.clientId };
    this.protocol = deps.settings.mqttVersion === 4 ? 4 : 5;
    this.takeoverPolicy = { ...DEFAULT_TAKEOVER_POLICY, ...deps.takeoverPolicy };
    this.takeover = new SessionTakeoverWatch(this.takeoverPolicy);
  }

  /**
   * While another client keeps taking this client id's session (a second agent with the same
   * identity, on this host or another), the episode; otherwise null.
   */
  sessionConflict(): SessionConflict | null {
    return this.takeover.conflict();
  }

  /** The MQTT protocol version spoken (or about to be): 5, or 4 for 3.1.1. */
  protocolVersion(): 4 | 5 {
    return this.protocol;
  }

  /** Connects in the background (a broker that is down is retried forever). */
  start(): void {
    const client = mqtt.connect(this.deps.settings.mqttUrl, this.clientOptions());
    this.client = client;
    // PUBACK goes out only when this callback runs: after the command is on disk.
    client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
      if (packet.topic === acksTopic(this.address)) {
        this.deps.reporter.acknowledge(toBytes(packet.payload));
        done();
        return;
      }
      // MQTT 5: the lifetime the broker says is left (it drops expired messages itself).
      const delivery = { expiryIntervalSeconds: packet.properties?.messageExpiryInterval };
      this.deps.commands.handle(packet.topic, toBytes(packet.payload), delivery).then(
        (outcome) => (outcome === 'failed' ? done(new Error('command not stored')) : done()),
        (err: Error) => done(err),
      );
    };
    client.on('connect', (connack) => void this.onConnect(client, connack.sessionPresent));
    let takenOver = false;
    client.on('disconnect', (packet) => {
      if (packet.reasonCode === SESSION_TAKEN_OVER) takenOver = true;
    });
    // Reconnects are scheduled here (reconnectPeriod is 0), so their delay can back off.
    client.on('close', () => {
      clearTimeout(this.stableTimer);
      if (this.client !== client) return;
      this.onClose(takenOver);
      takenOver = false;
      this.reconnectTimer = setTimeout(() => {
        // The same stores: QoS 1 messages in flight are sent again, not forgotten.
        const { incomingStore, outgoingStore } = client;
        if (this.client === client) client.reconnect({ incomingStore, outgoingStore });
      }, this.takeover.reconnectDelayMs());
    });
    client.on('error', (err: Error & { code?: number }) => {
      if (
        err.code === UNACCEPTABLE_PROTOCOL_VERSION &&
        this.protocol === 5 &&
        this.deps.settings.mqttVersion === 'auto'
      ) {
        this.fallBackTo311(client);
        return;
      }
      this.deps.logger.warn({ err }, 'MQTT error');
    });
  }

  private onClose(takenOver: boolean): void {
    const { logger, settings } = this.deps;
    const verdict = this.takeover.closed(takenOver);
    if (!verdict.conflict) {
      logger.warn({ url: settings.mqttUrl }, 'MQTT connection lost');
      return;
    }
    const { episode } = verdict;
    const details = {
      url: settings.mqttUrl,
      mqttClientId: this.clientId(),
      takeovers: episode.takeovers,
      evidence: episode.evidence,
      reconnectInMs: episode.reconnectInMs,
    };
    if (verdict.startsEpisode) {
      logger.error(
        details,
        `MQTT session taken over: another client connected with this agent's client id ${this.clientId()}; is a second agent running with this identity (here or on another host)? Backing off, and refusing new jobs until this agent keeps its session for ${Math.round(this.takeoverPolicy.stableMs / 1000)} s`,
      );
    } else {
      logger.warn(details, 'MQTT session taken over again: backing off');
    }
    this.deps.onSessionConflict?.(episode);
  }

  /** The broker speaks only 3.1.1: the next attempt, and every one after it, uses it. */
  private fallBackTo311(client: MqttClient): void {
    this.protocol = 4;
    client.options.protocolVersion = 4;
    delete client.options.properties;
    if (client.options.will) delete client.options.will.properties;
    this.deps.logger.info(
      { url: this.deps.settings.mqttUrl },
      'broker refused MQTT 5, using MQTT 3.1.1',
    );
  }

  isConnected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Resolves when connected (for tests and start-up logs). */
  whenConnected(): Promise<void> {
    const client = this.requireClient();
    if (client.connected) return Promise.resolve();
    return new Promise((resolve) => client.once('connect', () => resolve()));
  }

  publish(topic: string, payload: string): Promise<void> {
    const client = this.requireClient();
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: 1, ...this.jsonProperties() }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  /** Retained: a new subscriber (the service after a restart) sees where the device stands. */
  async publishState(summary: StateSummary): Promise<void> {
    await this.publishRetained(stateTopic(this.address), JSON.stringify(summary));
  }

  /** Publishes `online` presence again, with the details as they are now (when connected). */
  async refreshPresence(): Promise<void> {
    const client = this.client;
    if (!client?.connected) return;
    await this.publishRetained(
      presenceTopic(this.address),
      JSON.stringify(this.presence('online')),
      client,
    );
  }

  /** Says `offline` itself (the last will covers only a lost connection), then disconnects. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.deps.reporter.detach();
    this.client = null;
    this.clearTimers();
    if (client.connected) {
      await this.publishRetained(
        presenceTopic(this.address),
        JSON.stringify(this.presence('offline')),
        client,
      ).catch((err) => this.deps.logger.warn({ err }, 'could not publish offline presence'));
    }
    await client.endAsync();
  }

  /** Drops the connection without a goodbye, as a power cut does (the broker sends the last will). */
  async abort(): Promise<void> {
    this.deps.reporter.detach();
    const client = this.client;
    this.client = null;
    this.clearTimers();
    await client?.endAsync(true);
  }

  private clearTimers(): void {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.stableTimer);
  }

  private async onConnect(client: MqttClient, sessionPresent: boolean): Promise<void> {
    const { logger, reporter } = this.deps;
    this.connects += 1;
    this.takeover.connected();
    if (this.takeover.conflict()) {
      // Kept long enough, the session is ours again: the episode ends.
      this.stableTimer = setTimeout(() => {
        if (this.client !== client || !client.connected || !this.takeover.stable()) return;
        logger.info({ mqttClientId: this.clientId() }, 'MQTT session kept: taken over no more');
        this.deps.onSessionConflict?.(null);
      }, this.takeoverPolicy.stableMs);
    }
    if (this.connects > 1) this.deps.onReconnect?.();
    logger.info(
      {
        url: this.deps.settings.mqttUrl,
        protocol: this.protocol === 5 ? 'mqtt-5' : 'mqtt-3.1.1',
        sessionPresent,
        connects: this.connects,
      },
      'MQTT connected',
    );
    try {
      // Resubscribing when the broker kept the session is harmless and covers one that did not.
      await client.subscribeAsync(clientCommandsFilter(this.address), { qos: 1 });
      // The service's acks of reports: QoS 0, a lost one only makes a report go again.
      await client.subscribeAsync(acksTopic(this.address), { qos: 0 });
      await this.publishRetained(
        presenceTopic(this.address),
        JSON.stringify({ ...this.presence('online'), sessionResumed: sessionPresent }),
      );
      if (this.deps.currentState) await this.publishState(await this.deps.currentState());
    } catch (err) {
      logger.warn({ err }, 'MQTT session set-up failed; it is retried on the next connect');
    }
    reporter.attach(this);
    reporter.kick();
  }

  private publishRetained(
    topic: string,
    payload: string,
    client = this.requireClient(),
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: 1, retain: true, ...this.jsonProperties() }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  private clientOptions(): IClientOptions {
    const s = this.deps.settings;
    const will = {
      topic: presenceTopic(this.address),
      payload: Buffer.from(JSON.stringify(this.presence('offline'))),
      qos: 1 as const,
      retain: true,
    };
    const v5 = this.protocol === 5;
    return {
      clientId: this.clientId(),
      clean: false,
      protocolVersion: this.protocol,
      keepalive: s.mqttKeepaliveSeconds,
      // Reconnects, after a refused CONNACK too, are scheduled on 'close' (see start()).
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      username: s.mqttUsername ?? (s.mqttPassword ? clientTopicRoot(this.address) : undefined),
      password: s.mqttPassword,
      ca: s.mqttCaFile ? readFileSync(s.mqttCaFile) : undefined,
      cert: s.mqttCertFile ? readFileSync(s.mqttCertFile) : undefined,
      key: s.mqttKeyFile ? readFileSync(s.mqttKeyFile) : undefined,
      rejectUnauthorized: true,
      will: v5 ? { ...will, properties: { contentType: 'application/json' } } : will,
      properties: v5 ? { sessionExpiryInterval: s.mqttSessionExpirySeconds } : undefined,
    };
  }

  private clientId(): string {
    return `agent:${this.deps.settings.tenantId}:${this.deps.settings.clientId}`;
  }

  private jsonProperties() {
    return this.protocol === 5 ? { properties: { contentType: 'application/json' } } : {};
  }

  private presence(status: Presence['status']): Presence {
    return {
      schema: PRESENCE_SCHEMA,
      ...this.address,
      status,
      at: new Date().toISOString(),
      agentVersion: this.deps.agentVersion,
      ...(status === 'online' && this.deps.presenceDetails?.()),
    };
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error('the MQTT link is not started');
    return this.client;
  }
}

function toBytes(payload: IPublishPacket['payload']): Uint8Array {
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
}
