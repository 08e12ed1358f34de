import { STATE_SUMMARY_SCHEMA, type ClientAddress, type StateSummary } from '@opcfleet/contracts';
import * as path from 'node:path';
import pino, { type Logger } from 'pino';
import { ConfigApplier } from '../config-apply/config-applier';
import type { WorkloadReloader } from '../config-apply/config-decision';
import type { AgentSettings, TracingSettings } from '../config/agent-settings';
import type { ContainerRuntime } from '../container-runtime/container-runtime.port';
import { DockerodeRuntime } from '../container-runtime/dockerode-runtime';
import { AgentMetrics } from '../inspection/agent-metrics';
import { InspectionServer } from '../inspection/inspection-server';
import { startTracer } from '../observability/tracing';
import { removeDurably, writeFileAtomic } from '../durable-files/durable-files';
import { Inbox } from '../link/inbox';
import { JobLedger } from '../link/job-ledger';
import { MqttLink } from '../link/mqtt-link';
import { Outbox } from '../link/outbox';
import { ServiceClock } from '../link/service-clock';
import { StatusReporter } from '../link/status-reporter';
import { FileSnapshotStore } from '../snapshot-store/file-snapshot-store';
import { UpdateJobRunner, type UpdateJobRunnerDeps } from '../update-machine/update-job-runner';
import type { EvidenceSettings } from '../update-machine/evidence/capture-evidence';
import {
  compileRedactionPatterns,
  DEFAULT_REDACTION_PATTERNS,
} from '../update-machine/evidence/redaction';
import type { WorkloadSettings } from '../update-machine/workload-settings';
import { HttpReloader } from '../workload-reload/http-reloader';
import { SignalReloader } from '../workload-reload/signal-reloader';
import { WorkloadWatch } from '../workload-watch/workload-watch';
import { lockDataDir } from './data-dir-lock';
import { warnWhenProbeTargetSilent } from './probe-target-check';
import { AGENT_VERSION, dataLayout } from './data-layout';

/** A skew this large is logged as a warning: expiry and the service's timestamps are off. */
const CLOCK_SKEW_WARNING_SECONDS = 30;

export interface AgentOverrides {
  logger?: Logger;
  runtime?: ContainerRuntime;
  /** Passed to the update runner (tests shorten deadlines and retries). */
  runner?: Pick<UpdateJobRunnerDeps, 'deadlines' | 'retry' | 'afterPersist' | 'progressIntervalMs'>;
}

