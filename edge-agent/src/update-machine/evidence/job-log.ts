import { EVIDENCE_MAX_LINE_CHARS } from '@opcfleet/contracts';
import type { Logger } from '../logger';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Fields already known from the job's page: left out of its lines. */
const LEFT_OUT = new Set(['jobId', 'correlationId', 'tenantId', 'clientId', 'agentVersion']);

function fieldText(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `2026-11-30T22:31:02.120Z warn removing the failed new container container=c2`, one line. */
export function formatLogLine(at: Date, level: Level, obj: object, msg?: string): string {
  const fields = Object.entries(obj)
    .filter(([key, value]) => !LEFT_OUT.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  const line = [at.toISOString(), level, msg ?? '', ...fields].filter(Boolean).join(' ');
  return line.replace(/[\r\n]+/g, ' ').slice(0, EVIDENCE_MAX_LINE_CHARS * 2);
}

/**
 * The agent's own log lines of each job, the newest `maxLines` of the `maxJobs` jobs logged
 * last: what the failure report of a job shows of what the agent did. In memory only; what a
 * failed job needs is taken (`take`) into its saved record before it is reported.
 */
export class JobLogRing {
  private readonly jobs = new Map<string, string[]>();

  constructor(
    private readonly maxLines = 50,
    private readonly maxJobs = 4,
  ) {}

  add(jobId: string, line: string): void {
    let lines = this.jobs.get(jobId);
    if (!lines) {
      lines = [];
      this.jobs.set(jobId, lines);
      for (const oldest of this.jobs.keys()) {
        if (this.jobs.size <= this.maxJobs) break;
        this.jobs.delete(oldest);
      }
    }
    lines.push(line);
    if (lines.length > this.maxLines) lines.splice(0, lines.length - this.maxLines);
  }

  /** The job's lines so far, oldest first; they are forgotten here. */
  take(jobId: string): string[] {
    const lines = this.jobs.get(jobId) ?? [];
    this.jobs.delete(jobId);
    return lines;
  }

  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }
}

/**
 * A logger that logs as `logger` does and keeps each line that names a job (`jobId`) in the
 * ring, formatted on one line.
 */
export function jobLogTap(logger: Logger, ring: JobLogRing, now: () => Date): Logger {
  const at =
    (level: Exclude<Level, 'debug'>) =>
    (obj: object, msg?: string): void => {
      const jobId = (obj as { jobId?: unknown }).jobId;
      if (typeof jobId === 'string') ring.add(jobId, formatLogLine(now(), level, obj, msg));
      if (msg === undefined) logger[level](obj);
      else logger[level](obj, msg);
    };
  // Debug lines are not kept: the job's lines are what the agent's log shows at its usual level.
  const debug = logger.debug && ((obj: object, msg?: string) => logger.debug!(obj, msg));
  return { info: at('info'), warn: at('warn'), error: at('error'), ...(debug && { debug }) };
}
