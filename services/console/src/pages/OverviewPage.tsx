import { hrefOf } from '../router';
import { useJobChanges, useLoaded, useSession, useThrottled } from '../session';
import { clientStatusText } from '../ui/client-status';
import { ErrorNotice, formatTime } from '../ui/components';

/** What an operator opens first: the fleet in numbers, each a link to the list behind it. */
export function OverviewPage() {
  const { api } = useSession();
  const overview = useLoaded(() => api.getOverview(), [api]);
  useJobChanges(useThrottled(overview.refresh, 1000));
  const view = overview.value;
  return (
    <main>
      <h1>Overview</h1>
      <ErrorNotice error={overview.error} />
      {view && (
        <>
          <section aria-labelledby="fleet-numbers" className="cards">
            <h2 id="fleet-numbers">Fleet</h2>
            <p>
              <a href={hrefOf.fleet()}>
                <strong data-testid="clients-total">{view.clients}</strong> clients
              </a>{' '}
              · <a href={hrefOf.fleet({ status: 'Offline' })}>{view.offline} offline</a> ·{' '}
              {view.jobsInFlight} jobs in flight
            </p>
            <h3>By status</h3>
            <ul>
              {view.byStatus.map(({ key, count }) => (
                <li key={key}>
                  <a href={hrefOf.fleet({ status: key })}>
                    {clientStatusText({ status: key as never })}: {count}
                  </a>
                </li>
              ))}
            </ul>
            <h3>By running version</h3>
            <ul>
              {view.byVersion.map(({ key, count }) => (
                <li key={key}>
                  {key}: {count}
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="failures">
            <h2 id="failures">Failures of the last 24 hours</h2>
            {view.failures.length === 0 ? (
              <p>None.</p>
            ) : (
              <ul>
                {view.failures.map((failure) => (
                  <li key={failure.jobId}>
                    <a href={hrefOf.job(failure.jobId)}>
                      {failure.clientId}: {failure.kind} {failure.status}
                    </a>
                    {failure.phase ? ` in ${failure.phase}` : ''}
                    {failure.reason ? `: ${failure.reason}` : ''} ({formatTime(failure.finishedAt)})
                  </li>
                ))}
              </ul>
            )}
          </section>
          <p>
            <a href={hrefOf.rollouts()}>Rollouts</a>
          </p>
        </>
      )}
    </main>
  );
}
