import { useEffect, useRef, useState } from 'react';
import { describeApiError } from '../api/api-error';
import type { RolloutByReleaseRequest, RolloutRequest, RolloutSteer } from '../api/api-client';
import type { RolloutClient, RolloutStatus, RolloutSummary, RolloutView } from '../api/types';
import { parseLabels } from '../forms/labels';
import {
  countMatchingClients,
  labelFilter,
  matchingText,
  type MatchingClients,
} from '../forms/matching-clients';
import { toUpdateRequest } from '../forms/update-form';
import { hrefOf } from '../router';
import {
  useAction,
  useJobChanges,
  useLoaded,
  useMay,
  useRolloutChanges,
  useSession,
  useThrottled,
} from '../session';
import { ErrorNotice, Field, formatTime } from '../ui/components';
import { ReleaseSelect, useInstallableReleases } from '../ui/ReleaseSelect';
import { releaseOptionText } from './release-list';
import { isListRow, withChanges } from './rollout-list';

const PAUSE = { steer: 'pause', label: 'Pause' } as const;
const RESUME = { steer: 'resume', label: 'Resume' } as const;
const CANCEL = { steer: 'cancel', label: 'Cancel rollout' } as const;
const ROLL_BACK = { steer: 'roll-back', label: 'Roll failed clients back' } as const;

