import { useMemo, useState } from 'react';
import type { AuditSearch } from '../api/api-client';
import { errorsByPath } from '../forms/field-errors';
import {
  formOfParams,
  paramsOfSearch,
  subjectOf,
  toAuditSearch,
  type AuditForm,
  type AuditOrder,
} from '../forms/audit-query';
import { hrefOf } from '../router';
import { useAction, useSession } from '../session';
import { ErrorNotice, Field, formatInstant } from '../ui/components';
import { usePaged } from './use-paged';

/** How long the browser keeps an export's object URL for the download to start. */
const DOWNLOAD_URL_LIFETIME_MS = 60_000;

/**
 * The audit trail (admins and auditors): every event of the tenant, filtered, newest or oldest
 * first, a page at a time, and exported as NDJSON or CSV. The search is the page's address
 * (`#/audit?clientId=...`): searching goes there, so it can be linked, and Back returns to the
 * previous search.
 */
export function AuditPage({ filter }: { filter: Record<string, string> }) {
  const { api } = useSession();
  const [form, setForm] = useState(() => formOfParams(filter));
  const [touched, setTouched] = useState(false);
  // The search on screen: the address's, as the service will check it.
  const applied = useMemo(() => toAuditSearch(formOfParams(filter)), [filter]);
  const search: AuditSearch | undefined = applied.ok ? applied.search : undefined;
  const events = usePaged(
    (cursor) =>
      search ? api.searchAuditEvents(search, cursor) : Promise.resolve({ items: [] as never[] }),
    [api, JSON.stringify(search)],
  );
  const checked = toAuditSearch(form);
  const formErrors = checked.ok ? {} : checked.errors;
  const serverErrors = errorsByPath(events.error?.fieldErrors ?? []);
  const errorOf = (field: keyof AuditForm) =>
    (touched || form[field] ? formErrors[field] : undefined) ??
    serverErrors[field === 'types' ? 'type' : field];
  const exporting = useAction();
  const set = (field: keyof AuditForm) => (value: string) =>
    setForm((previous) => ({ ...previous, [field]: value }));

  /** The search on screen as a file, saved by the browser under the service's file name. */
  const download = async (format: 'ndjson' | 'csv') => {
    if (!search) return;
    const done = await exporting.run(() => api.exportAuditEvents(search, format));
    if (!done) return;
    const url = URL.createObjectURL(done.value.blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = done.value.fileName;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), DOWNLOAD_URL_LIFETIME_MS);
  };

  return (
    <main>
      <h1>Audit trail</h1>
      <form
        aria-label="Search the audit trail"
        onSubmit={(event) => {
          event.preventDefault();
          setTouched(true);
          if (!checked.ok) return;
          const href = hrefOf.audit(paramsOfSearch(checked.search));
          // The same search again: the address does not change, so reload in place.
          if (window.location.hash === href) events.refresh();
          else window.location.hash = href;
        }}
      >
        <div className="filters">
          {textField('audit-client', 'Client id', 'clientId')}
          {textField('audit-job', 'Job id', 'jobId')}
          {textField('audit-rollout', 'Rollout id', 'rolloutId')}
          {textField('audit-actor', 'Actor', 'actor')}
          {textField(
            'audit-types',
            'Event types (comma separated)',
            'types',
            'UpdateRequested, UpdateFailed',
          )}
        </div>
        <div className="filters">
          <Field id="audit-from" label="From (your local time)" error={errorOf('from')}>
            {(props) => (
              <input
                {...props}
                type="datetime-local"
                step="1"
                value={form.from}
                onChange={(e) => set('from')(e.target.value)}
              />
            )}
          </Field>
          <Field id="audit-to" label="To (before)" error={errorOf('to')}>
            {(props) => (
              <input
                {...props}
                type="datetime-local"
                step="1"
                value={form.to}
                onChange={(e) => set('to')(e.target.value)}
              />
            )}
          </Field>
          <Field id="audit-order" label="Order" error={errorOf('order')}>
            {(props) => (
              <select
                {...props}
                value={form.order}
                onChange={(e) => set('order')(e.target.value as AuditOrder)}
              >
                <option value="newest">newest first</option>
                <option value="oldest">oldest first</option>
              </select>
            )}
          </Field>
          <button type="submit">Search</button>
        </div>
      </form>
      <ErrorNotice error={events.error} />
      <p className="row">
        <button
          type="button"
          disabled={!search || exporting.busy}
          onClick={() => void download('ndjson')}
        >
          Export NDJSON
        </button>
        <button
          type="button"
          disabled={!search || exporting.busy}
          onClick={() => void download('csv')}
        >
          Export CSV
        </button>
        <span className="muted">
          {exporting.busy ? 'Exporting…' : 'Every event of the search on screen, as a file.'}
        </span>
      </p>
      <ErrorNotice error={exporting.error} />
      {events.items?.length === 0 && <p>No events.</p>}
      {events.items && events.items.length > 0 && (
        <>
          <p className="muted" data-testid="audit-count">
            {events.items.length} event(s){events.more ? '; more below' : ''}
          </p>
          <table aria-label="Audit events" className="audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">Actor</th>
                <th scope="col">Subject</th>
                <th scope="col">Data</th>
              </tr>
            </thead>
            <tbody>
              {events.items.map((event) => {
                const subject = subjectOf(event);
                return (
                  <tr key={event.eventId}>
                    <td>{formatInstant(event.recordedAt)}</td>
                    <td>{event.type}</td>
                    <td>{event.actor ?? '–'}</td>
                    <td>
                      {subject.href ? <a href={subject.href}>{subject.text}</a> : subject.text}
                    </td>
                    <td>
                      {/* Text, never markup: what a device or a user wrote is shown as written. */}
                      <pre>{JSON.stringify(event.data, null, 2)}</pre>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      {events.more && (
        <button type="button" disabled={events.busy} onClick={() => void events.loadMore()}>
          Load more events
        </button>
      )}
    </main>
  );

  /** A text filter: a function, not a component (one defined here would remount each render). */
  function textField(
    id: string,
    label: string,
    field: 'actor' | 'clientId' | 'jobId' | 'rolloutId' | 'types',
    placeholder?: string,
  ) {
    return (
      <Field id={id} label={label} error={errorOf(field)}>
        {(props) => (
          <input
            {...props}
            value={form[field]}
            placeholder={placeholder}
            onChange={(e) => set(field)(e.target.value)}
          />
        )}
      </Field>
    );
  }
}
