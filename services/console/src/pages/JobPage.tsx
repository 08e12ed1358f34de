import { useState } from 'react';
import { FINAL_JOB_STATUSES } from '../api/types';
import { hrefOf } from '../router';
import { useAction, useJobChanges, useLoaded, useMay, useSession, useThrottled } from '../session';
import { jobSummary } from '../ui/client-status';
import { ErrorNotice, formatInstant, formatTime } from '../ui/components';
import { failedPhase, formatDuration, jobTimeline } from '../ui/job-timeline';

/**
 * A job: its phases as they arrive, why it failed, the raw events for auditors, and a slider
 * that shows the job as it stood at any recorded moment (GET /jobs/{id}?asOf=).
 */
export function JobPage({ jobId }: { jobId: string }) {
  const { api } = useSession();
  const [asOfIndex, setAsOfIndex] = useState<number | undefined>(undefined);
  const events = useLoaded(() => api.getJobEvents(jobId), [api, jobId]);
  const asOf = asOfIndex !== undefined ? events.value?.[asOfIndex]?.recordedAt : undefined;
  const job = useLoaded(() => api.getJob(jobId, asOf), [api, jobId, asOf]);
  const refreshSoon = useThrottled(() => {
    events.refresh();
    if (asOfIndex === undefined) job.refresh();
  }, 100);
  useJobChanges((changed) => {
    if (!changed || changed.jobId === jobId) refreshSoon();
  });
  const cancel = useAction();
  const view = job.value;
  const mayCancel = useMay(view?.kind === 'config' ? 'cancelConfig' : 'cancelUpdate');
  const final = view ? FINAL_JOB_STATUSES.includes(view.status) : true;
  const all = events.value ?? [];
  const shownEvents = asOfIndex === undefined ? all : all.slice(0, asOfIndex + 1);
  const wentWrongIn = failedPhase(shownEvents);

  return (
    <main>
      <h1>
        {view?.kind === 'config' ? 'Configuration job' : 'Update job'} <code>{jobId}</code>
      </h1>
      <ErrorNotice error={job.error ?? events.error} />
      {view && (
        <dl className="facts" aria-label="Job facts">
          <dt>Client</dt>
          <dd>
            <a href={hrefOf.client(view.clientId)}>{view.clientId}</a>
          </dd>
          <dt>{asOf ? `Status as of ${formatInstant(asOf)}` : 'Status'}</dt>
          <dd data-testid="job-status">{jobSummary(view)}</dd>
          {view.kind === 'update' && (
            <>
              <dt>Target</dt>
              <dd>
                {view.targetVersion} ({view.image}
                {view.imageDigest ? `@${view.imageDigest}` : ''})
                {view.releaseId && (
                  <>
                    {' '}
                    <a href={hrefOf.release(view.releaseId)}>the release</a>
                  </>
                )}
              </dd>
            </>
          )}
          {view.status === 'InProgress' && view.progress?.percent !== undefined && (
            <>
              <dt>Progress</dt>
              <dd>
                <progress max={100} value={view.progress.percent} aria-label="Download progress" />{' '}
                {Math.round(view.progress.percent)}%
              </dd>
            </>
          )}
          {(view.failure || view.rollback) && (
            <>
              <dt>Why</dt>
              <dd data-testid="job-failure">
                {view.rollback
                  ? `Rolled back after failing in phase ${wentWrongIn ?? 'unknown'}: ${view.rollback.reason}. `
                  : ''}
                {view.failure
                  ? `Failed in phase ${wentWrongIn ?? view.phase ?? 'unknown'}: ${view.failure.reason}`
                  : ''}
              </dd>
            </>
          )}
          <dt>Requested</dt>
          <dd>{formatTime(view.requestedAt)}</dd>
          <dt>Finished</dt>
          <dd>{formatTime(view.finishedAt)}</dd>
        </dl>
      )}
      {view?.evidence && (
        <section aria-labelledby="evidence" data-testid="job-evidence">
          <h2 id="evidence">What the device saw</h2>
          {view.evidence.truncated && (
            <p className="muted">Only the newest lines are shown: the device cut the rest.</p>
          )}
          <h3>The new version&apos;s last log lines</h3>
          {view.evidence.workloadLogError && (
            <p className="muted">Not read: {view.evidence.workloadLogError}</p>
          )}
          {/* Lines are text from the device: rendered as text, never as HTML. */}
          <pre data-testid="evidence-workload">{view.evidence.workloadLog.join('\n')}</pre>
          <h3>The agent&apos;s lines for this job</h3>
          <pre data-testid="evidence-agent">{view.evidence.agentLog.join('\n')}</pre>
        </section>
      )}
      {view && !final && !asOf && mayCancel && (
        <p>
          <button
            type="button"
            disabled={cancel.busy}
            onClick={() => void cancel.run(() => api.cancelJob(jobId))}
          >
            Cancel job
          </button>
          <ErrorNotice error={cancel.error} />
        </p>
      )}
      {all.length > 1 && (
        <section aria-labelledby="replay">
          <h2 id="replay">Replay</h2>
          <label htmlFor="as-of">
            As of {asOf ? formatInstant(asOf) : 'now'} (event {(asOfIndex ?? all.length - 1) + 1} of{' '}
            {all.length})
          </label>
          <input
            id="as-of"
            type="range"
            min={0}
            max={all.length - 1}
            step={1}
            value={asOfIndex ?? all.length - 1}
            onChange={(e) => {
              const index = Number(e.target.value);
              setAsOfIndex(index === all.length - 1 ? undefined : index);
            }}
          />
          {asOfIndex !== undefined && (
            <button type="button" onClick={() => setAsOfIndex(undefined)}>
              Back to now
            </button>
          )}
        </section>
      )}
      <section aria-labelledby="phases">
        <h2 id="phases">Phases</h2>
        <ol className="timeline" data-testid="job-timeline">
          {jobTimeline(shownEvents).map((entry) => (
            <li key={entry.revision}>
              <time dateTime={entry.at}>{formatInstant(entry.at)}</time> {entry.what}{' '}
              <span className="muted">{formatDuration(entry.afterMs)}</span>
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="raw">
        <h2 id="raw">Event log</h2>
        <details>
          <summary>Raw events with metadata ({shownEvents.length})</summary>
          <pre>{JSON.stringify(shownEvents, null, 2)}</pre>
        </details>
      </section>
    </main>
  );
}
