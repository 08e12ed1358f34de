import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import {
  identityFromCommonName,
  RememberedPasswordChecks,
  type PasswordAuthenticator,
} from '../../../../broker/src';
import { APP_LOGGER } from '../../observability/app-logger';
import { DeviceCredentialSecret, READ_MODEL_SCHEMA } from '../../read-models/read-model.entities';

/**
 * Where device credentials are checked: the embedded broker asks `check` at every CONNECT.
 * The live credential of a client is the one its stream says (the `credential` of its row in
 * read_models.clients, written in the same statement as the event); its scrypt hash sits in
 * read_models.device_credentials. A revoked or rotated-out credential is no longer named by
 * its client's row, so it fails at once, whatever the hash table still holds.
 * Successful checks are remembered (RememberedPasswordChecks), but the rows are read at every
 * check, so a revocation is never answered from memory.
 */
@Injectable()
export class DeviceCredentialStore implements PasswordAuthenticator {
  private readonly checks = new RememberedPasswordChecks();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Keeps the hash of a credential about to be issued. Called before its event is appended:
   * if the append then fails, the row is named by no client and never matches.
   */
  async keep(secret: Omit<DeviceCredentialSecret, 'createdAt'>): Promise<void> {
    await this.dataSource.getRepository(DeviceCredentialSecret).insert(secret);
  }

  /** Drops the hash of a credential that was revoked or rotated out (it no longer matches anyway). */
  async forget(credentialId: string): Promise<void> {
    await this.dataSource.getRepository(DeviceCredentialSecret).delete({ credentialId });
  }

  async check(username: string, password: Buffer | string | undefined): Promise<boolean> {
    const identity = identityFromCommonName(username, []);
    if (identity?.kind !== 'device' || password === undefined) return false;
    let live: { secret_hash: string } | undefined;
    try {
      [live] = (await this.dataSource.query(
        `SELECT s.secret_hash
           FROM ${READ_MODEL_SCHEMA}.clients c
           JOIN ${READ_MODEL_SCHEMA}.device_credentials s
             ON s.credential_id = c.credential_id
            AND s.tenant_id = c.tenant_id AND s.client_id = c.client_id
          WHERE c.tenant_id = $1 AND c.client_id = $2`,
        [identity.tenantId, identity.clientId],
      )) as { secret_hash: string }[];
    } catch (error) {
      this.logger.warn(
        { err: error, username, event: 'device-credential.check-failed' },
        'cannot read device credentials: connection refused',
      );
      return false;
    }
    return live ? this.checks.verify(username, password.toString(), live.secret_hash) : false;
  }
}
