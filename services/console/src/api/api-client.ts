import axios, { type AxiosInstance } from 'axios';
import type { OidcSettings } from '../auth/oidc';
import type {
  AlertDelivery,
  AlertKind,
  AlertSubscription,
  AuditEvent,
  CreatedAlertSubscription,
  DeliveryStatus,
} from './types';
import type {
  ClientHistory,
  ClientView,
  JobEvent,
  JobView,
  Overview,
  Page,
  DeviceState,
  RolloutClient,
  RolloutSummary,
  RolloutView,
} from './types';
import type { Release, ReleaseClient, ReleaseClientState } from './types';

export interface ClientFilter {
  status?: string;
  /** `key=value`; several must all match. */
  label?: string | string[];
  limit?: number;
  cursor?: string;
}

/** A webhook subscription to create (POST /alerts/subscriptions). */
export interface AlertSubscriptionRequest {
  url: string;
  kinds: AlertKind[];
  offlineMinutes?: number;
}

/** The alert delivery log's filter (GET /alerts/deliveries). */
export interface DeliveryFilter {
  subscriptionId?: string;
  status?: DeliveryStatus;
}

/** The audit search's filters (GET /audit/events and its export); all must hold. */
export interface AuditSearch {
  actor?: string;
  clientId?: string;
  jobId?: string;
  rolloutId?: string;
  /** Any of these event types. */
  type?: string[];
  /** ISO-8601: recorded at or after. */
  from?: string;
  /** ISO-8601: recorded before. */
  to?: string;
  order?: 'newest' | 'oldest';
}

/** An export can take a while on a long trail: longer than a page's 15 s. */
const EXPORT_TIMEOUT_MS = 10 * 60_000;

/** Query parameters without the empty ones. */
const paramsOf = (filter: object) =>
  Object.fromEntries(
    Object.entries(filter).filter(([, value]) => value !== undefined && value !== ''),
  );

export type RolloutSteer = 'cancel' | 'pause' | 'resume' | 'approve' | 'roll-back';

export interface RolloutRequest {
  image: string;
  targetVersion: string;
  imageDigest?: string;
  clientIds?: string[];
  labels?: Record<string, string>;
  batchSize?: number;
  maxFailures?: number;
}

/** A rollout of a release of the catalogue instead of an image and a version. */
export type RolloutByReleaseRequest = Omit<
  RolloutRequest,
  'image' | 'targetVersion' | 'imageDigest'
> & {
  releaseId: string;
  allowDowngrade?: boolean;
};

export interface ReleaseFilter {
  product?: string;
  /** true: only withdrawn releases; false: only the installable ones; absent: all. */
  withdrawn?: boolean;
  limit?: number;
  cursor?: string;
}

/** POST /releases: a version of a product, its image pinned by digest. */
export interface ReleaseRequest {
  product: string;
  version: string;
  image: string;
  imageDigest: string;
  notes?: string;
  constraints?: Record<string, string>;
}

/**
 * The REST API as the console uses it. The token lives in memory only (here, or with the
 * OpenID Connect session that refreshes it): never in storage, never in a cookie, gone on
 * reload. Each request takes the current one.
 */
export class ApiClient {
  private readonly http: AxiosInstance;
  private readonly token: () => string;
  private readonly tokenForRequest: () => string | Promise<string>;

  /**
   * `token`: the current token (for the change stream's URL); `tokenForRequest`: the one to
   * send, which may wait for a refresh (OpenID Connect).
   */
  constructor(
    token: string | (() => string),
    baseURL = '/api/v1',
    tokenForRequest?: () => string | Promise<string>,
  ) {
    this.token = typeof token === 'string' ? () => token : token;
    this.tokenForRequest = tokenForRequest ?? this.token;
    // Repeated parameters as the API takes them: label=a=1&label=b=2 (not label[]=...).
    this.http = axios.create({ baseURL, timeout: 15_000, paramsSerializer: { indexes: null } });
    this.http.interceptors.request.use(async (request) => {
      request.headers.set('Authorization', `Bearer ${await this.tokenForRequest()}`);
      return request;
    });
  }

  async getOverview(): Promise<Overview> {
    return (await this.http.get<Overview>('/overview')).data;
  }

  async listClients(filter: ClientFilter, signal?: AbortSignal): Promise<Page<ClientView>> {
    const params = Object.fromEntries(
      Object.entries(filter).filter(([, value]) => value !== undefined && value !== ''),
    );
    return (await this.http.get<Page<ClientView>>('/clients', { params, signal })).data;
  }

