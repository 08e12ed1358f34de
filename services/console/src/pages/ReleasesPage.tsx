import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReleaseFilter } from '../api/api-client';
import { describeApiError, type UserFacingError } from '../api/api-error';
import {
  RELEASE_CLIENT_STATES,
  type Release,
  type ReleaseClient,
  type ReleaseClientState,
} from '../api/types';
import {
  EMPTY_RELEASE_FORM,
  serverFieldErrors,
  toReleaseRequest,
  type ReleaseFormValues,
} from '../forms/release-form';
import { hrefOf } from '../router';
import { useAction, useJobChanges, useLoaded, useMay, useSession, useThrottled } from '../session';
import { ErrorNotice, Field, formatTime } from '../ui/components';
import {
  RELEASE_CLIENT_STATE_TEXT,
  afterWithdrawal,
  appendPage,
  constraintsText,
  imageAtDigest,
  releaseFilter,
  type WithdrawnChoice,
} from './release-list';

/** Releases per page of the catalogue, and clients per page of a release. */
const PAGE_SIZE = 50;

/** The release catalogue, newest first; admins register and withdraw releases. */
export function ReleasesPage() {
  const [product, setProduct] = useState('');
  const [withdrawn, setWithdrawn] = useState<WithdrawnChoice>('');
  const filter = releaseFilter(product, withdrawn);
  const catalogue = useCatalogue(filter);
  const mayWithdraw = useMay('withdrawRelease');
  const mayRegister = useMay('registerRelease');

  return (
    <main>
      <h1>Releases</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter releases">
        <Field
          id="release-product-filter"
          label="Product"
          error={filter ? undefined : 'letters, digits, ".", "_" or "-"'}
        >
          {(props) => (
            <input
              {...props}
              value={product}
              placeholder="opc-core"
              onChange={(e) => setProduct(e.target.value)}
            />
          )}
        </Field>
        <Field id="release-withdrawn-filter" label="Withdrawn">
          {(props) => (
            <select
              {...props}
              value={withdrawn}
              onChange={(e) => setWithdrawn(e.target.value as WithdrawnChoice)}
            >
              <option value="">any</option>
              <option value="false">installable only</option>
              <option value="true">withdrawn only</option>
            </select>
          )}
        </Field>
      </form>
      <ErrorNotice error={catalogue.error} />
      <table aria-label="Releases">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Version</th>
            <th scope="col">Image</th>
            <th scope="col">Registered</th>
            <th scope="col">Withdrawn</th>
            {mayWithdraw && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {catalogue.rows.map((release) => {
            const image = imageAtDigest(release);
            return (
              <tr key={release.releaseId}>
                <td>{release.product}</td>
                <td>
                  <a href={hrefOf.release(release.releaseId)}>{release.version}</a>
                </td>
                <td>
                  <code title={image.full}>{image.short}</code>
                </td>
                <td>{formatTime(release.registeredAt)}</td>
                <td>
                  {release.withdrawn
                    ? `withdrawn ${formatTime(release.withdrawn.at)}: ${release.withdrawn.reason}`
                    : 'no'}
                </td>
                {mayWithdraw && (
                  <td>
                    {!release.withdrawn && (
                      <WithdrawControl release={release} onWithdrawn={catalogue.withdrawn} />
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {catalogue.loaded && catalogue.rows.length === 0 && <p>No releases.</p>}
      {catalogue.next && (
        <button type="button" disabled={catalogue.busy} onClick={catalogue.loadMore}>
          Load more releases
        </button>
      )}
      {mayRegister && <RegisterReleaseForm onRegistered={catalogue.reload} />}
    </main>
  );
}

/**
 * The catalogue's pages under `filter`: the first, then the next on request. A filter that
 * changes starts over; answers to an earlier filter are dropped.
 */
function useCatalogue(filter: ReleaseFilter | undefined) {
  const { api, sessionEnded } = useSession();
  const [state, setState] = useState<{ rows: Release[]; next?: string; loaded: boolean }>({
    rows: [],
    loaded: false,
  });
  const [error, setError] = useState<UserFacingError>();
  const [busy, setBusy] = useState(false);
  const generation = useRef(0);
  const key = filter ? JSON.stringify(filter) : undefined;
  const load = useCallback(
    async (after?: { cursor: string; rows: Release[] }) => {
      if (!filter) return;
      const mine = after ? generation.current : ++generation.current;
      setBusy(true);
      try {
        const page = await api.listReleases({
          ...filter,
          limit: PAGE_SIZE,
          ...(after && { cursor: after.cursor }),
        });
        if (mine !== generation.current) return;
        setState({
          rows: appendPage(after?.rows ?? [], page.items, (release) => release.releaseId),
          next: page.nextCursor,
          loaded: true,
        });
        setError(undefined);
      } catch (thrown) {
        if (mine !== generation.current) return;
        const described = describeApiError(thrown);
        if (described.signedOut) sessionEnded();
        setError(described);
      } finally {
        if (mine === generation.current) setBusy(false);
      }
    },
    [api, key, sessionEnded],
  );
  useEffect(() => {
    void load();
  }, [load]);
  return {
    ...state,
    error,
    busy,
    reload: () => void load(),
    loadMore: () => {
      if (state.next) void load({ cursor: state.next, rows: state.rows });
    },
    /** A release just withdrawn: its row says so (or leaves a list of installable ones). */
    withdrawn: (release: Release) =>
      setState((now) => ({ ...now, rows: afterWithdrawal(now.rows, release, filter ?? {}) })),
  };
}

/** "Withdraw", then the reason asked for, then the withdrawal. */
function WithdrawControl({
  release,
  onWithdrawn,
}: {
  release: Release;
  onWithdrawn: (release: Release) => void;
}) {
  const { api } = useSession();
  const action = useAction();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const name = `${release.product} ${release.version}`;
  const id = `withdraw-${release.releaseId}`;
  if (!asking) {
    return (
      <button type="button" aria-label={`Withdraw ${name}`} onClick={() => setAsking(true)}>
        Withdraw
      </button>
    );
  }
  const tooLong = reason.length > 500 ? 'at most 500 characters' : undefined;
  return (
    <form
      aria-label={`Withdraw ${name}`}
      onSubmit={(event) => {
        event.preventDefault();
        if (!reason.trim() || tooLong) return;
        void action
          .run(() => api.withdrawRelease(release.releaseId, reason.trim()))
          .then((done) => {
            if (!done) return;
            setAsking(false);
            onWithdrawn(done.value);
          });
      }}
    >
      <Field id={id} label={`Why withdraw ${name}?`} error={tooLong}>
        {(props) => (
          <input
            {...props}
            value={reason}
            placeholder="memory leak under load"
            onChange={(e) => setReason(e.target.value)}
          />
        )}
      </Field>
      <p className="hint">No new update or rollout may install it; clients running it keep it.</p>
      <button type="submit" disabled={action.busy || !reason.trim() || !!tooLong}>
        Withdraw release
      </button>
      <button type="button" onClick={() => (setAsking(false), action.clearError())}>
        Keep it
      </button>
      <ErrorNotice error={action.error} />
    </form>
  );
}

function RegisterReleaseForm({ onRegistered }: { onRegistered: () => void }) {
  const { api } = useSession();
  const action = useAction();
  const [values, setValues] = useState<ReleaseFormValues>(EMPTY_RELEASE_FORM);
  const [tried, setTried] = useState(false);
  const [registered, setRegistered] = useState<{ release: Release; created: boolean }>();
  const result = toReleaseRequest(values);
  const own = result.ok ? {} : result.errors;
  const server = serverFieldErrors(action.error?.fieldErrors);
  const shown = (field: keyof ReleaseFormValues) =>
    server[field] ?? (tried || values[field] !== '' ? own[field] : undefined);
  const unplaced = Object.entries(server).filter(([field]) => !(field in EMPTY_RELEASE_FORM));
  const set = (field: keyof ReleaseFormValues) => (value: string) => {
    action.clearError();
    setRegistered(undefined);
    setValues((now) => ({ ...now, [field]: value }));
  };
  const text = (field: keyof ReleaseFormValues, label: string, placeholder: string) => (
    <Field id={`release-${field}`} label={label} error={shown(field)}>
      {(props) => (
        <input
          {...props}
          value={values[field]}
          placeholder={placeholder}
          onChange={(e) => set(field)(e.target.value)}
        />
      )}
    </Field>
  );

  return (
    <section aria-labelledby="register-release">
      <h2 id="register-release">Register a release</h2>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          setTried(true);
          if (!result.ok) return;
          void action
            .run(() => api.registerRelease(result.request))
            .then((done) => {
              if (!done) return;
              setRegistered(done.value);
              setValues(EMPTY_RELEASE_FORM);
              setTried(false);
              onRegistered();
            });
        }}
      >
        <div className="row">
          {text('product', 'Product', 'opc-core')}
          {text('version', 'Version', '2.1.0')}
        </div>
        {text('image', 'Image', 'registry.example.com/opc-core:2.1.0')}
        {text('imageDigest', 'Digest', 'sha256:…')}
        <Field id="release-notes" label="Notes (plain text)" error={shown('notes')}>
          {(props) => (
            <textarea
              {...props}
              rows={3}
              value={values.notes}
              onChange={(e) => set('notes')(e.target.value)}
            />
          )}
        </Field>
        {text(
          'constraints',
          'Constraints: labels a client must carry (key=value, comma separated)',
          'site=plant-7',
        )}
        <button type="submit" disabled={action.busy}>
          Register release
        </button>
        {tried && !result.ok && (
          <p className="hint">Fix the fields marked above: nothing is sent until they are valid.</p>
        )}
        {unplaced.map(([field, message]) => (
          <p className="field-error" key={field}>
            {field}: {message}
          </p>
        ))}
        <ErrorNotice error={action.error} />
        {registered && (
          <p role="status">
            {registered.created
              ? 'Registered '
              : 'Registered before with this very content, nothing changed: '}
            <a href={hrefOf.release(registered.release.releaseId)}>
              {registered.release.product} {registered.release.version}
            </a>
          </p>
        )}
      </form>
    </section>
  );
}

/** One release: its document, and where its clients stand with it. */
export function ReleasePage({ releaseId }: { releaseId: string }) {
  const { api } = useSession();
  const release = useLoaded(() => api.getRelease(releaseId), [api, releaseId]);
  const mayWithdraw = useMay('withdrawRelease');
  const view = release.value;
  const image = view && imageAtDigest(view);
  return (
    <main>
      <h1>Release {view ? `${view.product} ${view.version}` : ''}</h1>
      <ErrorNotice error={release.error} />
      {view && image && (
        <>
          <dl className="facts" aria-label="Release facts">
            <dt>Product</dt>
            <dd>{view.product}</dd>
            <dt>Version</dt>
            <dd>{view.version}</dd>
            <dt>Image</dt>
            <dd>
              <code data-testid="release-image">{image.full}</code>
            </dd>
            <dt>Registered</dt>
            <dd>{formatTime(view.registeredAt)}</dd>
            <dt>Constraints</dt>
            <dd data-testid="release-constraints">
              {constraintsText(view.constraints) || 'none: any client may get it'}
            </dd>
            <dt>Withdrawn</dt>
            <dd data-testid="release-withdrawn">
              {view.withdrawn
                ? `${formatTime(view.withdrawn.at)}: ${view.withdrawn.reason}`
                : 'no: new updates may install it'}
            </dd>
          </dl>
          <h2>Notes</h2>
          {/* Text, never HTML: React escapes it, whatever markup the notes carry. */}
          {view.notes ? (
            <pre className="notes" data-testid="release-notes">
              {view.notes}
            </pre>
          ) : (
            <p className="muted">No notes.</p>
          )}
          {mayWithdraw && !view.withdrawn && (
            <WithdrawControl release={view} onWithdrawn={release.update} />
          )}
        </>
      )}
      <ReleaseClients releaseId={releaseId} />
    </main>
  );
}

/** The clients that run the release, are updating to it or failed to: live with the jobs. */
function ReleaseClients({ releaseId }: { releaseId: string }) {
  const { api } = useSession();
  const [state, setState] = useState<ReleaseClientState | ''>('');
  const first = useLoaded(
    () => api.listReleaseClients(releaseId, { limit: PAGE_SIZE, ...(state && { state }) }),
    [api, releaseId, state],
  );
  useJobChanges(useThrottled(first.refresh, 300));
  const [more, setMore] = useState<{ rows: ReleaseClient[]; next?: string }>({ rows: [] });
  const loading = useAction();
  useEffect(() => setMore({ rows: [] }), [releaseId, state]);
  const next = more.rows.length > 0 ? more.next : first.value?.nextCursor;
  // The first page goes on live; the pages after it keep what they showed when they loaded.
  const rows = appendPage(first.value?.items ?? [], more.rows, (client) => client.clientId);
  return (
    <section aria-labelledby="release-clients">
      <h2 id="release-clients">Clients</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter clients">
        <Field id="release-client-state" label="Where they stand">
          {(props) => (
            <select
              {...props}
              value={state}
              onChange={(e) => setState(e.target.value as ReleaseClientState | '')}
            >
              <option value="">all</option>
              {RELEASE_CLIENT_STATES.map((s) => (
                <option key={s} value={s}>
                  {RELEASE_CLIENT_STATE_TEXT[s]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <ErrorNotice error={first.error} />
      <table aria-label="Clients of the release">
        <thead>
          <tr>
            <th scope="col">Client</th>
            <th scope="col">Where it stands</th>
            <th scope="col">Latest job by this release</th>
            <th scope="col">Reports</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((client) => (
            <tr key={client.clientId}>
              <td>
                <a href={hrefOf.client(client.clientId)}>{client.clientId}</a>
              </td>
              <td>{RELEASE_CLIENT_STATE_TEXT[client.state]}</td>
              <td>
                <a href={hrefOf.job(client.jobId)}>{client.jobStatus}</a>
              </td>
              <td>{client.reportedVersion ?? '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {first.value && rows.length === 0 && (
        <p>No client runs it, is updating to it or failed to install it.</p>
      )}
      {next && (
        <button
          type="button"
          disabled={loading.busy}
          onClick={() =>
            void loading
              .run(() =>
                api.listReleaseClients(releaseId, {
                  limit: PAGE_SIZE,
                  cursor: next,
                  ...(state && { state }),
                }),
              )
              .then((done) => {
                if (done)
                  setMore({
                    rows: [...more.rows, ...done.value.items],
                    next: done.value.nextCursor,
                  });
              })
          }
        >
          Show more clients
        </button>
      )}
      <ErrorNotice error={loading.error} />
    </section>
  );
}