export interface RunningAgent {
  inspectionPort: number;
  link: MqttLink;
  runner: UpdateJobRunner;
  reporter: StatusReporter;
  /** Graceful: lets a running update step finish (up to `graceMs`), sends what it can, says offline. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The daemon: opens its stores, resumes what a crash interrupted, then connects. Start order
 * matters: interrupted config jobs are re-applied and unfinished updates resumed (their
 * reports queue in the outbox) before any new command can arrive.
 */
export async function startEdgeAgent(
  settings: AgentSettings,
  overrides: AgentOverrides = {},
  /** OTLP export of the jobs' spans (loadTracingSettings); none: no tracing. */
  tracing?: TracingSettings,
): Promise<RunningAgent> {
  const address: ClientAddress = { tenantId: settings.tenantId, clientId: settings.clientId };
  const logger =
    overrides.logger ??
    pino({ level: settings.logLevel, base: { ...address, agentVersion: AGENT_VERSION } });
  const layout = dataLayout(settings.dataDir);
  // First: a second agent on this data dir must not touch its jobs (DataDirLockedError).
  const lock = await lockDataDir(settings.dataDir, layout.lock);
  if (lock.tookOver) {
    logger.warn({ previous: lock.tookOver }, 'took over the lock of an agent that is gone');
  }
  await removeDurably(layout.sessionConflict);
  const runtime =
    overrides.runtime ??
    new DockerodeRuntime({
      dockerHost: settings.dockerHost,
      insecureRegistries: settings.insecureRegistries,
    });

  const tracer = await startTracer(tracing, { ...address, agentVersion: AGENT_VERSION }, logger);
  const ledger = await JobLedger.open(layout.jobs);
  const outbox = await Outbox.open(layout.outbox);
  const metrics = new AgentMetrics(() => outbox.size());
  let link: MqttLink | null = null;
  const reporter = new StatusReporter({
    address,
    ledger,
    outbox,
    logger,
    ackTimeoutMs: settings.reportAckTimeoutSeconds * 1000,
    onReport: (report) => {
      metrics.observe(report);
      refreshState();
    },
  });
  const workloadSetup = workloadSettings(settings);
  const runner = new UpdateJobRunner({
    runtime,
    snapshots: new FileSnapshotStore(layout.updates),
    workload: workloadSetup,
    onPhase: async (phase) => {
      await reporter.report({ jobKind: 'update', ...phase });
    },
    evidence: evidenceSettings(settings),
    tracer,
    // Presence leaves the workload out while a job runs: say how it is once the job is over.
    onIdle: () => void watch.look().finally(workloadMayHaveChanged),
    logger,
    ...overrides.runner,
  });
  const configs = await ConfigApplier.open({
    stateDir: layout.config,
    configFile: path.join(settings.configDir, settings.configFileName),
    reloader: reloaderFor(settings),
    logger,
    tracer,
  });
  const serviceClock = new ServiceClock(undefined, (skewSeconds) => {
    const log = Math.abs(skewSeconds) >= CLOCK_SKEW_WARNING_SECONDS ? logger.warn : logger.info;
    log.call(
      logger,
      { clockSkewSeconds: skewSeconds },
      `device clock is ${Math.abs(skewSeconds)} s ${skewSeconds < 0 ? 'behind' : 'ahead of'} the service's`,
    );
    refreshState();
    link?.refreshPresence().catch((err) => logger.warn({ err }, 'presence not published'));
  });
  const inbox = new Inbox({
    address,
    ledger,
    reporter,
    updates: runner,
    configs,
    logger,
    serviceClock,
    sessionConflict: () => link?.sessionConflict() ?? null,
  });
  const watch = new WorkloadWatch({
    runtime,
    containerName: settings.workloadContainer,
    intervalMs: settings.workloadWatchSeconds * 1000,
    logger,
    paused: () => runner.current() !== null,
    onChange: workloadMayHaveChanged,
  });
  function workloadMayHaveChanged(): void {
    refreshState();
    link?.refreshPresence().catch((err) => logger.warn({ err }, 'presence not published'));
  }

  // Asked of the engine at most every 30 s: the summary is published with every report.
  let disk: { at: number; bytes: Promise<number | null> } | null = null;
  function freeDisk(): Promise<number | null> {
    if (!disk || Date.now() - disk.at > 30_000) {
      disk = { at: Date.now(), bytes: runtime.freeDiskBytes().catch(() => null) };
    }
    return disk.bytes;
  }

  async function describeState(): Promise<StateSummary> {
    const container = await runtime.inspectContainer(settings.workloadContainer).catch(() => null);
    const job = runner.current();
    const recent = ledger.recent(50);
    const lastVersion = recent.find((r) => r.kind === 'update' && r.lastReport?.version)?.lastReport
      ?.version;
    const failed = recent.find((r) => r.lastReport?.error)?.lastReport;
    const lastError = failed?.error && {
      jobId: failed.jobId,
      code: failed.error.code,
      message: failed.error.message.slice(0, 1024),
      at: failed.at,
    };
    const freeDiskBytes = await freeDisk();
    return {
      schema: STATE_SUMMARY_SCHEMA,
      ...address,
      at: new Date().toISOString(),
      agentVersion: AGENT_VERSION,
      workload: {
        version: lastVersion,
        image: container?.imageRef,
        running: container?.running ?? false,
        ...(!job && { problem: watch.current()?.problem }),
      },
      configVersion: configs.appliedVersion(),
      currentJob: job && { jobId: job.jobId, kind: 'update', state: job.state, since: job.since },
      clockSkewSeconds: serviceClock.skewSeconds(),
      ...(freeDiskBytes !== null && { freeDiskBytes }),
      lastTransitions: runner.recentTransitions(5),
      ...(lastError && { lastError }),
    };
  }
  // One state publication at a time, the latest state last: reports can come in bursts.
  let publishing: Promise<void> | null = null;
  let stale = false;
  function refreshState(): void {
    stale = true;
    publishing ??= (async () => {
      while (stale && link?.isConnected()) {
        stale = false;
        try {
          await link.publishState(await describeState());
        } catch (err) {
          logger.warn({ err }, 'state not published');
        }
      }
    })().finally(() => {
      publishing = null;
      if (stale && link?.isConnected()) refreshState();
    });
  }

  await inbox.resumeUnfinished();
  const resuming = runner
    .resumeUnfinished()
    .catch((err) => logger.error({ err }, 'resuming update jobs failed'));

  link = new MqttLink({
    settings,
    agentVersion: AGENT_VERSION,
    commands: inbox,
    reporter,
    logger,
    onReconnect: () => metrics.reconnected(),
    currentState: describeState,
    onSessionConflict: (conflict) => {
      const written = conflict
        ? writeFileAtomic(layout.sessionConflict, JSON.stringify(conflict))
        : removeDurably(layout.sessionConflict);
      written.catch((err) => logger.warn({ err }, 'session conflict not recorded for the CLI'));
    },
    presenceDetails: () => {
      const workload = runner.current() ? null : watch.current();
      return { ...(workload && { workload }), clockSkewSeconds: serviceClock.skewSeconds() };
    },
  });
  link.start();
  watch.start();
  // Mid-update the workload is being swapped: its answer would say nothing.
  if (!runner.current()) void warnWhenProbeTargetSilent(runtime, workloadSetup, logger);

  const inspection = new InspectionServer(
    {
      metrics,
      health: async () => ({
        ok: true,
        mqttConnected: link?.isConnected() ?? false,
        mqttSessionConflict: link?.sessionConflict() ?? null,
        outboxPending: outbox.size(),
        currentJob: runner.current(),
      }),
      state: async () => ({ ...(await describeState()), outboxPending: outbox.size() }),
    },
    logger,
  );
  const inspectionPort = await inspection.listen(settings.httpHost, settings.httpPort);
  logger.info(
    { inspectionPort, dataDir: settings.dataDir, mqttUrl: settings.mqttUrl },
    'edge agent started',
  );

  return {
    inspectionPort,
    link,
    runner,
    reporter,
    async stop(graceMs = 10_000) {
      logger.info({ graceMs, currentJob: runner.current() }, 'edge agent stopping');
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      // An unfinished update is safe on disk: what does not finish now resumes at the next start.
      await Promise.race([Promise.all([resuming, runner.whenIdle()]), deadline]);
      await Promise.race([
        reporter.flushed(),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
      await inspection.close();
      await watch.stop();
      await link?.stop();
      // The last spans of a job, exported if the collector answers soon.
      await Promise.race([
        tracer.shutdown().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
      await lock.release();
    },
  };
}

function evidenceSettings(settings: AgentSettings): EvidenceSettings {
  return {
    workloadLines: settings.evidenceLogLines,
    redaction: compileRedactionPatterns([
      ...(settings.evidenceRedactDefaults ? DEFAULT_REDACTION_PATTERNS : []),
      ...settings.evidenceRedactPatterns,
    ]),
  };
}

function workloadSettings(settings: AgentSettings): WorkloadSettings {
  const { registryUsername, registryPassword, registryServer } = settings;
  return {
    containerName: settings.workloadContainer,
    registryAuth:
      registryUsername && registryPassword && registryServer
        ? { username: registryUsername, password: registryPassword, serveraddress: registryServer }
        : undefined,
    health: {
      settleMs: settings.healthSettleMs,
      probeTimeoutMs: settings.healthProbeTimeoutMs,
      probe:
        settings.healthProbePort !== undefined
          ? {
              kind: 'http',
              port: settings.healthProbePort,
              path: settings.healthProbePath,
              host: settings.healthProbeHost,
            }
          : undefined,
    },
    diskFloorBytes: settings.diskFloorBytes,
    stopTimeoutSeconds: settings.stopTimeoutSeconds,
    probationMs: settings.probationSeconds * 1000,
  };
}

function reloaderFor(settings: AgentSettings): WorkloadReloader {
  if (settings.reloadMethod === 'http') {
    return new HttpReloader({ url: settings.reloadUrl!, timeoutMs: settings.reloadTimeoutMs });
  }
  return new SignalReloader({
    dockerHost: settings.dockerHost,
    container: settings.workloadContainer,
    signal: settings.reloadSignal,
    verdictUrl: settings.configVerdictUrl,
    timeoutMs: settings.reloadTimeoutMs,
  });
}
