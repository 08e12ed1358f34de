import pino, { type Logger } from 'pino';

/** Nest injection token of the service's root pino logger. */
export const APP_LOGGER = Symbol('AppLogger');

export function createAppLogger(level: string): Logger {
  return pino({ name: 'device-management', level });
}
