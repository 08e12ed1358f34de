import { Client } from 'pg';
import type { Logger } from 'pino';
import type { SubscriptionLease } from '../subscription/catch-up-subscription';
import { describe } from './commit-signal';

export interface LeaseOptions {
  connectionString: string;
  /** Locks are per schema: two stores in one database do not exclude each other. */
  schema: string;
  /** How often a waiting process tries again, and waits after a failed connection. */
  retryMs: number;
  logger: Logger;
}

/**
 * Exclusive subscriptions by PostgreSQL session advisory lock: the lease is a connection of
 * its own holding `pg_try_advisory_lock` on a key hashed from the schema and the name. The
 * server releases it when that session ends, so a process that dies (even with kill -9) lets
 * the next one in as soon as its socket closes. TCP keep-alive bounds how long a silent
 * network partition keeps a dead holder's lock.
 */
export async function acquireSubscriptionLease(
  name: string,
  signal: AbortSignal,
  options: LeaseOptions,
): Promise<SubscriptionLease | undefined> {
  const key = `${options.schema}:subscription:${name}`;
  let waitingLogged = false;
  while (!signal.aborted) {
    const client = new Client({ connectionString: options.connectionString, keepAlive: true });
    let lostLease: () => void = () => undefined;
    const lost = new Promise<void>((resolve) => (lostLease = resolve));
    let held = false;
    // While waiting, a failing connection surfaces as the query's rejection instead.
    const onLost = (error?: Error) => {
      if (!held) return;
      options.logger.warn(
        { subscription: name, ...(error && { error: describe(error) }) },
        'subscription lease lost: another process may take over',
      );
      lostLease();
    };
    client.on('error', onLost);
    try {
      await client.connect();
      for (;;) {
        const { rows } = await client.query<{ held: boolean }>(
          'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS held',
          [key],
        );
        if (rows[0].held) {
          held = true;
          client.on('end', () => onLost());
          options.logger.info({ subscription: name }, 'subscription lease held: running it');
          return {
            lost,
            release: async () => {
              client.off('error', onLost);
              client.removeAllListeners('end');
              client.on('error', () => undefined);
              await client.end();
            },
          };
        }
        if (!waitingLogged) {
          options.logger.info({ subscription: name }, 'subscription runs elsewhere: standing by');
          waitingLogged = true;
        }
        if (!(await pause(options.retryMs, signal))) break;
      }
    } catch (error) {
      options.logger.warn(
        { subscription: name, error: describe(error) },
        'could not try the subscription lease; trying again',
      );
      await pause(options.retryMs, signal);
    }
    client.off('error', onLost);
    client.on('error', () => undefined);
    await client.end().catch(() => undefined);
  }
  return undefined;
}

/** Resolves true after `ms`, false at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
