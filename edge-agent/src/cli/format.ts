import type { SessionConflict } from '../link/session-takeover';
import type { JobView } from './agent-data';

/** Human-readable views for the CLI. Pure: the same data always prints the same text. */

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function formatStatus(
  jobs: JobView[],
  pendingReports: number,
  now: Date,
  sessionConflict: SessionConflict | null = null,
): string {
  const running = jobs.filter((j) => !j.finished);
  const lines: string[] = [];
  if (sessionConflict) {
    lines.push(
      `MQTT session taken over ${sessionConflict.takeovers} times since ${sessionConflict.since}: another agent is running with this identity (here or on another host); new jobs are refused until it stops`,
    );
  }
  if (running.length === 0) {
    const last = jobs.at(-1);
    lines.push(
      last
        ? `idle; last job ${last.jobId} (${last.kind}) ended ${last.state} at ${last.updatedAt}`
        : 'idle; no jobs yet',
    );
  }
  for (const job of running) {
    const since = Date.parse(job.updatedAt);
    lines.push(
      `${job.kind} job ${job.jobId}: ${job.state} since ${job.updatedAt} (${formatDuration(now.getTime() - since)})`,
    );
  }
  lines.push(`status reports waiting for the broker: ${pendingReports}`);
  return lines.join('\n');
}

export function formatHistory(jobs: JobView[]): string {
  if (jobs.length === 0) return 'no jobs yet';
  const rows = jobs.map((j) => [
    j.createdAt,
    j.jobId,
    j.kind,
    j.state,
    j.link ? `seq ${j.link.lastSeq}` : '',
  ]);
  const header = ['created', 'job', 'kind', 'state', 'reports'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatJob(job: JobView, now: Date): string {
  const lines = [
    `${job.kind} job ${job.jobId}`,
    `  state: ${job.state} since ${job.updatedAt} (${formatDuration(now.getTime() - Date.parse(job.updatedAt))})`,
  ];
  const snapshot = job.snapshot;
  if (snapshot?.kind === 'ok') {
    const { record } = snapshot;
    const ctx = record.context as Record<string, unknown>;
    lines.push(`  machine version: ${record.machineVersion}`);
    for (const key of [
      'image',
      'targetVersion',
      'oldImageRef',
      'oldVersion',
      'backupName',
      'attempts',
      'probationUntil',
      'deadlineAt',
    ]) {
      if (ctx[key] !== undefined) lines.push(`  ${key}: ${String(ctx[key])}`);
    }
    if (ctx.error) lines.push(`  error: ${JSON.stringify(ctx.error)}`);
    lines.push('  transitions:');
    for (const t of record.log) {
      lines.push(
        `    ${t.at}  ${t.from ?? '(start)'} -> ${t.to}  [${t.event}]${t.reason ? `  ${t.reason}` : ''}`,
      );
    }
  } else if (snapshot?.kind === 'incompatible') {
    lines.push(
      `  snapshot written by machine version ${snapshot.machineVersion}: this agent cannot read it; use --json for the raw record`,
    );
  } else if (snapshot?.kind === 'corrupt') {
    lines.push(`  snapshot unreadable: ${snapshot.error}`);
  }
  if (job.link) {
    const { lastSeq, lastReport, command } = job.link;
    lines.push(
      `  reports made: ${lastSeq}${lastReport ? ` (last: ${lastReport.phase} at ${lastReport.at})` : ''}`,
    );
    if (lastReport?.error)
      lines.push(`  last error: ${lastReport.error.code}: ${lastReport.error.message}`);
    if (command?.correlationId) lines.push(`  correlation id: ${command.correlationId}`);
    if (job.kind === 'config' && command && 'version' in command.payload)
      lines.push(`  config version: ${command.payload.version}`);
  }
  return lines.join('\n');
}
