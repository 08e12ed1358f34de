import { useEffect, useMemo, useState } from 'react';
import { SECURITY_MODES, SECURITY_POLICIES } from '@opcfleet/contracts/config/opc-client-config';
import type { ClientHistory, ClientView } from '../api/types';
import { configFormValues, toConfigSettings, type ConfigFormValues } from '../forms/config-form';
import { toUpdateRequest, type UpdateFormValues } from '../forms/update-form';
import { hrefOf } from '../router';
import { useAction, useJobChanges, useLoaded, useMay, useSession, useThrottled } from '../session';
import {
  clientStatusText,
  configText,
  jobSummary,
  labelsText,
  versionText,
} from '../ui/client-status';
import { ErrorNotice, Field, StatusBadge, formatTime } from '../ui/components';
import { ReleaseSelect, useInstallableReleases } from '../ui/ReleaseSelect';

/** One client: versions, presence, its jobs, and the actions the role allows. */
export function ClientPage({ clientId }: { clientId: string }) {
  const { api } = useSession();
  const client = useLoaded(() => api.getClient(clientId), [api, clientId]);
  const history = useLoaded(() => api.getClientHistory(clientId), [api, clientId]);
  const refresh = () => {
    client.refresh();
    history.refresh();
  };
  const refreshSoon = useThrottled(refresh, 100);
  useJobChanges((job) => {
    if (!job || job.clientId === clientId) refreshSoon();
  });
  const mayUpdate = useMay('update');
  const mayConfigure = useMay('configure');

  if (client.error) {
    return (
      <main>
        <h1>Client {clientId}</h1>
        <ErrorNotice error={client.error} />
      </main>
    );
  }
  const view = client.value;
  return (
    <main>
      <h1>Client {clientId}</h1>
      {view && <ClientFacts client={view} />}
      <DevicePanel clientId={clientId} />
      {view && mayUpdate && <ReleaseUpdateForm client={view} onRequested={refresh} />}
      {view && mayUpdate && <UpdateForm client={view} onRequested={refresh} />}
      {view && mayUpdate && <RollBackAction client={view} onRequested={refresh} />}
      {view && history.value && mayConfigure && (
        <ConfigForm client={view} history={history.value} onRequested={refresh} />
      )}
      <section aria-labelledby="jobs">
        <h2 id="jobs">Jobs</h2>
        <ErrorNotice error={history.error} />
        <ol className="timeline">
          {history.value?.jobs.map((job) => (
            <li key={job.jobId}>
              <a href={hrefOf.job(job.jobId)}>
                {job.kind === 'update'
                  ? `Update to ${job.targetVersion}`
                  : `Configuration v${job.configVersion}`}
              </a>{' '}
              <span className="job-summary">{jobSummary(job)}</span>{' '}
              <time dateTime={job.requestedAt}>{formatTime(job.requestedAt)}</time>
            </li>
          ))}
        </ol>
        {history.value?.jobs.length === 0 && <p>No jobs yet.</p>}
      </section>
    </main>
  );
}

function ClientFacts({ client }: { client: ClientView }) {
  return (
    <dl className="facts" aria-label="Client facts">
      <dt>Status</dt>
      <dd data-testid="client-status">
        <StatusBadge status={client.status} text={clientStatusText(client)} />
        {client.updateJobId && (
          <>
            {' '}
            <a href={hrefOf.job(client.updateJobId)}>the running update</a>
          </>
        )}
      </dd>
      <dt>Version</dt>
      <dd data-testid="client-version">{versionText(client)}</dd>
      <dt>Configuration</dt>
      <dd data-testid="client-config">{configText(client)}</dd>
      <dt>Presence</dt>
      <dd>{client.presence ?? 'never connected'}</dd>
      <dt>Last seen</dt>
      <dd>{formatTime(client.lastSeenAt)}</dd>
      <dt>Labels</dt>
      <dd>{labelsText(client.labels) || 'none'}</dd>
      {client.lastUpdateOutcome && (
        <>
          <dt>Last update</dt>
          <dd>{client.lastUpdateOutcome}</dd>
        </>
      )}
    </dl>
  );
}

/**
 * An update to a release of the catalogue: its image, digest and version. The service judges
 * the client (the release's constraint labels, no downgrade unless allowed) and says no in a
 * 409, shown in words.
 */