  async getClient(clientId: string): Promise<ClientView> {
    return (await this.http.get<ClientView>(`/clients/${encodeURIComponent(clientId)}`)).data;
  }

  async getDeviceState(clientId: string): Promise<DeviceState> {
    return (await this.http.get<DeviceState>(`/clients/${encodeURIComponent(clientId)}/device`))
      .data;
  }

  async getClientHistory(clientId: string): Promise<ClientHistory> {
    return (await this.http.get<ClientHistory>(`/clients/${encodeURIComponent(clientId)}/history`))
      .data;
  }

  async registerClient(body: {
    clientId: string;
    labels?: Record<string, string>;
    version?: string;
  }): Promise<void> {
    await this.http.post('/clients', body);
  }

  async requestUpdate(
    clientId: string,
    body: { targetVersion: string; image: string; imageDigest?: string },
  ): Promise<{ jobId: string }> {
    return (await this.http.post(`/clients/${encodeURIComponent(clientId)}/update`, body)).data;
  }

  /** An update back to the release the client ran before its last succeeded update. */
  async rollBackClient(clientId: string): Promise<{ jobId: string }> {
    return (await this.http.post(`/clients/${encodeURIComponent(clientId)}/roll-back`, {})).data;
  }

  async requestConfig(
    clientId: string,
    body: { version: number; settings: unknown },
  ): Promise<{ jobId: string }> {
    return (await this.http.post(`/clients/${encodeURIComponent(clientId)}/config`, body)).data;
  }

  async getJob(jobId: string, asOf?: string): Promise<JobView> {
    return (
      await this.http.get<JobView>(`/jobs/${encodeURIComponent(jobId)}`, {
        params: asOf ? { asOf } : {},
      })
    ).data;
  }

  async getJobEvents(jobId: string): Promise<JobEvent[]> {
    return (await this.http.get<JobEvent[]>(`/jobs/${encodeURIComponent(jobId)}/events`)).data;
  }

  async cancelJob(jobId: string): Promise<void> {
    await this.http.post(`/jobs/${encodeURIComponent(jobId)}/cancel`, {});
  }

  async listRollouts(): Promise<RolloutSummary[]> {
    return (await this.http.get<{ items: RolloutSummary[] }>('/rollouts')).data.items;
  }

  async getRollout(rolloutId: string): Promise<RolloutView> {
    return (await this.http.get<RolloutView>(`/rollouts/${encodeURIComponent(rolloutId)}`)).data;
  }

  async startRollout(body: RolloutRequest): Promise<{ rolloutId: string }> {
    return (await this.http.post('/rollouts', body)).data;
  }

  /**
   * Cancel, pause, resume, approve (the phase awaiting approval) or roll back (its failed
   * clients) a rollout.
   */
  async steerRollout(rolloutId: string, steer: RolloutSteer): Promise<void> {
    await this.http.post(`/rollouts/${encodeURIComponent(rolloutId)}/${steer}`, {});
  }

  /** The next page of a rollout's targets, after the detail's first. */
  async listRolloutClients(
    rolloutId: string,
    cursor: string,
  ): Promise<{ items: RolloutClient[]; nextCursor?: string }> {
    return (
      await this.http.get(`/rollouts/${encodeURIComponent(rolloutId)}/clients`, {
        params: { cursor, limit: 200 },
      })
    ).data;
  }

  async listAlertSubscriptions(): Promise<AlertSubscription[]> {
    return (await this.http.get<{ items: AlertSubscription[] }>('/alerts/subscriptions')).data
      .items;
  }

  /** The answer is the only one that carries the subscription's secret. */
  async createAlertSubscription(body: AlertSubscriptionRequest): Promise<CreatedAlertSubscription> {
    return (await this.http.post<CreatedAlertSubscription>('/alerts/subscriptions', body)).data;
  }

  async deleteAlertSubscription(subscriptionId: string): Promise<void> {
    await this.http.delete(`/alerts/subscriptions/${encodeURIComponent(subscriptionId)}`);
  }

  /** A page of the alert delivery log, newest first. */
  async listAlertDeliveries(filter: DeliveryFilter, cursor?: string): Promise<Page<AlertDelivery>> {
    return (
      await this.http.get<Page<AlertDelivery>>('/alerts/deliveries', {
        params: paramsOf({ ...filter, cursor }),
      })
    ).data;
  }

