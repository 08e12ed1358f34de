import type { ConfigCommand } from '@opcfleet/contracts';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import {
  readJsonIfExists,
  removeDurably,
  removeStaleTempFiles,
  writeFileAtomic,
} from '../durable-files/durable-files';
import { NO_TRACER, type AgentTracer } from '../observability/tracer';
import {
  decideConfig,
  type AppliedConfig,
  type ConfigJobHandler,
  type ConfigOutcome,
  type WorkloadReloader,
} from './config-decision';

/**
 * Applies config commands: decides (pure), writes the workload's config file atomically, asks
 * the workload to reload, and puts the last good file back when the workload refuses the new
 * one. What was applied (version, job) and the last good content live in `stateDir`.
 */
export class ConfigApplier implements ConfigJobHandler {
  private constructor(
    private readonly deps: {
      stateDir: string;
      /** The file the workload reads, inside its bind-mounted config directory. */
      configFile: string;
      reloader: WorkloadReloader;
      logger: Logger;
      now?: () => Date;
      /** A span per apply, in the trace the command carried. */
      tracer?: AgentTracer;
    },
    private applied: AppliedConfig | null,
  ) {}

  static async open(deps: ConfigApplier['deps']): Promise<ConfigApplier> {
    await fs.mkdir(deps.stateDir, { recursive: true });
    await fs.mkdir(path.dirname(deps.configFile), { recursive: true });
    await removeStaleTempFiles(deps.stateDir);
    const applied = (await readJsonIfExists(path.join(deps.stateDir, APPLIED))) as
      AppliedConfig | undefined;
    return new ConfigApplier(deps, applied ?? null);
  }

  appliedVersion(): number | undefined {
    return this.applied?.version;
  }

  /** Applies the command, as the span `config apply` in the command's trace. */
  async apply(command: ConfigCommand): Promise<ConfigOutcome> {
    const tracer = this.deps.tracer ?? NO_TRACER;
    const span = tracer.startSpan('config apply', command.traceparent, {
      'opcfleet.job.id': command.jobId,
      'opcfleet.config.version': command.payload.version,
    });
    try {
      const outcome = await this.applyNow(command);
      span.setAttributes({ 'opcfleet.config.outcome': outcome.phase });
      if (outcome.phase === 'rejected')
        span.fail(`${outcome.error.code}: ${outcome.error.message}`);
      return outcome;
    } catch (error) {
      span.fail((error as Error).message);
      throw error;
    } finally {
      span.end();
    }
  }

  private async applyNow(command: ConfigCommand): Promise<ConfigOutcome> {
    const log = this.deps.logger.child({
      jobId: command.jobId,
      correlationId: command.correlationId,
    });
    const decision = decideConfig(command, this.applied);
    if (decision.action === 'reject')
      return { phase: 'rejected', configVersion: decision.version, error: decision.error };
    if (decision.action === 'already-applied')
      return { phase: 'applied', configVersion: decision.version };

    const lastGood = await this.lastGood();
    const content = `${JSON.stringify(decision.config, null, 2)}\n`;
    await writeFileAtomic(this.deps.configFile, content);
    log.info(
      { configVersion: decision.version, file: this.deps.configFile },
      'config file written, reloading the workload',
    );
    const verdict = await this.reload();
    if (!verdict.accepted) {
      log.warn(
        { configVersion: decision.version, reason: verdict.reason },
        'workload refused the config; restoring the last good one',
      );
      await this.restore(lastGood, log);
      return {
        phase: 'rejected',
        configVersion: decision.version,
        error: { code: 'workload_rejected', message: verdict.reason },
      };
    }
    await this.saveLastGood({ content });
    const applied: AppliedConfig = {
      version: decision.version,
      jobId: command.jobId,
      appliedAt: (this.deps.now?.() ?? new Date()).toISOString(),
    };
    await writeFileAtomic(path.join(this.deps.stateDir, APPLIED), JSON.stringify(applied));
    this.applied = applied;
    return { phase: 'applied', configVersion: decision.version };
  }

  private async reload() {
    try {
      return await this.deps.reloader.reload();
    } catch (err) {
      return { accepted: false as const, reason: `reload failed: ${(err as Error).message}` };
    }
  }

  /**
   * The content to put back if the workload refuses a new file: what it last accepted, or, before
   * the agent's first config, the file as provisioned (null: there was none). Kept on disk, so
   * a crash between writing a bad file and restoring cannot make the bad file the baseline.
   */
  private async lastGood(): Promise<LastGood> {
    const file = path.join(this.deps.stateDir, LAST_GOOD);
    const saved = (await readJsonIfExists(file)) as LastGood | undefined;
    if (saved) return saved;
    const provisioned = await fs
      .readFile(this.deps.configFile, 'utf8')
      .catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
    const baseline = { content: provisioned };
    await this.saveLastGood(baseline);
    return baseline;
  }

  private saveLastGood(lastGood: LastGood): Promise<void> {
    return writeFileAtomic(path.join(this.deps.stateDir, LAST_GOOD), JSON.stringify(lastGood));
  }

  /** The workload keeps running on its previous config; the file on disk must say the same. */
  private async restore(lastGood: LastGood, log: Logger): Promise<void> {
    if (lastGood.content !== null) await writeFileAtomic(this.deps.configFile, lastGood.content);
    else await removeDurably(this.deps.configFile);
    const again = await this.reload();
    if (!again.accepted && lastGood.content !== null) {
      log.error(
        { reason: again.reason },
        'the workload also refused the restored last good config',
      );
    }
  }
}

const APPLIED = 'applied.json';
const LAST_GOOD = 'last-good.json';

interface LastGood {
  content: string | null;
}
