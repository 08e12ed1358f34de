import { parseDevTokenArgs } from './dev-token-args';

describe('npm run token arguments', () => {
  it('gives a demo token of the roles asked for, 12 h by default', () => {
    expect(parseDevTokenArgs(['--role', 'auditor'])).toEqual({
      ok: true,
      request: { tenant: 'demo', roles: ['auditor'], expiresIn: '12h' },
    });
    expect(
      parseDevTokenArgs(['--role', 'admin,operator', '--tenant', 'acme-7', '--expires', '30m']),
    ).toEqual({
      ok: true,
      request: { tenant: 'acme-7', roles: ['admin', 'operator'], expiresIn: '30m' },
    });
  });

  it.each([
    [[], '--role is required'],
    [['--role', 'root'], 'unknown role "root"'],
    [['--role', 'admin', '--tenant', 'a/b'], 'invalid tenant id "a/b"'],
    [['--role', 'admin', '--expires', 'forever'], '--expires takes'],
    [['--role'], '--role needs a value'],
    [['--rol', 'admin'], 'unknown option --rol'],
  ])('refuses %j naming what is wrong', (argv, error) => {
    expect(parseDevTokenArgs(argv)).toEqual({ ok: false, error: expect.stringContaining(error) });
  });
});
