import type { StatusReport } from '@opcfleet/contracts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What an SRE asks of one device, in Prometheus form. Fed by the status reports the agent
 * makes (each phase report closes the previous phase of that job), so the figures are the
 * same the service sees.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly updates = new Counter({
    name: 'edge_agent_updates_total',
    help: 'Update jobs finished, by outcome (committed, rolled_back, failed, rejected)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly configs = new Counter({
    name: 'edge_agent_config_jobs_total',
    help: 'Config jobs finished, by outcome (applied, rejected)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly phaseSeconds = new Histogram({
    name: 'edge_agent_update_phase_duration_seconds',
    help: 'Time an update job spent in each phase',
    labelNames: ['phase'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900],
    registers: [this.registry],
  });
  private readonly swapDowntime = new Gauge({
    name: 'edge_agent_last_swap_downtime_seconds',
    help: 'Last update: from stopping the old container until the new one was running (verifying began)',
    registers: [this.registry],
  });
  private readonly rollbacks = new Counter({
    name: 'edge_agent_rollbacks_total',
    help: 'Rollbacks started',
    registers: [this.registry],
  });
  private readonly reconnects = new Counter({
    name: 'edge_agent_mqtt_reconnects_total',
    help: 'Times the MQTT connection came back after being lost',
    registers: [this.registry],
  });
  /** Per running job: the phase it is in and since when; and when the old container stopped. */
  private readonly open = new Map<string, { phase: string; at: number; stoppingAt?: number }>();

  constructor(pendingReports: () => number) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'edge_agent_outbox_pending_reports',
      help: 'Status reports stored but not yet acknowledged by the broker',
      registers: [this.registry],
      collect() {
        this.set(pendingReports());
      },
    });
  }

  reconnected(): void {
    this.reconnects.inc();
  }

  observe(report: StatusReport): void {
    if (report.jobKind === 'config') {
      if (report.phase !== 'received') this.configs.inc({ outcome: report.phase });
      return;
    }
    const at = Date.parse(report.at);
    const previous = this.open.get(report.jobId);
    // Progress reports repeat the phase: it is still the same stay in that phase.
    if (previous?.phase === report.phase) return;
    if (previous)
      this.phaseSeconds.observe({ phase: previous.phase }, Math.max(0, at - previous.at) / 1000);
    const stoppingAt = report.phase === 'stopping_old' ? at : previous?.stoppingAt;
    if (report.phase === 'verifying' && stoppingAt !== undefined)
      this.swapDowntime.set((at - stoppingAt) / 1000);
    if (report.phase === 'rolling_back') this.rollbacks.inc();
    if (['committed', 'rolled_back', 'failed', 'rejected'].includes(report.phase)) {
      this.updates.inc({ outcome: report.phase });
      this.open.delete(report.jobId);
    } else {
      this.open.set(report.jobId, { phase: report.phase, at, stoppingAt });
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
