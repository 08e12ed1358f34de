import pino from 'pino';
import { PasswordFileError } from './authentication/password-users';
import { BrokerConfigError, brokerOptionsFromEnv, parseBrokerEnv } from './config/broker-config';
import { startBroker } from './mqtt-server/start-broker';

/** The broker as its own process: `npm run start:broker` (variables: services/broker/README.md). */
async function main(): Promise<void> {
  const logger = pino({ name: 'broker', level: process.env.LOG_LEVEL ?? 'info' });
  let options;
  try {
    options = await brokerOptionsFromEnv(parseBrokerEnv(process.env));
  } catch (error) {
    if (!(error instanceof BrokerConfigError || error instanceof PasswordFileError)) {
      throw error;
    }
    console.error(`broker: invalid configuration: ${(error as Error).message}`);
    process.exit(2);
  }
  const broker = await startBroker({ ...options, logger });
  const stop = async (signal: string) => {
    logger.info({ event: 'mqtt.stopping', signal }, 'stopping broker');
    await broker.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('broker: failed to start', error);
  process.exit(1);
});
