import { mintDevToken } from '../../../services/device-management/src/auth/mint-dev-token';
import type { Role } from '../../../services/device-management/src/auth/principal';
import { eventually, sleep } from './free-port';

export interface Job {
  jobId: string;
  kind: 'update' | 'config';
  clientId: string;
  status: string;
  phase?: string;
  targetVersion?: string;
  reportedVersion?: string;
  configVersion?: number;
  failure?: { reason: string; code?: string; fieldErrors?: { path: string; message: string }[] };
  rollback?: { reason: string };
  evidence?: { workloadLog: string[]; agentLog: string[]; truncated: boolean };
  finishedAt?: string;
}

export interface Client {
  clientId: string;
  status: string;
  presence?: string;
  version: { desired?: string; reported?: string };
  config: { desired: number; applied?: number };
  updateJobId?: string;
  lastUpdateOutcome?: string;
}

export interface JobEvent {
  revision: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

export const FINAL_JOB_STATUSES = [
  'Succeeded',
  'Failed',
  'RolledBack',
  'TimedOut',
  'Cancelled',
  'Applied',
  'Rejected',
];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what} answered ${status}: ${JSON.stringify(body)}`);
  }
}

export interface ApiClientOptions {
  /**
   * A request that fails without an answer (connection refused or reset: the replica died, or
   * a kept-alive socket to a replica that has died since) is sent again for this long, each
   * time to `baseUrl()` anew (another live replica). A POST sent again may have been applied
   * the first time: its caller must accept the answer to a repeat (e.g. 409 `update_in_flight`
   * naming the job). Default 0: no second try.
   */
  failoverMs?: number;
}

/**
 * fetch failed without an HTTP answer: refused, reset, or the process died mid-request. (By
 * name: under jest, fetch's TypeError comes from another realm than the test's `TypeError`.)
 */
function isNoAnswer(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  return name === 'TypeError' && message === 'fetch failed';
}

/** The REST API as an administrator uses it, with a token the service verifies. */
export class ApiClient {
  private constructor(
    private readonly baseUrl: () => string,
    private readonly token: string,
    readonly tenantId: string,
    private readonly options: ApiClientOptions,
  ) {}

  /** `baseUrl` is a function so a test can point the client at another replica. */
  static async as(
    baseUrl: string | (() => string),
    jwtSecret: string,
    tenantId: string,
    roles: Role[] = ['admin'],
    options: ApiClientOptions & {
      /** The `iss` and `aud` a service with JWT_ISSUER and JWT_AUDIENCE wants. */
      issuer?: string;
      audience?: string;
    } = {},
  ): Promise<ApiClient> {
    const { issuer, audience, ...clientOptions } = options;
    const token = await mintDevToken(jwtSecret, {
      tenant: tenantId,
      roles,
      subject: 'e2e-admin',
      ...(issuer !== undefined && { issuer }),
      ...(audience !== undefined && { audience }),
    });
    const url = typeof baseUrl === 'string' ? () => baseUrl : baseUrl;
    return new ApiClient(url, token, tenantId, clientOptions);
  }

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const deadline = Date.now() + (this.options.failoverMs ?? 0);
    for (;;) {
      try {
        return await this.callOnce<T>(method, path, body, headers);
      } catch (error) {
        if (Date.now() >= deadline || !isNoAnswer(error)) throw error;
        await sleep(50);
      }
    }
  }

  private async callOnce<T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.baseUrl()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  private async expect<T>(
    status: number,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    const answer = await this.call<T>(method, path, body, headers);
    if (answer.status !== status)
      throw new ApiError(answer.status, answer.body, `${method} ${path}`);
    return answer.body;
  }

  registerClient(clientId: string, version?: string): Promise<{ clientId: string }> {
    return this.expect(201, 'POST', '/api/v1/clients', {
      clientId,
      ...(version ? { version } : {}),
    });
  }

  /** `headers`: a W3C `traceparent`, say. */
  async requestUpdate(
    clientId: string,
    targetVersion: string,
    image: string,
    headers?: Record<string, string>,
  ): Promise<string> {
    const { jobId } = await this.expect<{ jobId: string }>(
      202,
      'POST',
      `/api/v1/clients/${clientId}/update`,
      {
        targetVersion,
        image,
      },
      headers,
    );
    return jobId;
  }

  async requestConfig(clientId: string, version: number, settings: unknown): Promise<string> {
    const { jobId } = await this.expect<{ jobId: string }>(
      202,
      'POST',
      `/api/v1/clients/${clientId}/config`,
      {
        version,
        settings,
      },
    );
    return jobId;
  }

  getJob(jobId: string): Promise<Job> {
    return this.expect(200, 'GET', `/api/v1/jobs/${jobId}`);
  }

  /** Every client entry of a rollout, each with its job once it has one (all pages). */
  async rolloutClients(rolloutId: string): Promise<Array<{ clientId: string; jobId?: string }>> {
    const entries: Array<{ clientId: string; jobId?: string }> = [];
    let cursor: string | undefined;
    do {
      const query = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await this.expect<{
        items: Array<{ clientId: string; jobId?: string }>;
        nextCursor?: string;
      }>(200, 'GET', `/api/v1/rollouts/${rolloutId}/clients?${query}`);
      entries.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return entries;
  }

  getClient(clientId: string): Promise<Client> {
    return this.expect(200, 'GET', `/api/v1/clients/${clientId}`);
  }

  jobEvents(jobId: string): Promise<JobEvent[]> {
    return this.expect(200, 'GET', `/api/v1/jobs/${jobId}/events`);
  }

  /** POST cancel: 200 `{jobId, status}` (409 once the job ended or the device is swapping). */
  cancelJob(jobId: string, reason?: string): Promise<{ jobId: string; status: string }> {
    return this.expect(200, 'POST', `/api/v1/jobs/${jobId}/cancel`, reason ? { reason } : {});
  }

  /** Polls until the job's status is one of `statuses` and returns the job. */
  waitForStatus(jobId: string, statuses: string[], timeoutMs = 30_000): Promise<Job> {
    return eventually(
      `job ${jobId} ${statuses.join('|')}`,
      async () => {
        const job = await this.getJob(jobId);
        return statuses.includes(job.status) ? job : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** Polls the job's history until it holds an event of `type`; returns the whole history. */
  waitForEvent(jobId: string, type: string, timeoutMs = 30_000): Promise<JobEvent[]> {
    return eventually(
      `job ${jobId} has ${type}`,
      async () => {
        const events = await this.jobEvents(jobId);
        return events.some((e) => e.type === type) ? events : undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** Polls the job until it is final (or `phase` is reached) and returns it. */
  waitForJob(jobId: string, timeoutMs = 60_000): Promise<Job> {
    return eventually(
      `job ${jobId} final`,
      async () => {
        const job = await this.getJob(jobId);
        return FINAL_JOB_STATUSES.includes(job.status) ? job : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }

  /** Polls until the job reports one of `phases` (or ends: the caller checks which). */
  waitForPhase(jobId: string, phases: string[], timeoutMs = 60_000): Promise<Job> {
    return eventually(
      `job ${jobId} in phase ${phases.join('|')}`,
      async () => {
        const job = await this.getJob(jobId);
        const reached = job.phase && phases.includes(job.phase);
        return reached || FINAL_JOB_STATUSES.includes(job.status) ? job : undefined;
      },
      { timeoutMs, intervalMs: 50 },
    );
  }
}
