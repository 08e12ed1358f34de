import type { EventStore, RecordedEvent } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { deterministicId } from '../../shared/domain/deterministic-id';
import { idName } from '../../shared/domain/stream-names';
import { LEGACY_PREFIXES, planStreamNamesV2, type LegacyStream } from './stream-names-v2.plan';

const PAGE = 5_000;
/** Renames per call: each is all or nothing, and the migration can be run again. */
const RENAMES_PER_CALL = 1_000;

export interface StreamNamesV2Result {
  renamed: number;
  repaired: number;
  foreignEvents: number;
  unreadable: number;
}

/**
 * Gives every stream written before names v2 its v2 name (see stream-names-v2.plan.ts), in
 * place: events keep their ids, revisions, positions and times. Safe to run again: what is
 * renamed is no longer found by the legacy prefixes.
 */
export async function migrateStreamNamesV2(
  store: EventStore,
  logger: Logger,
  now: () => Date = () => new Date(),
): Promise<StreamNamesV2Result> {
  const streams = await readLegacyStreams(store);
  const plan = planStreamNamesV2(streams, now().toISOString());
  for (const stream of plan.unreadable) {
    logger.error({ stream }, 'legacy stream left as it is: its first event does not name it');
  }
  if (plan.foreign.length > 0) {
    logger.error(
      { events: plan.foreign.slice(0, 50), count: plan.foreign.length },
      'client streams shared by two tenants (ids that joined alike): the other tenant’s jobs are ended on the owner’s stream',
    );
  }
  for (let i = 0; i < plan.renames.length; i += RENAMES_PER_CALL) {
    await store.renameStreams(plan.renames.slice(i, i + RENAMES_PER_CALL));
    logger.info(
      { done: Math.min(i + RENAMES_PER_CALL, plan.renames.length), of: plan.renames.length },
      'renaming legacy streams',
    );
  }
  for (const repair of plan.repairs) {
    await store.appendToStream(
      repair.streamName,
      repair.events.map((event, index) => ({
        id: deterministicId(idName('stream-names-v2', 'ended', repair.jobIds[index])),
        type: event.type,
        data: event.data,
        metadata: {
          actor: 'system:migration',
          tenantId: repair.tenantId,
          correlationId: 'stream-names-v2',
        },
      })),
      { expectedRevision: repair.expectedRevision },
    );
  }
  return {
    renamed: plan.renames.length,
    repaired: plan.repairs.length,
    foreignEvents: plan.foreign.length,
    unreadable: plan.unreadable.length,
  };
}

/** Every legacy stream: all events of client streams, the first event of the others. */
async function readLegacyStreams(store: EventStore): Promise<LegacyStream[]> {
  const streams = new Map<string, Collected>();
  let after: string | undefined;
  for (;;) {
    const { events, next } = await store.readAll({
      after,
      maxCount: PAGE,
      streamPrefixes: [...LEGACY_PREFIXES],
    });
    for (const event of events) collect(streams, event);
    if (next === undefined || (events.length === 0 && next === after)) break;
    after = next;
  }
  return [...streams.values()];
}

type Collected = LegacyStream & { events: LegacyStream['events'][number][] };

function collect(streams: Map<string, Collected>, event: RecordedEvent): void {
  const facts = { type: event.type, data: event.data, metadata: event.metadata };
  const stream = streams.get(event.streamName);
  if (!stream) {
    streams.set(event.streamName, {
      name: event.streamName,
      revision: event.revision,
      events: [facts],
    });
    return;
  }
  stream.revision = Math.max(stream.revision, event.revision);
  // A client stream is folded to find other tenants' jobs in it; a job's first event names it.
  if (event.streamName.startsWith('client-')) stream.events.push(facts);
}
