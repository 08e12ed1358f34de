import { may } from './permissions';
import { readTokenClaims } from './token-claims';

describe('what each role may do in the console', () => {
  it('gives an auditor no action, an operator configuration only, an admin everything', () => {
    const actions = ['update', 'configure', 'startRollout', 'registerClient'] as const;
    expect(actions.filter((action) => may(['auditor'], action))).toEqual([]);
    expect(actions.filter((action) => may(['operator'], action))).toEqual(['configure']);
    expect(actions.filter((action) => may(['admin'], action))).toEqual([...actions]);
  });

  it('gives the audit trail and the delivery log to admins and auditors, webhooks to admins', () => {
    expect(['admin', 'operator', 'auditor'].filter((role) => may([role], 'audit'))).toEqual([
      'admin',
      'auditor',
    ]);
    expect(['admin', 'operator', 'auditor'].filter((role) => may([role], 'manageAlerts'))).toEqual([
      'admin',
    ]);
  });
});

describe('token claims', () => {
  const tokenWith = (claims: object) =>
    `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

  it('reads tenant, subject, roles (array or space separated) and expiry', () => {
    expect(
      readTokenClaims(tokenWith({ sub: 'ann', tenant: 't', roles: 'admin auditor', exp: 10 })),
    ).toEqual({
      subject: 'ann',
      tenant: 't',
      roles: ['admin', 'auditor'],
      expiresAt: new Date(10_000),
    });
  });

  it('maps roles as the service does: separated by commas too, unknown ones dropped', () => {
    expect(
      readTokenClaims(tokenWith({ sub: 'bo', tenant: 't', roles: 'operator,root, auditor' }))
        ?.roles,
    ).toEqual(['operator', 'auditor']);
    expect(
      readTokenClaims(tokenWith({ sub: 'bo', tenant: 't', roles: ['admin', 7, 'owner'] }))?.roles,
    ).toEqual(['admin']);
  });

  it('refuses what is not a token of a tenant', () => {
    expect(readTokenClaims('garbage')).toBeUndefined();
    expect(readTokenClaims(tokenWith({ sub: 'x' }))).toBeUndefined();
  });
});