function ReleaseUpdateForm({
  client,
  onRequested,
}: {
  client: ClientView;
  onRequested: () => void;
}) {
  const { api } = useSession();
  const action = useAction();
  const releases = useInstallableReleases();
  const [releaseId, setReleaseId] = useState('');
  const [allowDowngrade, setAllowDowngrade] = useState(false);
  const [tried, setTried] = useState(false);
  return (
    <section aria-labelledby="update-release">
      <h2 id="update-release">Update to a release</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setTried(true);
          if (!releaseId) return;
          void action
            .run(() =>
              api.requestUpdateByRelease(client.clientId, {
                releaseId,
                ...(allowDowngrade && { allowDowngrade }),
              }),
            )
            .then((done) => done && onRequested());
        }}
      >
        <div className="row">
          <ReleaseSelect
            id="update-release-id"
            releases={releases}
            value={releaseId}
            error={tried && !releaseId ? 'choose a release' : undefined}
            onChange={(id) => (setReleaseId(id), action.clearError())}
          />
          <div className="field checkbox">
            <label>
              <input
                type="checkbox"
                checked={allowDowngrade}
                onChange={(e) => (setAllowDowngrade(e.target.checked), action.clearError())}
              />{' '}
              Allow downgrade
            </label>
          </div>
        </div>
        <button type="submit" disabled={action.busy}>
          Update to release
        </button>
        <ErrorNotice error={action.error} />
      </form>
    </section>
  );
}

function UpdateForm({ client, onRequested }: { client: ClientView; onRequested: () => void }) {
  const { api } = useSession();
  const action = useAction();
  const [values, setValues] = useState<UpdateFormValues>({
    image: '',
    targetVersion: '',
    imageDigest: '',
  });
  const [tried, setTried] = useState(false);
  const result = toUpdateRequest(values);
  const errors = result.ok ? {} : result.errors;
  const shown = (field: keyof UpdateFormValues) =>
    tried || values[field] !== '' ? errors[field] : undefined;
  const set = (field: keyof UpdateFormValues) => (value: string) =>
    setValues((v) => ({ ...v, [field]: value }));

  return (
    <section aria-labelledby="update">
      <h2 id="update">Update by image</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setTried(true);
          if (!result.ok) return;
          void action
            .run(() => api.requestUpdate(client.clientId, result.request))
            .then((done) => done && onRequested());
        }}
      >
        <TextField
          id="update-image"
          label="Image"
          error={shown('image')}
          value={values.image}
          placeholder="registry.example.com/opc-core:2.1.0"
          onChange={set('image')}
        />
        <TextField
          id="update-version"
          label="Version"
          error={shown('targetVersion')}
          value={values.targetVersion}
          placeholder="2.1.0"
          onChange={set('targetVersion')}
        />
        <TextField
          id="update-digest"
          label="Digest (optional)"
          error={shown('imageDigest')}
          value={values.imageDigest}
          placeholder="sha256:…"
          onChange={set('imageDigest')}
        />
        <button type="submit" disabled={action.busy}>
          Update
        </button>
        <ErrorNotice error={action.error} />
      </form>
    </section>
  );
}

/**
 * One action back to the release the client ran before its last succeeded update (the agent
 * still holds its image); the service says no when it knows of none.
 */
function RollBackAction({ client, onRequested }: { client: ClientView; onRequested: () => void }) {
  const { api } = useSession();
  const action = useAction();
  return (
    <section aria-labelledby="roll-back">
      <h2 id="roll-back">Roll back</h2>
      <p>Back to the release it ran before its last update.</p>
      <button
        type="button"
        disabled={action.busy}
        onClick={() =>
          void action
            .run(() => api.rollBackClient(client.clientId))
            .then((done) => done && onRequested())
        }
      >
        Roll back to the previous release
      </button>
      <ErrorNotice error={action.error} />
    </section>
  );
}

/** The configuration of the latest config job (what the client was last told), if any. */
function latestSettings(history: ClientHistory): unknown {
  for (const job of history.jobs) {
    if (job.kind !== 'config') continue;
    const requested = job.events.find((event) => event.type === 'ConfigChangeRequested');
    if (requested) return requested.data.settings;
  }
  return undefined;
}

