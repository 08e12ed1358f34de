import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiClient, consoleSettings } from './api/api-client';
import type { JobView, RolloutSummary } from './api/types';
import type { OidcSettings } from './auth/oidc';
import { readTokenClaims, type TokenClaims } from './auth/token-claims';
import { ChangeStream } from './live/change-stream';
import { FleetPage } from './pages/FleetPage';
import { OverviewPage } from './pages/OverviewPage';
import { SignInPage } from './pages/SignInPage';
import { hrefOf, useRoute, type Route } from './router';
import { SessionContext, useConnectionState, type Session } from './session';
import { may } from './auth/permissions';

// OpenID Connect sign-in: loaded only where the service names a provider.
const oidcSession = () => import('./auth/oidc-session');

// Pages with forms carry the contracts' schemas (zod): loaded when first opened, so the
// first paint (sign-in, overview, fleet) does not wait for them.
const ClientPage = lazy(() =>
  import('./pages/ClientPage').then((m) => ({ default: m.ClientPage })),
);
const JobPage = lazy(() => import('./pages/JobPage').then((m) => ({ default: m.JobPage })));
const AlertsPage = lazy(() =>
  import('./pages/AlertsPage').then((m) => ({ default: m.AlertsPage })),
);
const AuditPage = lazy(() => import('./pages/AuditPage').then((m) => ({ default: m.AuditPage })));
const ReleasesPage = lazy(() =>
  import('./pages/ReleasesPage').then((m) => ({ default: m.ReleasesPage })),
);
const ReleasePage = lazy(() =>
  import('./pages/ReleasesPage').then((m) => ({ default: m.ReleasePage })),
);
const RolloutsPage = lazy(() =>
  import('./pages/RolloutsPage').then((m) => ({ default: m.RolloutsPage })),
);
const RolloutPage = lazy(() =>
  import('./pages/RolloutsPage').then((m) => ({ default: m.RolloutPage })),
);

/** Who is signed in: the current token (OIDC refreshes it), what it says, how to end it. */
interface SignedIn {
  token: () => string;
  /** The token to send now: OIDC refreshes it first when it is about to expire. */
  tokenForRequest?: () => Promise<string>;
  claims: TokenClaims;
  /** Drops the tokens; where to go to end the identity provider's session too, if anywhere. */
  end: () => string | undefined;
}

/**
 * The console: sign in (OpenID Connect, development sign-in or a pasted token; tokens in
 * memory only), then the pages with a live connection.
 */
