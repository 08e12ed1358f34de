import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { clientsOfTenant } from '../../clients/list-clients/clients-query';
import { ReleaseStreams } from '../../releases/release-streams';
import { DomainError } from '../../shared/domain/domain-error';
import { decideRollout } from '../domain/rollout.decider';
import type { RolloutStarted } from '../domain/rollout.events';
import { resolvePhases } from '../domain/rollout-phases';
import { RolloutStreams } from '../rollout-streams';
import { StartRollout, type StartRolloutResult } from './start-rollout.command';
import { MAX_ROLLOUT_TARGETS } from './start-rollout.request.dto';

/**
 * Opens the rollout stream with RolloutStarted. Nothing else: the rollout driver sees the
 * event through its subscription and requests the first wave. Targets chosen by labels are
 * resolved here, once, from the clients read model, and recorded in the event.
 */
@CommandHandler(StartRollout)
export class StartRolloutHandler implements ICommandHandler<StartRollout, StartRolloutResult> {
  constructor(
    private readonly rollouts: RolloutStreams,
    private readonly dataSource: DataSource,
    private readonly releases: ReleaseStreams,
  ) {}

  async execute(command: StartRollout): Promise<StartRolloutResult> {
    const { context, targets, what, batchSize, maxFailures } = command;
    const { maxFailureRate, phases, retries, window } = command;
    const followUntil = followUntilOf(command);
    // A release is resolved first: a withdrawn or unknown one starts nothing.
    const update = 'config' in what ? undefined : await this.updateOf(context.tenantId, what);
    const clientIds =
      'labels' in targets
        ? await this.clientsLabelled(context.tenantId, targets.labels)
        : targets.clientIds;
    const targetTimeZones = window?.timeZoneLabel
      ? await this.labelValues(context.tenantId, clientIds, window.timeZoneLabel)
      : undefined;
    const rolloutId = randomUUID();
    const events = decideRollout(
      {
        type: 'StartRollout',
        data: {
          rolloutId,
          tenantId: context.tenantId,
          ...('config' in what ? { config: what.config } : update),
          targets: clientIds,
          ...('labels' in targets ? { selector: { labels: targets.labels } } : {}),
          batchSize,
          maxFailures,
          ...(maxFailureRate ? { maxFailureRate } : {}),
          ...(phases ? { phases: resolvePhases(phases, clientIds.length, batchSize) } : {}),
          ...(retries ? { retries } : {}),
          ...(window ? { window } : {}),
          ...(targetTimeZones ? { targetTimeZones } : {}),
          ...(followUntil ? { followUntil } : {}),
          startedAt: new Date().toISOString(),
        },
      },
      null,
    );
    await this.rollouts.append(null, events, {
      expectedRevision: 'no_stream',
      context,
    });
    return { rolloutId };
  }

  /** The update of an update rollout; by release, the release's, with what clients must meet. */
  private async updateOf(
    tenantId: string,
    what: Exclude<StartRollout['what'], { config: unknown }>,
  ): Promise<Pick<RolloutStarted['data'], 'image' | 'targetVersion' | 'imageDigest' | 'release'>> {
    if ('update' in what) return what.update;
    const { releaseId, allowDowngrade } = what.release;
    const release = await this.releases.installable(tenantId, releaseId);
    return {
      image: release.image,
      targetVersion: release.version,
      imageDigest: release.imageDigest,
      release: {
        releaseId,
        constraints: release.constraints,
        ...(allowDowngrade ? { allowDowngrade } : {}),
      },
    };
  }

  private async clientsLabelled(
    tenantId: string,
    labels: Record<string, string>,
  ): Promise<string[]> {
    const rows = await clientsOfTenant(this.dataSource, tenantId, labels)
      .select('c.client_id', 'clientId')
      .limit(MAX_ROLLOUT_TARGETS + 1)
      .getRawMany<{ clientId: string }>();
    const problem =
      rows.length === 0
        ? 'no registered client has all these labels'
        : rows.length > MAX_ROLLOUT_TARGETS
          ? `more than ${MAX_ROLLOUT_TARGETS} clients have these labels`
          : null;
    if (problem) {
      throw new DomainError('invalid_input', problem, {
        fieldErrors: [{ path: 'labels', message: problem }],
      });
    }
    return rows.map((row) => row.clientId);
  }

  /**
   * The value of `label` on each of the clients that carry it (from the clients read model),
   * by client id: the zones of a window by client label. The decider reads them as zones.
   */
  private async labelValues(
    tenantId: string,
    clientIds: string[],
    label: string,
  ): Promise<Record<string, string>> {
    const rows = await clientsOfTenant(this.dataSource, tenantId, {})
      .andWhere('c.client_id = ANY(:clientIds)', { clientIds })
      .andWhere('c.labels ->> :label IS NOT NULL', { label })
      .select('c.client_id', 'clientId')
      .addSelect('c.labels ->> :label', 'value')
      .getRawMany<{ clientId: string; value: string }>();
    return Object.fromEntries(rows.map(({ clientId, value }) => [clientId, value]));
  }
}

/** The deadline of a rollout that follows its labels: in the future, and only with labels. */
function followUntilOf({ followUntil, targets }: StartRollout): string | undefined {
  if (followUntil === undefined) return undefined;
  const problem = !('labels' in targets)
    ? 'followUntil needs labels to follow'
    : Date.parse(followUntil) <= Date.now()
      ? 'followUntil must be in the future'
      : undefined;
  if (problem) {
    throw new DomainError('invalid_input', problem, {
      fieldErrors: [{ path: 'followUntil', message: problem }],
    });
  }
  return new Date(followUntil).toISOString();
}
