/**
 * Checks a username/password pair. The broker asks it only for the password: what the username
 * then names (a device or a service account) is the broker's business (domain/identity.ts).
 * PasswordUsers (a users file) is one; device-management's device credentials are another.
 */
export interface PasswordAuthenticator {
  check(username: string, password: Buffer | string | undefined): Promise<boolean>;
}

/** Accepts what one of `authenticators` accepts, asking them in order. */
export function anyOf(...authenticators: PasswordAuthenticator[]): PasswordAuthenticator {
  return {
    async check(username, password) {
      for (const authenticator of authenticators) {
        if (await authenticator.check(username, password)) return true;
      }
      return false;
    },
  };
}