export function App() {
  const [signedIn, setSignedIn] = useState<SignedIn>();
  const [settings, setSettings] = useState<{ oidc?: OidcSettings }>();
  const [ended, setEnded] = useState<string>();
  const finishing = useRef<Promise<unknown>>();
  // The provider's redirect carries ?code= (or ?error=): say so rather than offer sign-in again.
  const [completing, setCompleting] = useState(() =>
    /[?&](code|error)=/.test(window.location.search),
  );

  const signInWith = useCallback((token: string) => {
    const claims = readTokenClaims(token);
    if (!claims) {
      setEnded('That is not a token of a tenant.');
      return;
    }
    setEnded(undefined);
    setSignedIn({ token: () => token, claims, end: () => undefined });
  }, []);

  // The service's sign-in settings; then, if this load is the provider's redirect, the end of
  // an OpenID Connect sign-in (once: the code and the pending state are single-use).
  useEffect(() => {
    void consoleSettings()
      .catch((): { oidc?: OidcSettings } => ({}))
      .then((loaded) => {
        setSettings(loaded);
        if (finishing.current) return;
        if (!loaded.oidc) {
          setCompleting(false);
          return;
        }
        const settings = loaded.oidc;
        const onEnded = (reason: string) => {
          setSignedIn(undefined);
          setEnded(reason);
        };
        finishing.current = oidcSession()
          .then(({ finishOidcSignIn }) => finishOidcSignIn(settings, onEnded))
          .then(
            (oidc) => {
              if (!oidc) return;
              const claims = readTokenClaims(oidc.accessToken);
              if (!claims) {
                oidc.end();
                setEnded(
                  'The identity provider gave a token without a tenant: ask its administrator.',
                );
                return;
              }
              setSignedIn({
                token: () => oidc.accessToken,
                tokenForRequest: () => oidc.freshAccessToken(),
                claims,
                end: () => oidc.end(),
              });
            },
            (error: unknown) => setEnded(`Sign-in failed: ${(error as Error).message}`),
          )
          .finally(() => setCompleting(false));
      });
  }, []);

  const signOut = useCallback(() => {
    const endSession = signedIn?.end();
    setSignedIn(undefined);
    if (endSession) window.location.assign(endSession);
  }, [signedIn]);
  const sessionEnded = useCallback(() => {
    signedIn?.end();
    setSignedIn(undefined);
    setEnded('Your session has ended. Sign in again.');
  }, [signedIn]);

  const session = useMemo((): Session | undefined => {
    if (!signedIn) return undefined;
    const { claims } = signedIn;
    const api = new ApiClient(signedIn.token, undefined, signedIn.tokenForRequest);
    return {
      api,
      claims,
      jobChanges: new ChangeStream<JobView>({ url: () => api.changesUrl('jobs'), event: 'job' }),
      rolloutChanges: new ChangeStream<RolloutSummary>({
        url: () => api.changesUrl('rollouts'),
        event: 'rollout',
      }),
      may: (action) => may(claims.roles, action),
      signOut,
      sessionEnded,
    };
  }, [signedIn, signOut, sessionEnded]);
  useEffect(() => {
    const streams = session ? [session.jobChanges, session.rolloutChanges] : [];
    for (const stream of streams) stream.start();
    return () => streams.forEach((stream) => stream.stop());
  }, [session]);

  if (!session && completing) {
    return (
      <main className="sign-in" aria-busy="true">
        <h1>opcfleet console</h1>
        <p>Signing in…</p>
      </main>
    );
  }
  if (!session) {
    return (
      <SignInPage
        onToken={signInWith}
        oidc={settings?.oidc}
        notice={ended}
        onOidcSignIn={() =>
          oidcSession()
            .then(({ startOidcSignIn }) => startOidcSignIn(settings!.oidc!))
            .catch((error: unknown) => setEnded(`Sign-in failed: ${(error as Error).message}`))
        }
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Shell />
    </SessionContext.Provider>
  );
}

function Shell() {
  const route = useRoute();
  return (
    <>
      <Header route={route} />
      <ConnectionBanner />
      <Suspense fallback={<main aria-busy="true">Loading…</main>}>
        <Page key={JSON.stringify(route)} route={route} />
      </Suspense>
    </>
  );
}

function Header({ route }: { route: Route }) {
  return (
    <SessionContext.Consumer>
      {(session) => (
        <header className="top">
          <nav aria-label="Main">
            <a
              href={hrefOf.overview()}
              aria-current={route.page === 'overview' ? 'page' : undefined}
            >
              Overview
            </a>
            <a href={hrefOf.fleet()} aria-current={route.page === 'fleet' ? 'page' : undefined}>
              Fleet
            </a>
            <a
              href={hrefOf.releases()}
              aria-current={
                route.page === 'releases' || route.page === 'release' ? 'page' : undefined
              }
            >
              Releases
            </a>
            <a
              href={hrefOf.rollouts()}
              aria-current={route.page === 'rollouts' ? 'page' : undefined}
            >
              Rollouts
            </a>
            {session!.may('audit') && (
              <a href={hrefOf.alerts()} aria-current={route.page === 'alerts' ? 'page' : undefined}>
                Alerts
              </a>
            )}
            {session!.may('audit') && (
              <a href={hrefOf.audit()} aria-current={route.page === 'audit' ? 'page' : undefined}>
                Audit
              </a>
            )}
          </nav>
          <p className="who" data-testid="who">
            {session!.claims.subject} · tenant {session!.claims.tenant} ·{' '}
            {session!.claims.roles.join(', ')}
          </p>
          <button type="button" onClick={session!.signOut}>
            Sign out
          </button>
        </header>
      )}
    </SessionContext.Consumer>
  );
}

function ConnectionBanner() {
  const state = useConnectionState();
  if (state !== 'lost') return null;
  return (
    <p className="banner" role="alert">
      Connection to the service lost: reconnecting. Pages refresh every few seconds meanwhile.
    </p>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'client':
      return <ClientPage clientId={route.clientId} />;
    case 'job':
      return <JobPage jobId={route.jobId} />;
    case 'alerts':
      return <AlertsPage />;
    case 'audit':
      return <AuditPage filter={route.filter} />;
    case 'releases':
      return <ReleasesPage />;
    case 'release':
      return <ReleasePage releaseId={route.releaseId} />;
    case 'rollouts':
      return <RolloutsPage clientIds={route.clientIds} />;
    case 'rollout':
      return <RolloutPage rolloutId={route.rolloutId} />;
    case 'fleet':
      return <FleetPage status={route.status} label={route.label} />;
    default:
      return <OverviewPage />;
  }
}
