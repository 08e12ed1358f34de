import type { ReactNode } from 'react';
import type { UserFacingError } from '../api/api-error';
import { hrefOf } from '../router';

/** A failure in words, with the running job linked when that is the reason. */
export function ErrorNotice({ error }: { error?: UserFacingError }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error.message}
      {error.runningJobId && (
        <>
          {' '}
          <a href={hrefOf.job(error.runningJobId)}>Open the running job</a>
        </>
      )}
      {error.existingReleaseId && (
        <>
          {' '}
          <a href={hrefOf.release(error.existingReleaseId)}>Open the registered release</a>
        </>
      )}
    </p>
  );
}

/** A labelled input with its own error beside it (described-by, so screen readers say it). */
export function Field({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  children: (props: {
    id: string;
    'aria-invalid': boolean;
    'aria-describedby'?: string;
  }) => ReactNode;
}) {
  const errorId = `${id}-error`;
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': !!error, ...(error && { 'aria-describedby': errorId }) })}
      {error && (
        <span className="field-error" id={errorId}>
          {error}
        </span>
      )}
    </div>
  );
}

export function StatusBadge({ status, text }: { status: string; text: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{text}</span>;
}

export const formatTime = (iso?: string) => (iso ? new Date(iso).toLocaleString() : '–');

/** A moment to the millisecond: the phases of a job are often less than a second apart. */
export const formatInstant = (iso: string) =>
  `${new Date(iso).toLocaleDateString()} ${new Date(iso).toLocaleTimeString(undefined, {
    hour12: false,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
  })}`;
