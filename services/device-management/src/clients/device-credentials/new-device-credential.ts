import type { ClientAddress } from '@opcfleet/contracts';
import { randomBytes, randomUUID } from 'node:crypto';
import { deviceCommonName, hashPassword } from '../../../../broker/src';

/** A credential as it is issued: the password exists only here and in the one response. */
export interface NewDeviceCredential {
  credentialId: string;
  /** The MQTT username: the device's topic root, which the broker's policy reads as its identity. */
  username: string;
  /** 256 random bits: nothing to guess, and no need for a slower hash than the broker's. */
  password: string;
  /** scrypt, the format of services/broker's password users. */
  secretHash: string;
}

export async function newDeviceCredential(address: ClientAddress): Promise<NewDeviceCredential> {
  const password = randomBytes(32).toString('base64url');
  return {
    credentialId: randomUUID(),
    username: deviceCommonName(address),
    password,
    secretHash: await hashPassword(password),
  };
}