  /** A page of the audit trail. */
  async searchAuditEvents(search: AuditSearch, cursor?: string): Promise<Page<AuditEvent>> {
    return (
      await this.http.get<Page<AuditEvent>>('/audit/events', {
        params: paramsOf({ ...search, cursor }),
      })
    ).data;
  }

  /**
   * The whole audit trail of a search as a file (GET /audit/events/export). The route takes
   * the token in the Authorization header only (no `?access_token=`), so a plain link cannot
   * download it: it comes as a blob, with the file name the service gives it. (Browsers do not
   * expose the SHA-256 trailer to scripts.)
   */
  async exportAuditEvents(
    search: AuditSearch,
    format: 'ndjson' | 'csv',
  ): Promise<{ blob: Blob; fileName: string }> {
    try {
      const response = await this.http.get<Blob>('/audit/events/export', {
        params: paramsOf({ ...search, format }),
        responseType: 'blob',
        timeout: EXPORT_TIMEOUT_MS,
      });
      const disposition = String(response.headers['content-disposition'] ?? '');
      const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `audit.${format}`;
      return { blob: response.data, fileName };
    } catch (thrown) {
      // An error's body came as a blob too: read it, so the message says what was wrong.
      const response = (thrown as { response?: { data?: unknown } }).response;
      if (response?.data instanceof Blob) {
        try {
          response.data = JSON.parse(await response.data.text());
        } catch {
          response.data = undefined;
        }
      }
      throw thrown;
    }
  }

  /** The release catalogue, newest first. */
  async listReleases(filter: ReleaseFilter): Promise<Page<Release>> {
    return (await this.http.get<Page<Release>>('/releases', { params: paramsOf(filter) })).data;
  }

  async getRelease(releaseId: string): Promise<Release> {
    return (await this.http.get<Release>(`/releases/${encodeURIComponent(releaseId)}`)).data;
  }

  /** `created` false: this very content was registered before (200), nothing changed. */
  async registerRelease(body: ReleaseRequest): Promise<{ release: Release; created: boolean }> {
    const response = await this.http.post<Release>('/releases', body);
    return { release: response.data, created: response.status === 201 };
  }

  async withdrawRelease(releaseId: string, reason: string): Promise<Release> {
    return (
      await this.http.post<Release>(`/releases/${encodeURIComponent(releaseId)}/withdraw`, {
        reason,
      })
    ).data;
  }

  /** The clients that run a release, are updating to it, or failed to install it. */
  async listReleaseClients(
    releaseId: string,
    query: { state?: ReleaseClientState; cursor?: string; limit?: number } = {},
  ): Promise<Page<ReleaseClient>> {
    return (
      await this.http.get<Page<ReleaseClient>>(
        `/releases/${encodeURIComponent(releaseId)}/clients`,
        { params: paramsOf(query) },
      )
    ).data;
  }

  /** An update to a release of the catalogue (409: withdrawn, constraints, downgrade). */
  async requestUpdateByRelease(
    clientId: string,
    body: { releaseId: string; allowDowngrade?: boolean },
  ): Promise<{ jobId: string }> {
    return (await this.http.post(`/clients/${encodeURIComponent(clientId)}/update`, body)).data;
  }

  async startRolloutByRelease(body: RolloutByReleaseRequest): Promise<{ rolloutId: string }> {
    return (await this.http.post('/rollouts', body)).data;
  }

  /**
   * URL of a change stream (`GET /jobs/changes`, `GET /rollouts/changes`): EventSource cannot
   * send headers, so the token rides along.
   */
  changesUrl(of: 'jobs' | 'rollouts'): string {
    return `${this.http.defaults.baseURL}/${of}/changes?access_token=${encodeURIComponent(this.token())}`;
  }
}

/** How the console signs in besides development sign-in: GET /console/settings. */
export async function consoleSettings(): Promise<{ oidc?: OidcSettings }> {
  return (await axios.get<{ oidc?: OidcSettings }>('/api/v1/console/settings')).data;
}

/** Development sign-in (only on a service running on its embedded development key). */
export const devSignIn = {
  async available(): Promise<{ tenant: string; roles: string[] } | undefined> {
    try {
      return (await axios.get('/api/v1/dev/sign-in')).data;
    } catch {
      return undefined;
    }
  },
  async token(role: string, tenant: string): Promise<string> {
    return (await axios.post('/api/v1/dev/sign-in', { role, tenant })).data.token;
  },
};
