import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { describeApiError, type UserFacingError } from '../api/api-error';
import { CLIENT_STATUSES, type ClientView, type Page } from '../api/types';
import { hrefOf } from '../router';
import { useAction, useJobChanges, useMay, useSession, useThrottled } from '../session';
import { VirtualTable } from '../ui/VirtualTable';
import { pagesOfRows, rowsOf, type ClientPage } from './client-pages';
import { clientStatusText, configText, labelsText, versionText } from '../ui/client-status';
import { ErrorNotice, Field, StatusBadge, formatTime } from '../ui/components';
import { parseLabels } from '../forms/labels';

/** Rows of the first request (a screen shows about 25), then of each next one (the API's most). */
const FIRST_PAGE_SIZE = 50;
const PAGE_SIZE = 200;
/** Height of a row in pixels: `.virtual-table tbody tr` in styles.css says the same. */
const ROW_HEIGHT = 36;

/**
 * Every client of the tenant in one scrolling table: pages come from the server as the view
 * nears the last loaded row (keyset paging), and only the rows in view are rendered, so 10,000
 * clients scroll as smoothly as 50. Job changes reload the pages in view; the others are
 * reloaded when next seen.
 */
export function FleetPage(initial: { status?: string; label?: string }) {
  const { api } = useSession();
  const [status, setStatus] = useState(initial.status ?? '');
  const [label, setLabel] = useState(initial.label ?? '');
  const labelError = label && !/^[^=]+=[^=]*$/.test(label) ? 'write it as key=value' : undefined;
  const fleet = useClientPages(
    (cursor) =>
      api.listClients({
        status,
        label: labelError ? '' : label,
        limit: cursor ? PAGE_SIZE : FIRST_PAGE_SIZE,
        cursor,
      }),
    [api, status, label, labelError],
  );
  useJobChanges(useThrottled(fleet.refreshInView, 250));
  const mayRollOut = useMay('startRollout');
  const [selected, setSelected] = useState<string[]>([]);
  const toggle = (clientId: string) =>
    setSelected((now) =>
      now.includes(clientId) ? now.filter((id) => id !== clientId) : [...now, clientId],
    );

  return (
    <main>
      <h1>Fleet</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter clients">
        <Field id="status-filter" label="Status">
          {(props) => (
            <select {...props} value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">any</option>
              {CLIENT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {clientStatusText({ status: s })}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="label-filter" label="Label (key=value)" error={labelError}>
          {(props) => (
            <input
              {...props}
              value={label}
              placeholder="site=plant-7"
              onChange={(e) => setLabel(e.target.value)}
            />
          )}
        </Field>
      </form>
      <ErrorNotice error={fleet.error} />
      <p className="muted" data-testid="fleet-count">
        {!fleet.loaded
          ? 'Loading…'
          : fleet.complete
            ? `${fleet.rows.length} client${fleet.rows.length === 1 ? '' : 's'}`
            : `${fleet.rows.length} clients loaded; more as you scroll`}
      </p>
      <VirtualTable
        label="Clients"
        rows={fleet.rows}
        rowKey={(client) => client.clientId}
        rowHeight={ROW_HEIGHT}
        columns={mayRollOut ? 7 : 6}
        complete={fleet.complete}
        onNearEnd={fleet.loadMore}
        onRangeChange={fleet.inView}
        head={
          <tr aria-rowindex={1}>
            {mayRollOut && <th scope="col">Select</th>}
            <th scope="col">Client</th>
            <th scope="col">Status</th>
            <th scope="col">Version</th>
            <th scope="col">Config</th>
            <th scope="col">Labels</th>
            <th scope="col">Last seen</th>
          </tr>
        }
        renderRow={(client) => (
          <>
            {mayRollOut && (
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select ${client.clientId}`}
                  checked={selected.includes(client.clientId)}
                  onChange={() => toggle(client.clientId)}
                />
              </td>
            )}
            <td>
              <a href={hrefOf.client(client.clientId)}>{client.clientId}</a>
            </td>
            <td>
              <StatusBadge status={client.status} text={clientStatusText(client)} />
            </td>
            <td>{versionText(client)}</td>
            <td>{configText(client)}</td>
            <td title={labelsText(client.labels)}>{labelsText(client.labels)}</td>
            <td>{formatTime(client.lastSeenAt)}</td>
          </>
        )}
      />
      {fleet.loaded && fleet.rows.length === 0 && <p>No clients.</p>}
      {mayRollOut && selected.length > 0 && (
        <p>
          <a className="button" href={hrefOf.rollouts(selected)}>
            Start a rollout on {selected.length} selected client{selected.length > 1 ? 's' : ''}
          </a>
        </p>
      )}
      {useMay('registerClient') && <RegisterClientForm onRegistered={fleet.refreshInView} />}
    </main>
  );
}

/**
 * The pages of clients loaded so far (`load(cursor)` gets one), started afresh when `deps`
 * change: the next is loaded on `loadMore`, those in view again on `refreshInView`.
 */
function useClientPages(load: (cursor?: string) => Promise<Page<ClientView>>, deps: unknown[]) {
  const { sessionEnded } = useSession();
  const [pages, setPages] = useState<ClientPage[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<UserFacingError>();
  const current = useRef({
    pages,
    generation: 0,
    inView: [0],
    /** Pages being loaded: true when asked again meanwhile (the answer may predate a change). */
    loading: new Map<number, boolean>(),
  });
  current.current.pages = pages;
  const { rows, pageOfRow } = useMemo(() => rowsOf(pages), [pages]);

  const fetchPage = useCallback(
    async (index: number, cursor: string | undefined): Promise<void> => {
      const { loading, generation } = current.current;
      if (loading.has(index)) {
        loading.set(index, true);
        return;
      }
      loading.set(index, false);
      try {
        const page = await load(cursor);
        if (generation !== current.current.generation) return;
        setPages((now) => {
          const next = [...now];
          next[index] = { cursor, items: page.items, next: page.nextCursor, stale: false };
          return next;
        });
        setLoaded(true);
        setError(undefined);
      } catch (thrown) {
        if (generation !== current.current.generation) return;
        const described = describeApiError(thrown);
        if (described.signedOut) sessionEnded();
        setError(described);
      } finally {
        if (generation === current.current.generation) {
          const again = loading.get(index);
          loading.delete(index);
          if (again) void fetchPage(index, cursor);
        }
      }
    },
    [...deps, sessionEnded],
  );

  useEffect(() => {
    current.current.generation++;
    current.current.loading = new Map();
    setPages([]);
    setLoaded(false);
    void fetchPage(0, undefined);
  }, [fetchPage]);

  const last = pages[pages.length - 1];
  const complete = loaded && pages.length > 0 && !last?.next;
  const loadMore = useCallback(() => {
    const { pages: now, loading } = current.current;
    const tail = now[now.length - 1];
    if (tail?.next && !loading.has(now.length)) void fetchPage(now.length, tail.next);
  }, [fetchPage]);

  const refreshInView = useCallback(() => {
    const { pages: now, inView } = current.current;
    if (now.length === 0) {
      void fetchPage(0, undefined);
      return;
    }
    setPages((all) => all.map((page, index) => ({ ...page, stale: !inView.includes(index) })));
    for (const index of inView) if (now[index]) void fetchPage(index, now[index].cursor);
  }, [fetchPage]);

  const inView = useCallback(
    (start: number, end: number) => {
      const indexes = pagesOfRows(pageOfRow, start, end);
      current.current.inView = indexes.length > 0 ? indexes : [0];
      for (const index of indexes) {
        const page = current.current.pages[index];
        if (page?.stale) void fetchPage(index, page.cursor);
      }
    },
    [pageOfRow, fetchPage],
  );

  return { rows, loaded, complete, error, loadMore, refreshInView, inView };
}

function RegisterClientForm({ onRegistered }: { onRegistered: () => void }) {
  const { api } = useSession();
  const action = useAction();
  const [clientId, setClientId] = useState('');
  const [labels, setLabels] = useState('');
  const [version, setVersion] = useState('');
  const parsedLabels = parseLabels(labels);
  return (
    <section aria-labelledby="register">
      <h2 id="register">Register a client</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!parsedLabels.ok || !clientId.trim()) return;
          void action
            .run(() =>
              api.registerClient({
                clientId: clientId.trim(),
                labels: parsedLabels.labels,
                ...(version.trim() && { version: version.trim() }),
              }),
            )
            .then((done) => {
              if (done) onRegistered();
            });
        }}
      >
        <Field
          id="register-id"
          label="Client id"
          error={action.error?.fieldErrors?.find((f) => f.path === 'clientId')?.message}
        >
          {(props) => (
            <input {...props} value={clientId} onChange={(e) => setClientId(e.target.value)} />
          )}
        </Field>
        <Field
          id="register-labels"
          label="Labels (key=value, comma separated)"
          error={parsedLabels.ok ? undefined : parsedLabels.error}
        >
          {(props) => (
            <input {...props} value={labels} onChange={(e) => setLabels(e.target.value)} />
          )}
        </Field>
        <Field id="register-version" label="Version it runs">
          {(props) => (
            <input {...props} value={version} onChange={(e) => setVersion(e.target.value)} />
          )}
        </Field>
        <button type="submit" disabled={action.busy || !parsedLabels.ok || !clientId.trim()}>
          Register
        </button>
        <ErrorNotice error={action.error} />
      </form>
    </section>
  );
}
