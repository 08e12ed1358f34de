import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { PasswordAuthenticator } from './password-authenticator';

/**
 * Username/password accounts for development and for brokers reached without client
 * certificates. Passwords are stored as scrypt hashes, `scrypt$N$r$p$saltB64$hashB64`, compared
 * in constant time. The username names the identity exactly like a certificate CN does
 * (`tenants/{t}/clients/{c}` or a service-account name), see domain/identity.ts.
 */
const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 } as const;
const HASH_FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

export class PasswordFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordFileError';
  }
}

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
  length: number,
) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, length, { ...params, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** The stored form of a password, for a users file (`npm run broker:hash-password`). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT, SCRYPT.keyLength);
  const { N, r, p } = SCRYPT;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = HASH_FORMAT.exec(stored);
  if (!match) return false;
  const [, N, r, p, salt, hash] = match;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64'),
    { N: Number(N), r: Number(r), p: Number(p) },
    expected.length,
  );
  return timingSafeEqual(actual, expected);
}

/**
 * Password checks that remember their successes (username and a SHA-256 of the stored hash
 * and the password), so that a fleet reconnecting at once after a broker restart costs one
 * scrypt per device, not one per attempt. Failures are never remembered, and a new stored hash
 * (a rotated credential, an edited users file) never matches an old success.
 */
export class RememberedPasswordChecks {
  private readonly verified = new Map<string, string>();

  async verify(username: string, password: string, stored: string): Promise<boolean> {
    const fingerprint = createHash('sha256')
      .update(stored)
      .update('\0')
      .update(password)
      .digest('base64');
    if (this.verified.get(username) === fingerprint) return true;
    const ok = await verifyPassword(password, stored);
    if (ok) this.verified.set(username, fingerprint);
    return ok;
  }
}

const usersFileSchema = z.record(
  z.string().min(1),
  z.string().regex(HASH_FORMAT, 'must be a scrypt$N$r$p$salt$hash string'),
);

/** The accounts a broker accepts (a users file, the service password of the environment). */
export class PasswordUsers implements PasswordAuthenticator {
  private readonly checks = new RememberedPasswordChecks();

  constructor(private readonly hashes: ReadonlyMap<string, string>) {}

  static fromRecord(record: Record<string, string>): PasswordUsers {
    const parsed = usersFileSchema.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PasswordFileError(`users: ${issue.path.join('.') || '(root)'} ${issue.message}`);
    }
    return new PasswordUsers(new Map(Object.entries(parsed.data)));
  }

  /** A JSON object `{ "<username>": "scrypt$..." }`. */
  static fromFile(path: string): PasswordUsers {
    let record: unknown;
    try {
      record = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new PasswordFileError(`cannot read users file ${path}: ${(error as Error).message}`);
    }
    try {
      return PasswordUsers.fromRecord(record as Record<string, string>);
    } catch (error) {
      throw new PasswordFileError(`${path}: ${(error as Error).message}`);
    }
  }

  /** Adds an account whose password arrives in plain text (an environment variable). */
  async withPlainPassword(username: string, password: string): Promise<PasswordUsers> {
    const hashes = new Map(this.hashes);
    hashes.set(username, await hashPassword(password));
    return new PasswordUsers(hashes);
  }

  async check(username: string, password: Buffer | string | undefined): Promise<boolean> {
    const stored = this.hashes.get(username);
    if (!stored || password === undefined) return false;
    return this.checks.verify(username, password.toString(), stored);
  }
}
