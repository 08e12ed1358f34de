import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, PasswordFileError, PasswordUsers, verifyPassword } from './password-users';

describe('password hashing', () => {
  it('verifies the right password and refuses others', async () => {
    const stored = await hashPassword('s3cret');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    await expect(verifyPassword('s3cret', stored)).resolves.toBe(true);
    await expect(verifyPassword('s3cret ', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts: the same password hashes differently', async () => {
    expect(await hashPassword('x')).not.toBe(await hashPassword('x'));
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    await expect(verifyPassword('x', 'plain-text-password')).resolves.toBe(false);
  });
});

describe('PasswordUsers', () => {
  it('checks known users only, and remembers no failure', async () => {
    const users = await new PasswordUsers(new Map()).withPlainPassword('svc', 'pw');
    await expect(users.check('svc', Buffer.from('pw'))).resolves.toBe(true);
    await expect(users.check('svc', Buffer.from('pw'))).resolves.toBe(true);
    await expect(users.check('svc', Buffer.from('nope'))).resolves.toBe(false);
    await expect(users.check('svc', undefined)).resolves.toBe(false);
    await expect(users.check('other', Buffer.from('pw'))).resolves.toBe(false);
  });

  describe('from a file', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'broker-users-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('loads hashed entries', async () => {
      const file = join(dir, 'users.json');
      writeFileSync(file, JSON.stringify({ 'tenants/t/clients/c': await hashPassword('pw') }));
      await expect(PasswordUsers.fromFile(file).check('tenants/t/clients/c', 'pw')).resolves.toBe(
        true,
      );
    });

    it('names the file and the bad entry when a password is not hashed', () => {
      const file = join(dir, 'users.json');
      writeFileSync(file, JSON.stringify({ alice: 'plain' }));
      expect(() => PasswordUsers.fromFile(file)).toThrow(PasswordFileError);
      expect(() => PasswordUsers.fromFile(file)).toThrow(/users\.json: users: alice must be/);
    });

    it('names the file when it is not JSON', () => {
      const file = join(dir, 'users.json');
      writeFileSync(file, '{');
      expect(() => PasswordUsers.fromFile(file)).toThrow(/cannot read users file .*users\.json/);
    });
  });
});
