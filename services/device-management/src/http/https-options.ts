import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { ConfigError, type HttpConfig } from '../config/app.config';

/**
 * The TLS settings of the API when it serves HTTPS itself (no gateway in front): TLS 1.3 only,
 * as the seeds ask of every link. A file that cannot be read stops the start naming its variable.
 */
export function httpsOptions(tls: NonNullable<HttpConfig['tls']>): ServerOptions {
  return {
    cert: readPem(tls.certFile, 'HTTPS_CERT_FILE'),
    key: readPem(tls.keyFile, 'HTTPS_KEY_FILE'),
    minVersion: 'TLSv1.3',
  };
}

function readPem(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError([`${variable}: cannot read ${path} (${(error as Error).message})`]);
  }
}

/** Tells browsers to keep to HTTPS once they have seen it (a year). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';
