import { useState } from 'react';
import { CLIENT_STATUSES } from '../api/types';
import { hrefOf } from '../router';
import { useAction, useJobChanges, useLoaded, useMay, useSession, useThrottled } from '../session';
import { clientStatusText, configText, labelsText, versionText } from '../ui/client-status';
import { ErrorNotice, Field, StatusBadge, formatTime } from '../ui/components';
import { parseLabels } from '../forms/labels';

const PAGE_SIZE = 50;

/** Every client of the tenant, a page at a time (keyset paging), live through job changes. */
export function FleetPage(initial: { status?: string; label?: string }) {
  const { api } = useSession();
  const [status, setStatus] = useState(initial.status ?? '');
  const [label, setLabel] = useState(initial.label ?? '');
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const clients = useLoaded(
    () => api.listClients({ status, label, limit: PAGE_SIZE, cursor }),
    [api, status, label, cursor],
  );
  const refreshSoon = useThrottled(clients.refresh, 250);
  useJobChanges(refreshSoon);
  const mayRollOut = useMay('startRollout');
  const [selected, setSelected] = useState<string[]>([]);
  const toggle = (clientId: string) =>
    setSelected((now) =>
      now.includes(clientId) ? now.filter((id) => id !== clientId) : [...now, clientId],
    );
  const labelError = label && !/^[^=]+=[^=]*$/.test(label) ? 'write it as key=value' : undefined;

  return (
    <main>
      <h1>Fleet</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter clients">
        <Field id="status-filter" label="Status">
          {(props) => (
            <select
              {...props}
              value={status}
              onChange={(e) => {
                setStatus(e.target.value);
                setCursors([undefined]);
              }}
            >
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
              onChange={(e) => {
                setLabel(e.target.value);
                setCursors([undefined]);
              }}
            />
          )}
        </Field>
      </form>
      <ErrorNotice error={clients.error} />
      <table aria-label="Clients">
        <thead>
          <tr>
            {mayRollOut && <th scope="col">Select</th>}
            <th scope="col">Client</th>
            <th scope="col">Status</th>
            <th scope="col">Version</th>
            <th scope="col">Config</th>
            <th scope="col">Labels</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {clients.value?.items.map((client) => (
            <tr key={client.clientId}>
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
              <td>{labelsText(client.labels)}</td>
              <td>{formatTime(client.lastSeenAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {clients.value && clients.value.items.length === 0 && <p>No clients.</p>}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length === 1}
          onClick={() => setCursors((stack) => stack.slice(0, -1))}
        >
          Previous page
        </button>
        <button
          type="button"
          disabled={!clients.value?.nextCursor}
          onClick={() => setCursors((stack) => [...stack, clients.value?.nextCursor])}
        >
          Next page
        </button>
      </nav>
      {mayRollOut && selected.length > 0 && (
        <p>
          <a className="button" href={hrefOf.rollouts(selected)}>
            Start a rollout on {selected.length} selected client{selected.length > 1 ? 's' : ''}
          </a>
        </p>
      )}
      {useMay('registerClient') && <RegisterClientForm onRegistered={clients.refresh} />}
    </main>
  );
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
