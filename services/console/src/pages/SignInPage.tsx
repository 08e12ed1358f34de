import { useEffect, useState } from 'react';
import { devSignIn } from '../api/api-client';
import { describeApiError, type UserFacingError } from '../api/api-error';
import type { OidcSettings } from '../auth/oidc';
import { ErrorNotice } from '../ui/components';

/**
 * Sign-in at the identity provider (OpenID Connect, when the service names one), development
 * sign-in (buttons for the demo roles, when the service offers them) or a token pasted from
 * the identity provider. Tokens are kept in memory only.
 */
export function SignInPage({
  onToken,
  oidc,
  onOidcSignIn,
  notice,
}: {
  onToken: (token: string) => void;
  oidc?: OidcSettings;
  onOidcSignIn: () => Promise<void>;
  /** Why the user is here again: the session ended, a sign-in failed. */
  notice?: string;
}) {
  const [offer, setOffer] = useState<{ tenant: string; roles: string[] } | null>();
  const [tenant, setTenant] = useState('demo');
  const [pasted, setPasted] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserFacingError>();

  useEffect(() => {
    void devSignIn.available().then((available) => {
      setOffer(available ?? null);
      if (available) setTenant(available.tenant);
    });
  }, []);

  const signInAs = async (role: string) => {
    if (busy) return;
    setBusy(true);
    try {
      onToken(await devSignIn.token(role, tenant.trim() || 'demo'));
    } catch (thrown) {
      setError(describeApiError(thrown));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>opcfleet console</h1>
      {notice && (
        <p className="error" role="alert">
          {notice}
        </p>
      )}
      {oidc && (
        <section aria-labelledby="oidc-sign-in">
          <h2 id="oidc-sign-in">Sign in with your organisation&apos;s account</h2>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              // On success the browser leaves for the provider; on failure App says why.
              void onOidcSignIn().finally(() => setBusy(false));
            }}
          >
            Sign in at {new URL(oidc.issuer).host}
          </button>
        </section>
      )}
      {offer && (
        <section aria-labelledby="dev-sign-in">
          <h2 id="dev-sign-in">Development sign-in</h2>
          <p>This service runs on its embedded development key: pick a role.</p>
          <div className="field">
            <label htmlFor="tenant">Tenant</label>
            <input id="tenant" value={tenant} onChange={(e) => setTenant(e.target.value)} />
          </div>
          <div className="actions">
            {offer.roles.map((role) => (
              <button key={role} type="button" disabled={busy} onClick={() => void signInAs(role)}>
                {tenant.trim() === offer.tenant ? `demo ${role}` : `${role} of ${tenant}`}
              </button>
            ))}
          </div>
        </section>
      )}
      <section aria-labelledby="token-sign-in">
        <h2 id="token-sign-in">Sign in with a token</h2>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (pasted.trim()) onToken(pasted.trim());
          }}
        >
          <div className="field">
            <label htmlFor="token">Bearer token (JWT) from your identity provider</label>
            <textarea
              id="token"
              rows={3}
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
            />
          </div>
          <button type="submit">Sign in</button>
        </form>
      </section>
      <ErrorNotice error={error} />
    </main>
  );
}
