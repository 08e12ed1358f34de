import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { ApiClient } from './api/api-client';
import { readTokenClaims } from './auth/token-claims';
import { JobChangeStream } from './live/job-change-stream';
import { FleetPage } from './pages/FleetPage';
import { OverviewPage } from './pages/OverviewPage';
import { SignInPage } from './pages/SignInPage';
import { hrefOf, useRoute, type Route } from './router';
import { SessionContext, useConnectionState, type Session } from './session';
import { may } from './auth/permissions';

// Pages with forms carry the contracts' schemas (zod): loaded when first opened, so the
// first paint (sign-in, overview, fleet) does not wait for them.
const ClientPage = lazy(() =>
  import('./pages/ClientPage').then((m) => ({ default: m.ClientPage })),
);
const JobPage = lazy(() => import('./pages/JobPage').then((m) => ({ default: m.JobPage })));
const RolloutsPage = lazy(() =>
  import('./pages/RolloutsPage').then((m) => ({ default: m.RolloutsPage })),
);
const RolloutPage = lazy(() =>
  import('./pages/RolloutsPage').then((m) => ({ default: m.RolloutPage })),
);

/** The console: sign in (token in memory only), then the pages with a live connection. */
export function App() {
  const [token, setToken] = useState<string>();
  const signOut = useCallback(() => setToken(undefined), []);
  const session = useMemo((): Session | undefined => {
    const claims = token ? readTokenClaims(token) : undefined;
    if (!token || !claims) return undefined;
    const api = new ApiClient(token);
    return {
      api,
      claims,
      changes: new JobChangeStream({ url: api.jobChangesUrl() }),
      may: (action) => may(claims.roles, action),
      signOut,
    };
  }, [token, signOut]);
  useEffect(() => {
    session?.changes.start();
    return () => session?.changes.stop();
  }, [session]);

  if (!session) return <SignInPage onToken={setToken} />;
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
              href={hrefOf.rollouts()}
              aria-current={route.page === 'rollouts' ? 'page' : undefined}
            >
              Rollouts
            </a>
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
