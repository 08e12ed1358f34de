import type { UpdateCommand, UpdatePhase } from '@opcfleet/contracts';
import type { UpdateStarter } from '../../src/link/inbox';
import type { ReportDraft } from '../../src/link/status-reporter';

const BEFORE_GATE: UpdatePhase[] = ['received', 'pulling'];
const AFTER_GATE: UpdatePhase[] = [
  'pulled',
  'stopping_old',
  'starting_new',
  'verifying',
  'committed',
];
export const HAPPY_PHASES = [...BEFORE_GATE, ...AFTER_GATE];

/**
 * Stands in for the update machine in link tests: walks the happy path, reporting each phase,
 * and can be held after `pulling` (a gate) so a test can cut the broker mid-job.
 */
export class ScriptedRunner implements UpdateStarter {
  readonly started: string[] = [];
  private running: string | null = null;
  private release: () => void = () => {};
  private gate: Promise<void> = Promise.resolve();
  private finished: Promise<void> = Promise.resolve();

  constructor(private readonly report: (draft: ReportDraft) => Promise<unknown>) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  whenIdle(): Promise<void> {
    return this.finished;
  }

  /** Link tests do not cancel: a scripted job always carries on. */
  async requestCancel(jobId: string) {
    return this.started.includes(jobId)
      ? { outcome: 'too_late' as const, state: 'scripted' }
      : { outcome: 'unknown' as const };
  }

  async start(command: UpdateCommand) {
    if (this.running) {
      return { accepted: false as const, reason: `update ${this.running} is in progress` };
    }
    this.running = command.jobId;
    this.started.push(command.jobId);
    this.finished = this.run(command);
    return { accepted: true as const };
  }

  private async run(command: UpdateCommand): Promise<void> {
    const phase = (p: UpdatePhase) =>
      this.report({
        jobKind: 'update',
        jobId: command.jobId,
        correlationId: command.correlationId,
        phase: p,
        at: new Date().toISOString(),
        version: p === 'committed' ? command.payload.targetVersion : undefined,
      });
    for (const p of BEFORE_GATE) await phase(p);
    await this.gate;
    for (const p of AFTER_GATE) await phase(p);
    this.running = null;
  }
}
