/**
 * The port between the service and its MQTT broker. The dispatcher, the status ingestor and
 * the health check depend on this interface only; `MqttMessageBus` is the adapter over mqtt.js.
 * The meaning of every message lives in its JSON envelope, so the MQTT 5 properties below are
 * extras: an MQTT 3.1.1 broker simply does not receive them.
 */
export interface OutgoingMessage {
  topic: string;
  payload: string | Buffer;
  /** After this the broker may drop the message (MQTT 5 message expiry). */
  expiresAt?: Date;
  /** MQTT 5 correlation data, so a trace can follow the command through the broker. */
  correlationId?: string;
  /** MQTT 5 user properties. */
  userProperties?: Record<string, string>;
  /**
   * 0 for a message worth nothing once late (a report ack: the device asks again): resolves
   * once written to the socket. Default 1.
   */
  qos?: 0 | 1;
}

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  /** MQTT 5 correlation data, when the sender set it. */
  correlationId?: string;
  /** True when the broker replays a retained message on subscribe. */
  retained: boolean;
}

/** Handles one message. A rejection is logged by the bus; it never stops the subscription. */
export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface SubscribeOptions {
  /**
   * MQTT 5 shared-subscription group: several replicas subscribed with the same group split
   * the messages between them instead of each receiving all of them.
   */
  shareGroup?: string;
}

export type ProtocolName = 'mqtt-3.1.1' | 'mqtt-5';

export interface BrokerStatus {
  connected: boolean;
  /** The broker's URL without credentials. */
  url: string;
  protocol: ProtocolName | undefined;
  /** Last connection error, while disconnected. */
  lastError?: string;
}

export interface MessageBus {
  /**
   * Publishes with QoS 1 (unless the message says 0) and resolves on the broker's PUBACK. Rejects with
   * BrokerUnavailableError at once while disconnected (nothing is queued in memory: the
   * caller's own outbox decides when to try again) or when no PUBACK arrives in time.
   */
  publish(message: OutgoingMessage): Promise<void>;
  /** Registers a handler; may be called before `start`, and is restored on every reconnect. */
  subscribe(filter: string, handler: MessageHandler, options?: SubscribeOptions): Promise<void>;
  status(): BrokerStatus;
  /** Calls `listener` each time the connection comes up (after the first connect too). */
  onConnected(listener: () => void): void;
}

/** The broker cannot take the message now; retrying later is the right reaction. */
export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/** Nest injection token of the MessageBus. */
export const MESSAGE_BUS = Symbol('MessageBus');
