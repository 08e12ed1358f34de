import type { ClientAddress } from '@opcfleet/contracts';
import * as path from 'node:path';
import pino, { type Logger } from 'pino';
import type { ConfigJobHandler, ConfigOutcome } from '../../src/config-apply/config-decision';
import { Inbox } from '../../src/link/inbox';
import { JobLedger } from '../../src/link/job-ledger';
import { MqttLink } from '../../src/link/mqtt-link';
import { Outbox } from '../../src/link/outbox';
import type { SessionConflict, TakeoverPolicy } from '../../src/link/session-takeover';
import { StatusReporter } from '../../src/link/status-reporter';
import { ScriptedRunner } from './scripted-runner';

/** Accepts every config: these tests are about the link; config apply has its own. */
export class AcceptingConfigs implements ConfigJobHandler {
  readonly applied: number[] = [];
  async apply(command: { payload: { version: number } }): Promise<ConfigOutcome> {
    this.applied.push(command.payload.version);
    return { phase: 'applied', configVersion: command.payload.version };
  }
}

/** The agent's link side (ledger, outbox, reporter, inbox, MQTT) on a data dir, with a scripted runner. */
export async function startLinkUnderTest(options: {
  url: string;
  address: ClientAddress;
  dataDir: string;
  /** As EDGE_AGENT_MQTT_VERSION: `auto` (the default) tries MQTT 5 and falls back to 3.1.1. */
  mqttVersion?: 4 | 5 | 'auto';
  /** Files of the CA, the device certificate and its key, for mqtts:// */
  tls?: { mqttCaFile: string; mqttCertFile: string; mqttKeyFile: string };
  logger?: Logger;
  takeoverPolicy?: Partial<TakeoverPolicy>;
}) {
  const logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const ledger = await JobLedger.open(path.join(options.dataDir, 'jobs'));
  const outbox = await Outbox.open(path.join(options.dataDir, 'outbox'));
  const reporter = new StatusReporter({ address: options.address, ledger, outbox, logger });
  const runner = new ScriptedRunner((draft) => reporter.report(draft));
  const configs = new AcceptingConfigs();
  const inbox: Inbox = new Inbox({
    address: options.address,
    ledger,
    reporter,
    updates: runner,
    configs,
    logger,
    sessionConflict: (): SessionConflict | null => link.sessionConflict(),
  });
  const link: MqttLink = new MqttLink({
    settings: {
      ...options.address,
      mqttUrl: options.url,
      mqttVersion: options.mqttVersion ?? 'auto',
      mqttSessionExpirySeconds: 300,
      mqttKeepaliveSeconds: 30,
      ...options.tls,
    },
    agentVersion: 'test',
    commands: inbox,
    reporter,
    logger,
    takeoverPolicy: options.takeoverPolicy,
  });
  link.start();
  await link.whenConnected();
  return { link, reporter, outbox, ledger, runner, configs };
}