/** Rollouts, newest first, and the form that starts one (admin). */
export function RolloutsPage({ clientIds }: { clientIds?: string[] }) {
  const rollouts = useLiveRollouts();
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
              <td>{targetOf(rollout)}</td>
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

/**
 * The rollout list, each row replaced by its rollout's summary as the rollout stream brings it.
 * A change the rows cannot take (a rollout not listed, a summary short of a field a row shows,
 * a polling tick) reloads the list instead, once per burst (at most every 500 ms: a steady
 * stream of changes must not put the reload off for ever, as a debounce would).
 */
function useLiveRollouts() {
  const { api } = useSession();
  // The changes since the last load began: its answer may have been read before them.
  const sinceLoad = useRef(new Map<string, RolloutSummary>());
  const rollouts = useLoaded(async () => {
    const changes = (sinceLoad.current = new Map());
    return withChanges(await api.listRollouts(), changes.values());
  }, [api]);
  const reloadSoon = useThrottled(rollouts.refresh, 500);
  useRolloutChanges((change) => {
    if (!change || !isListRow(change)) return reloadSoon();
    sinceLoad.current.set(change.rolloutId, change);
    if (!rollouts.value?.some((row) => row.rolloutId === change.rolloutId)) return reloadSoon();
    rollouts.update((rows) => rows && withChanges(rows, [change]));
  });
  return rollouts;
}

function StartRolloutForm({ selected }: { selected?: string[] }) {
  const { api } = useSession();
  const action = useAction();
  const [way, setWay] = useState<'image' | 'release'>('image');
  const releases = useInstallableReleases();
  const [releaseId, setReleaseId] = useState('');
  const [allowDowngrade, setAllowDowngrade] = useState(false);
  const release = releases.value?.items.find((r) => r.releaseId === releaseId);
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
  // What the clients are updated to: a release of the catalogue, or an image and a version.
  const what =
    way === 'release'
      ? release && { releaseId: release.releaseId, ...(allowDowngrade && { allowDowngrade }) }
      : update.ok
        ? update.request
        : undefined;
  const valid = !!what && !targetError;
  const request: RolloutRequest | RolloutByReleaseRequest | undefined =
    what && !targetError
      ? {
          ...what,
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
            .run(() =>
              'releaseId' in request
                ? api.startRolloutByRelease(request)
                : api.startRollout(request),
            )
            .then((done) => {
              if (done) window.location.hash = hrefOf.rollout(done.value.rolloutId);
            });
        }}
      >
        <Field id="rollout-way" label="Update to">
          {(props) => (
            <select
              {...props}
              value={way}
              onChange={(e) => (
                setWay(e.target.value as 'image' | 'release'),
                setConfirming(false)
              )}
            >
              <option value="image">an image and a version</option>
              <option value="release">a release of the catalogue</option>
            </select>
          )}
        </Field>
        {way === 'release' ? (
          <div className="row">
            <ReleaseSelect
              id="rollout-release"
              releases={releases}
              value={releaseId}
              onChange={(id) => (setReleaseId(id), setConfirming(false))}
            />
            <div className="field checkbox">
              <label>
                <input
                  type="checkbox"
                  checked={allowDowngrade}
                  onChange={(e) => (setAllowDowngrade(e.target.checked), setConfirming(false))}
                />{' '}
                Allow downgrade
              </label>
            </div>
          </div>
        ) : (
          <>
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
          </>
        )}
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
            to{' '}
            {'releaseId' in request
              ? `release ${release ? releaseOptionText(release) : request.releaseId}`
              : `${request.targetVersion} (${request.image})`}
            , {request.batchSize} at a time, and halts after {Number(request.maxFailures) + 1}{' '}
            failure(s).
            {'releaseId' in request &&
              ` Clients without the labels it needs${request.allowDowngrade ? '' : ' or running a higher version'} are skipped.`}{' '}
            Press Start rollout again to confirm.
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

/** What a rollout brings: a version, or a configuration. */
const targetOf = (rollout: RolloutSummary) =>
  rollout.kind === 'config' ? `config v${rollout.configVersion}` : rollout.targetVersion;

/** What an admin may do to a rollout in each status (the server refuses the rest with 409). */
const STEERS: Record<RolloutStatus, { steer: RolloutSteer; label: string }[]> = {
  Running: [PAUSE, CANCEL],
  Soaking: [PAUSE, CANCEL],
  AwaitingApproval: [{ steer: 'approve', label: 'Approve next phase' }, PAUSE, CANCEL],
  Paused: [RESUME, ROLL_BACK, CANCEL],
  Halted: [RESUME, ROLL_BACK, CANCEL],
  RollingBack: [],
  Completed: [],
  Cancelled: [],
  RolledBack: [],
};

/** The steers of a rollout: a configuration has no earlier release to roll back to. */
const steersOf = (rollout: RolloutSummary) =>
  STEERS[rollout.status].filter(({ steer }) => steer !== 'roll-back' || rollout.kind === 'update');

/** One rollout: progress, its phases, every client's outcome, and the admin's controls. */
export function RolloutPage({ rolloutId }: { rolloutId: string }) {
  const { api } = useSession();
  const rollout = useLoaded(() => api.getRollout(rolloutId), [api, rolloutId]);
  const refreshSoon = useThrottled(rollout.refresh, 300);
  // Its status, phases and counts change with the rollout's own events (a pause, a soak's end,
  // an approval) as well as with its jobs; the targets' outcomes change with the jobs.
  useRolloutChanges((change) => {
    if (!change || change.rolloutId === rolloutId) refreshSoon();
  });
  useJobChanges(refreshSoon);
  const steering = useAction();
  const maySteer = useMay('steerRollout');
  const more = useMoreClients(rolloutId, rollout.value);
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
            {view.counts.retrying ? ` · ${view.counts.retrying} retrying` : ''}
            {view.counts.cancelled ? ` · ${view.counts.cancelled} cancelled` : ''}
            {view.haltReason ? ` · halted: ${view.haltReason}` : ''}
            {view.soakUntil ? ` · soaking until ${formatTime(view.soakUntil)}` : ''}
          </p>
          <progress max={100} value={view.percentDone} aria-label="Rollout progress" />
          <p>
            {targetOf(view)}
            {view.image ? ` (${view.image})` : ''}, at most {view.maxFailures} failure(s).
            {view.releaseId && (
              <>
                {' '}
                <a href={hrefOf.release(view.releaseId)}>The release it installs</a>
              </>
            )}
          </p>
          {view.rollback && (
            <p data-testid="rollout-rollback">
              Rolling back: {view.rollback.counts.succeeded} of {view.rollback.counts.total} back ·{' '}
              {view.rollback.counts.inFlight} in flight · {view.rollback.counts.failed} failed ·{' '}
              {view.rollback.counts.left} needed none
              {view.rollback.reason ? ` · ${view.rollback.reason}` : ''}
            </p>
          )}
          {maySteer && steersOf(view).length > 0 && (
            <p>
              {steersOf(view).map(({ steer, label }) => (
                <button
                  key={steer}
                  type="button"
                  disabled={steering.busy}
                  onClick={() =>
                    void steering
                      .run(() => api.steerRollout(rolloutId, steer))
                      .then(rollout.refresh)
                  }
                >
                  {label}
                </button>
              ))}
              <ErrorNotice error={steering.error} />
            </p>
          )}
          <h2>Phases</h2>
          <ol aria-label="Phases of the rollout" className="phases">
            {view.phases.map((phase, index) => (
              <li key={index} aria-current={index === view.currentPhase ? 'step' : undefined}>
                Phase {index + 1}: {phase.size} client(s), {phase.batchSize} at a time
                {phase.soakSeconds ? `, soak ${phase.soakSeconds} s` : ''}
                {phase.requiresApproval ? ', needs approval' : ''} · <strong>{phase.status}</strong>{' '}
                · {phase.counts.succeeded} succeeded, {phase.counts.failed} failed
              </li>
            ))}
          </ol>
          <table aria-label="Clients of the rollout">
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {[...view.clients, ...more.clients].map((client) => (
                <tr key={client.clientId}>
                  <td>
                    <a href={hrefOf.client(client.clientId)}>{client.clientId}</a>
                  </td>
                  <td>
                    {client.jobId ? (
                      <a href={hrefOf.job(client.jobId)}>{outcomeText(client)}</a>
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
          {more.next && (
            <button type="button" disabled={more.busy} onClick={() => void more.load()}>
              Show more clients
            </button>
          )}
        </>
      )}
    </main>
  );
}

function outcomeText(client: RolloutClient): string {
  if (client.state === 'retrying') return `retrying (attempt ${client.attempt ?? 2})`;
  const outcome = client.outcome ?? 'in flight';
  const back = client.rollback;
  if (!back) return outcome;
  return back.state === 'left'
    ? `${outcome}; not rolled back: ${back.reason}`
    : `${outcome}; roll-back to ${back.version}: ${back.state}`;
}

/**
 * The targets after the detail's first page, loaded on request. They keep what they showed
 * when they loaded while the first page goes on live (a rollout's entries only move forward).
 */
function useMoreClients(rolloutId: string, view: RolloutView | undefined) {
  const { api } = useSession();
  const [more, setMore] = useState<{ clients: RolloutClient[]; next?: string }>({ clients: [] });
  const [busy, setBusy] = useState(false);
  useEffect(() => setMore({ clients: [] }), [rolloutId]);
  const next = more.clients.length > 0 ? more.next : view?.clientsNextCursor;
  return {
    clients: more.clients,
    next,
    busy,
    async load() {
      if (!next) return;
      setBusy(true);
      try {
        const page = await api.listRolloutClients(rolloutId, next);
        setMore({ clients: [...more.clients, ...page.items], next: page.nextCursor });
      } finally {
        setBusy(false);
      }
    },
  };
}
