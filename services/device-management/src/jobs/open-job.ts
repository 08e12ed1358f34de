import {
  decideClient,
  evolveClientBy,
  foldClient,
  type Client,
  type ClientState,
} from '../clients/domain/client.decider';
import type { ClientCommand } from '../clients/domain/client.decider';
import type { ClientEvent } from '../clients/domain/client.events';
import { EventStreams, retryOnConflict } from '../event-sourcing/event-streams';
import { notFound } from '../shared/domain/domain-error';
import type { CommandContext, DomainEvent, IsoTimestamp } from '../shared/domain/domain-event';
import { clientStream, jobKindOfStream } from '../shared/domain/stream-names';
import { foldJob } from './job-kinds';

export interface JobOpening {
  /** The client command that marks the job (StartUpdate, RequestConfig). */
  mark: ClientCommand;
  /** The job's first events. */
  open: DomainEvent[];
}

/**
 * Opens a job on a client: the client's mark at the client stream's revision and the job's
 * first events, in one transaction, decided again on the fresh state when another writer got
 * in between. `before` may repair the loaded client and ask for a reload (return true).
 */
export function openJobOnClient(
  streams: EventStreams,
  job: { context: CommandContext; clientId: string; jobStreamName: string },
  decide: (client: Client, now: IsoTimestamp) => JobOpening,
  before?: (client: Client) => Promise<boolean>,
): Promise<void> {
  const stream = clientStream(job.context.tenantId, job.clientId);
  return retryOnConflict(async () => {
    const now = new Date().toISOString();
    const client = await streams.load<ClientState, ClientEvent>(stream, foldClient);
    if (!client.state) throw notFound('client', job.clientId);
    if (before && (await before(client.state))) return retryOnConflict.again();
    const { mark, open } = decide(client.state, now);
    const marked = decideClient(mark, client.state);
    const kind = jobKindOfStream(job.jobStreamName)!;
    await streams.appendAtomically(
      {
        streamName: stream,
        events: marked,
        expectedRevision: client.expectedRevision,
        context: job.context,
        stateAfter: evolveClientBy(client.state, marked),
      },
      [
        {
          streamName: job.jobStreamName,
          events: open,
          expectedRevision: 'no_stream',
          context: job.context,
          stateAfter: foldJob(kind, open),
        },
      ],
    );
  });
}