/** A labelled text input of a form, its error beside it. */
function TextField({
  numeric,
  placeholder,
  value,
  onChange,
  ...field
}: {
  id: string;
  label: string;
  error?: string;
  numeric?: boolean;
  placeholder?: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field {...field}>
      {(props) => (
        <input
          {...props}
          {...(numeric && { inputMode: 'numeric' as const })}
          placeholder={placeholder}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** A labelled choice among fixed options, its error beside it. */
function SelectField({
  options,
  value,
  onChange,
  ...field
}: {
  id: string;
  label: string;
  error?: string;
  options: readonly string[];
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field {...field}>
      {(props) => (
        <select {...props} value={value} onChange={(e) => onChange(e.target.value)}>
          {options.map((option) => (
            <option key={option}>{option}</option>
          ))}
        </select>
      )}
    </Field>
  );
}

function ConfigForm({
  client,
  history,
  onRequested,
}: {
  client: ClientView;
  history: ClientHistory;
  onRequested: () => void;
}) {
  const { api } = useSession();
  const action = useAction();
  const initial = useMemo(() => configFormValues(latestSettings(history)), [history]);
  const [values, setValues] = useState<ConfigFormValues | undefined>();
  const form = values ?? initial;
  const result = toConfigSettings(form);
  const errors = { ...(result.ok ? {} : result.errors), ...serverErrors(action.error) };
  const nextVersion = client.config.desired + 1;
  const edit = (change: (draft: ConfigFormValues) => void) => {
    const draft = structuredClone(form);
    change(draft);
    action.clearError();
    setValues(draft);
  };

  return (
    <section aria-labelledby="configure">
      <h2 id="configure">Change configuration</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!result.ok) return;
          void action
            .run(() =>
              api.requestConfig(client.clientId, {
                version: nextVersion,
                settings: result.settings,
              }),
            )
            .then((done) => {
              if (!done) return;
              setValues(undefined);
              onRequested();
            });
        }}
      >
        <fieldset>
          <legend>Endpoints</legend>
          {form.endpoints.map((endpoint, i) => (
            <div className="row" key={i}>
              <TextField
                id={`ep-${i}-name`}
                label="Name"
                error={errors[`endpoints.${i}.name`]}
                value={endpoint.name}
                onChange={(v) => edit((d) => void (d.endpoints[i].name = v))}
              />
              <TextField
                id={`ep-${i}-url`}
                label="URL"
                error={errors[`endpoints.${i}.url`]}
                value={endpoint.url}
                onChange={(v) => edit((d) => void (d.endpoints[i].url = v))}
              />
              <SelectField
                id={`ep-${i}-mode`}
                label="Security mode"
                error={errors[`endpoints.${i}.securityMode`]}
                options={SECURITY_MODES}
                value={endpoint.securityMode}
                onChange={(v) => edit((d) => void (d.endpoints[i].securityMode = v))}
              />
              <SelectField
                id={`ep-${i}-policy`}
                label="Security policy"
                error={errors[`endpoints.${i}.securityPolicy`]}
                options={SECURITY_POLICIES}
                value={endpoint.securityPolicy}
                onChange={(v) => edit((d) => void (d.endpoints[i].securityPolicy = v))}
              />
              <button
                type="button"
                disabled={form.endpoints.length === 1}
                onClick={() => edit((d) => void d.endpoints.splice(i, 1))}
              >
                Remove endpoint {endpoint.name}
              </button>
            </div>
          ))}
          <button
            type="button"
            onClick={() =>
              edit(
                (d) =>
                  void d.endpoints.push({
                    name: '',
                    url: 'opc.tcp://',
                    securityMode: 'SignAndEncrypt',
                    securityPolicy: 'Basic256Sha256',
                  }),
              )
            }
          >
            Add endpoint
          </button>
          {errors.endpoints && <p className="field-error">{errors.endpoints}</p>}
        </fieldset>
        <fieldset>
          <legend>Nodes</legend>
          {form.nodes.map((node, i) => (
            <div className="row" key={i}>
              <TextField
                id={`node-${i}-endpoint`}
                label="Endpoint"
                error={errors[`nodes.${i}.endpoint`]}
                value={node.endpoint}
                onChange={(v) => edit((d) => void (d.nodes[i].endpoint = v))}
              />
              <TextField
                id={`node-${i}-id`}
                label="Node id"
                error={errors[`nodes.${i}.nodeId`]}
                value={node.nodeId}
                onChange={(v) => edit((d) => void (d.nodes[i].nodeId = v))}
              />
              <TextField
                id={`node-${i}-sampling`}
                label="Sampling interval (ms)"
                error={errors[`nodes.${i}.samplingIntervalMs`]}
                numeric
                value={node.samplingIntervalMs}
                onChange={(v) => edit((d) => void (d.nodes[i].samplingIntervalMs = v))}
              />
              <TextField
                id={`node-${i}-publishing`}
                label="Publishing interval (ms)"
                error={errors[`nodes.${i}.publishingIntervalMs`]}
                numeric
                value={node.publishingIntervalMs}
                onChange={(v) => edit((d) => void (d.nodes[i].publishingIntervalMs = v))}
              />
              <button type="button" onClick={() => edit((d) => void d.nodes.splice(i, 1))}>
                Remove node {node.nodeId}
              </button>
            </div>
          ))}
          <button
            type="button"
            onClick={() =>
              edit(
                (d) =>
                  void d.nodes.push({
                    endpoint: d.endpoints[0]?.name ?? '',
                    nodeId: '',
                    samplingIntervalMs: '1000',
                    publishingIntervalMs: '1000',
                  }),
              )
            }
          >
            Add node
          </button>
        </fieldset>
        <fieldset>
          <legend>Buffering</legend>
          <div className="row">
            <TextField
              id="buffer-messages"
              label="Max messages"
              error={errors['buffering.maxMessages']}
              numeric
              value={form.buffering.maxMessages}
              onChange={(v) => edit((d) => void (d.buffering.maxMessages = v))}
            />
            <TextField
              id="buffer-bytes"
              label="Max bytes"
              error={errors['buffering.maxBytes']}
              numeric
              value={form.buffering.maxBytes}
              onChange={(v) => edit((d) => void (d.buffering.maxBytes = v))}
            />
            <Field
              id="buffer-overflow"
              label="When full"
              error={errors['buffering.overflowPolicy']}
            >
              {(props) => (
                <select
                  {...props}
                  value={form.buffering.overflowPolicy}
                  onChange={(e) => edit((d) => void (d.buffering.overflowPolicy = e.target.value))}
                >
                  <option value="dropOldest">drop oldest</option>
                  <option value="dropNewest">drop newest</option>
                </select>
              )}
            </Field>
          </div>
        </fieldset>
        <button type="submit" disabled={action.busy || !result.ok}>
          Apply configuration v{nextVersion}
        </button>
        {!result.ok && (
          <p className="hint">Fix the fields marked above: nothing is sent until they are valid.</p>
        )}
        <ErrorNotice error={action.error} />
      </form>
    </section>
  );
}

/** The service's field errors (400) point into `settings`: shown beside the same inputs. */
function serverErrors(error: ReturnType<typeof useAction>['error']): Record<string, string> {
  const byPath: Record<string, string> = {};
  for (const { path, message } of error?.fieldErrors ?? []) {
    byPath[path.replace(/^settings\./, '')] = message;
  }
  return byPath;
}

/** The agent's state summaries are not on the change stream: asked for again this often. */
const DEVICE_STATE_POLL_MS = 1_000;

/** What the agent on the device last said: the SRE's view without a shell on it. */
function DevicePanel({ clientId }: { clientId: string }) {
  const { api } = useSession();
  const device = useLoaded(() => api.getDeviceState(clientId), [api, clientId]);
  const { refresh } = device;
  useEffect(() => {
    const timer = setInterval(refresh, DEVICE_STATE_POLL_MS);
    return () => clearInterval(timer);
  }, [refresh]);
  const state = device.value;
  return (
    <section aria-labelledby="device">
      <h2 id="device">Device</h2>
      <ErrorNotice error={device.error} />
      {state && !state.reported && <p>The agent has not reported its state yet.</p>}
      {state?.reported && (
        <dl data-testid="device-state">
          {state.stale && (
            <>
              <dt>Note</dt>
              <dd>Offline: this is what the agent said last.</dd>
            </>
          )}
          <dt>Agent</dt>
          <dd>{state.agentVersion}</dd>
          <dt>Workload</dt>
          <dd>
            {state.workload?.version ?? 'unknown version'},{' '}
            {state.workload?.running ? 'running' : 'not running'}
          </dd>
          <dt>Current job</dt>
          <dd>
            {state.currentJob ? (
              <a href={hrefOf.job(state.currentJob.jobId)}>
                {state.currentJob.state} since {formatTime(state.currentJob.since)}
              </a>
            ) : (
              'none'
            )}
          </dd>
          <dt>Clock skew</dt>
          <dd>{state.clockSkewSeconds ?? 0} s</dd>
          {state.freeDiskBytes !== undefined && (
            <>
              <dt>Free disk for images</dt>
              <dd>{(state.freeDiskBytes / 1024 ** 3).toFixed(1)} GiB</dd>
            </>
          )}
          {state.lastTransitions && state.lastTransitions.length > 0 && (
            <>
              <dt>Last states</dt>
              <dd>
                {state.lastTransitions
                  .map(({ state: to, at }) => `${to} ${formatTime(at)}`)
                  .join(' → ')}
              </dd>
            </>
          )}
          {state.lastError && (
            <>
              <dt>Last error</dt>
              <dd>
                <a href={hrefOf.job(state.lastError.jobId)}>{state.lastError.code}</a>:{' '}
                {state.lastError.message} ({formatTime(state.lastError.at)})
              </dd>
            </>
          )}
          <dt>Reported</dt>
          <dd>{state.reportedAt ? formatTime(state.reportedAt) : ''}</dd>
        </dl>
      )}
    </section>
  );
}
