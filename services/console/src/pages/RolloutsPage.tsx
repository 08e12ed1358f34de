import { useEffect, useState } from 'react';
import { describeApiError } from '../api/api-error';
import type { RolloutRequest } from '../api/api-client';
import { parseLabels } from '../forms/labels';
import {
  countMatchingClients,
  labelFilter,
  matchingText,
  type MatchingClients,
} from '../forms/matching-clients';
import { toUpdateRequest } from '../forms/update-form';
import { hrefOf } from '../router';
import { useAction, useJobChanges, useLoaded, useMay, useSession, useThrottled } from '../session';
import { ErrorNotice, Field, formatTime } from '../ui/components';

/** Rollouts, newest first, and the form that starts one (admin). */
export function RolloutsPage({ clientIds }: { clientIds?: string[] }) {
  const { api } = useSession();
  const rollouts = useLoaded(() => api.listRollouts(), [api]);
  useJobChanges(useThrottled(rollouts.refresh, 500));
  return (
    <main>
      <h1>Rollouts</h1>
      <ErrorNotice error={rollouts.error} />
      <table aria-label="Rollouts">
        <thead>
          <tr>
            <th scope="col">Rollout</th>
            <th scope="col">Status</th>
            <th scope="col">Target</th>
            <th scope="col">Progress</th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {rollouts.value?.map((rollout) => (
            <tr key={rollout.rolloutId}>
              <td>
                <a href={hrefOf.rollout(rollout.rolloutId)}>{rollout.rolloutId.slice(0, 8)}</a>
              </td>
              <td>{rollout.status}</td>
              <td>{rollout.targetVersion}</td>
              <td>
                <progress
                  max={100}
                  value={rollout.percentDone}
                  aria-label={`Rollout ${rollout.rolloutId.slice(0, 8)} progress`}
                />{' '}
                {rollout.percentDone}% ({rollout.counts.succeeded} ok, {rollout.counts.failed}{' '}
                failed)
              </td>
              <td>{formatTime(rollout.startedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rollouts.value?.length === 0 && <p>No rollouts yet.</p>}
      {useMay('startRollout') && <StartRolloutForm selected={clientIds} />}
    </main>
  );
}

function StartRolloutForm({ selected }: { selected?: string[] }) {
  const { api } = useSession();
  const action = useAction();
  const [image, setImage] = useState('');
  const [targetVersion, setTargetVersion] = useState('');
  const [targets, setTargets] = useState<'labels' | 'clients'>(selected ? 'clients' : 'labels');
  const [labels, setLabels] = useState('');
  const [clientIds, setClientIds] = useState(selected?.join(', ') ?? '');
  const [batchSize, setBatchSize] = useState('10');
  const [maxFailures, setMaxFailures] = useState('0');
  const [confirming, setConfirming] = useState(false);
  const update = toUpdateRequest({ image, targetVersion, imageDigest: '' });
  const parsedLabels = parseLabels(labels);
  const ids = clientIds.split(/[\s,]+/).filter(Boolean);
  const targetError =
    targets === 'labels'
      ? !parsedLabels.ok
        ? parsedLabels.error
        : Object.keys(parsedLabels.labels).length === 0
          ? 'name at least one label'
          : undefined
      : ids.length === 0
        ? 'name at least one client'
        : undefined;
  const valid = update.ok && !targetError;
  const request: RolloutRequest | undefined =
    update.ok && !targetError
      ? {
          ...update.request,
          ...(targets === 'labels' && parsedLabels.ok
            ? { labels: parsedLabels.labels }
            : { clientIds: ids }),
          batchSize: Number(batchSize),
          maxFailures: Number(maxFailures),
        }
      : undefined;
  const updateErrors = update.ok ? {} : update.errors;
  const matching = useMatchingClients(
    targets === 'labels' && parsedLabels.ok && Object.keys(parsedLabels.labels).length > 0
      ? labelFilter(parsedLabels.labels)
      : undefined,
  );

  return (
    <section aria-labelledby="start-rollout">
      <h2 id="start-rollout">Start a rollout</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!request) return;
          if (!confirming) {
            setConfirming(true);
            return;
          }
          void action
            .run(() => api.startRollout(request))
            .then((done) => {
              if (done) window.location.hash = hrefOf.rollout(done.value.rolloutId);
            });
        }}
      >
        <Field id="rollout-image" label="Image" error={image ? updateErrors.image : undefined}>
          {(props) => (
            <input
              {...props}
              value={image}
              onChange={(e) => (setImage(e.target.value), setConfirming(false))}
            />
          )}
        </Field>
        <Field
          id="rollout-version"
          label="Version"
          error={targetVersion ? updateErrors.targetVersion : undefined}
        >
          {(props) => (
            <input
              {...props}
              value={targetVersion}
              onChange={(e) => (setTargetVersion(e.target.value), setConfirming(false))}
            />
          )}
        </Field>
        <Field id="rollout-targets" label="Targets">
          {(props) => (
            <select
              {...props}
              value={targets}
              onChange={(e) => (
                setTargets(e.target.value as 'labels' | 'clients'),
                setConfirming(false)
              )}
            >
              <option value="labels">clients with labels</option>
              <option value="clients">these clients</option>
            </select>
          )}
        </Field>
        {targets === 'labels' ? (
          <Field
            id="rollout-labels"
            label="Labels (key=value, comma separated)"
            error={labels ? targetError : undefined}
          >
            {(props) => (
              <input
                {...props}
                value={labels}
                onChange={(e) => (setLabels(e.target.value), setConfirming(false))}
              />
            )}
          </Field>
        ) : (
          <Field
            id="rollout-clients"
            label="Client ids (comma separated)"
            error={clientIds ? targetError : undefined}
          >
            {(props) => (
              <input
                {...props}
                value={clientIds}
                onChange={(e) => (setClientIds(e.target.value), setConfirming(false))}
              />
            )}
          </Field>
        )}
        {targets === 'labels' && (
          <p className="muted" data-testid="rollout-matches" aria-live="polite">
            {matching.text}
          </p>
        )}
        <Field id="rollout-batch" label="Jobs in flight at once">
          {(props) => (
            <input
              {...props}
              inputMode="numeric"
              value={batchSize}
              onChange={(e) => setBatchSize(e.target.value)}
            />
          )}
        </Field>
        <Field id="rollout-failures" label="Failures before it halts">
          {(props) => (
            <input
              {...props}
              inputMode="numeric"
              value={maxFailures}
              onChange={(e) => setMaxFailures(e.target.value)}
            />
          )}
        </Field>
        {confirming && request && (
          <p className="confirm" role="status">
            This updates{' '}
            {request.labels
              ? `every client labelled ${labels}${matching.matching ? ` (${matchingText(matching.matching)} at the moment)` : ''}`
              : `${ids.length} client(s)`}{' '}
            to {request.targetVersion} ({request.image}), {request.batchSize} at a time, and halts
            after {Number(request.maxFailures) + 1} failure(s). Press Start rollout again to
            confirm.
          </p>
        )}
        <button type="submit" disabled={!valid || action.busy}>
          {confirming ? 'Start rollout' : 'Review rollout'}
        </button>
        <ErrorNotice error={action.error} />
      </form>
    </section>
  );
}

/** Wait this long after the last keystroke before counting the clients the labels match. */
const MATCH_DEBOUNCE_MS = 300;

/**
 * The clients `filter` (labels as `key=value`) matches, counted with the list API while the
 * user types: once the typing pauses, and anew, the old count dropped, at each change.
 */
function useMatchingClients(filter: string[] | undefined): {
  text: string;
  matching?: MatchingClients;
} {
  const { api } = useSession();
  const [state, setState] = useState<{ text: string; matching?: MatchingClients }>({ text: '' });
  const key = filter?.join('&');
  useEffect(() => {
    if (!filter) {
      setState({ text: 'Name labels to see the clients they match.' });
      return;
    }
    setState({ text: 'Counting the matching clients…' });
    const controller = new AbortController();
    const timer = setTimeout(() => {
      countMatchingClients(
        (cursor) => api.listClients({ label: filter, limit: 200, cursor }, controller.signal),
        (matching) => setState({ text: `Matches ${matchingText(matching)}`, matching }),
        () => controller.signal.aborted,
      ).catch((thrown: unknown) => {
        if (!controller.signal.aborted) {
          setState({
            text: `Cannot count the matching clients: ${describeApiError(thrown).message}`,
          });
        }
      });
    }, MATCH_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, key]);
  return state;
}

/** One rollout: progress, every client's outcome, cancel. */
export function RolloutPage({ rolloutId }: { rolloutId: string }) {
  const { api } = useSession();
  const rollout = useLoaded(() => api.getRollout(rolloutId), [api, rolloutId]);
  useJobChanges(useThrottled(rollout.refresh, 300));
  const cancel = useAction();
  const mayCancel = useMay('cancelRollout');
  const view = rollout.value;
  return (
    <main>
      <h1>
        Rollout <code>{rolloutId}</code>
      </h1>
      <ErrorNotice error={rollout.error} />
      {view && (
        <>
          <p data-testid="rollout-status">
            {view.status}: {view.percentDone}% done · {view.counts.succeeded} succeeded ·{' '}
            {view.counts.failed} failed · {view.counts.inFlight} in flight · {view.counts.pending}{' '}
            waiting · {view.counts.skipped} skipped
            {view.haltReason ? ` · halted: ${view.haltReason}` : ''}
          </p>
          <progress max={100} value={view.percentDone} aria-label="Rollout progress" />
          <p>
            {view.targetVersion} ({view.image}), {view.batchSize} at a time, at most{' '}
            {view.maxFailures} failure(s).
          </p>
          {view.status === 'Running' && mayCancel && (
            <p>
              <button
                type="button"
                disabled={cancel.busy}
                onClick={() =>
                  void cancel.run(() => api.cancelRollout(rolloutId)).then(rollout.refresh)
                }
              >
                Cancel rollout
              </button>
              <ErrorNotice error={cancel.error} />
            </p>
          )}
          <table aria-label="Clients of the rollout">
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {view.clients.map((client) => (
                <tr key={client.clientId}>
                  <td>
                    <a href={hrefOf.client(client.clientId)}>{client.clientId}</a>
                  </td>
                  <td>
                    {client.jobId ? (
                      <a href={hrefOf.job(client.jobId)}>{client.outcome ?? 'in flight'}</a>
                    ) : client.skipped ? (
                      `skipped: ${client.skipped.reason}`
                    ) : (
                      'waiting'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </main>
  );
}
