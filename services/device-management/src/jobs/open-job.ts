import type { ExpectedRevision } from '@opcfleet/event-store';
import {
  decideClient,
  evolveClientBy,
  foldClient,
  type Client,
  type ClientState,
} from '../clients/domain/client.decider';
import type { ClientCommand } from '../clients/domain/client.decider';
import type { ClientEvent } from '../clients/domain/client.events';
import {
  EventStreams,
  refusedStreams,
  retryOnConflict,
  type StreamAppend,
} from '../event-sourcing/event-streams';
import { DomainError, notFound } from '../shared/domain/domain-error';
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
    const client = await streams.loadToAppend<ClientState, ClientEvent>(stream, foldClient);
    // A refusal on this process's copy of the client, or a repair, is decided again on the
    // store's state.
    const loadFromStore = () => {
      streams.forget(stream);
      return retryOnConflict.again();
    };
    if (!client.state) throw notFound('client', job.clientId);
    if (before && (await before(client.state))) return loadFromStore();
    let opening: JobOpening;
    let appends: [StreamAppend, StreamAppend];
    try {
      opening = decide(client.state, now);
      appends = openingAppends(job, stream, client.state, client.expectedRevision, opening);
    } catch (error) {
      if (client.cached && error instanceof DomainError) return loadFromStore();
      throw error;
    }
    await streams.appendAtomically(appends[0], [appends[1]]);
  });
}

export interface JobToOpen {
  context: CommandContext;
  clientId: string;
  jobStreamName: string;
  decide: (client: Client, now: IsoTimestamp) => JobOpening;
}

/**
 * Opens many jobs, each on its own client (a rollout's wave), in one atomic append: the
 * clients' streams read in one query, each mark at its stream's revision. True for each job
 * opened so. A job that cannot go this way is left out (false) and the others are appended
 * again: its client unknown or busy, a refusal of the deciders, a client stream that moved in
 * between, a second job on the same client. `openJobOnClient` then opens it alone, or says
 * why not.
 */
export async function openJobsOnClients(
  streams: EventStreams,
  jobs: readonly JobToOpen[],
): Promise<boolean[]> {
  const opened = jobs.map(() => false);
  const names = jobs.map((job) => clientStream(job.context.tenantId, job.clientId));
  const clients = await streams.loadMany<ClientState, ClientEvent>([...new Set(names)], foldClient);
  const now = new Date().toISOString();
  const taken = new Set<string>();
  let ready: Array<{ index: number; appends: [StreamAppend, StreamAppend] }> = [];
  jobs.forEach((job, index) => {
    const client = clients.get(names[index]);
    if (!client?.state || taken.has(names[index])) return;
    let appends: [StreamAppend, StreamAppend];
    try {
      const opening = job.decide(client.state, now);
      appends = openingAppends(job, names[index], client.state, client.expectedRevision, opening);
    } catch (error) {
      if (error instanceof DomainError) return;
      throw error;
    }
    taken.add(names[index]);
    ready.push({ index, appends });
  });
  while (ready.length > 0) {
    const [first, ...also] = ready.flatMap(({ appends }) => appends);
    try {
      await streams.appendAtomically(first, also);
      for (const { index } of ready) opened[index] = true;
      break;
    } catch (error) {
      const refused = refusedStreams(error);
      if (!refused) throw error;
      ready = ready.filter(({ appends }) => !appends.some((a) => refused.has(a.streamName)));
    }
  }
  return opened;
}

/**
 * The two appends that open a job: the client's mark at the revision its state was loaded at
 * (refused by the deciders: a DomainError), and the job's first events on a new stream.
 */
function openingAppends(
  job: { context: CommandContext; jobStreamName: string },
  clientStreamName: string,
  client: Client,
  clientRevision: ExpectedRevision,
  { mark, open }: JobOpening,
): [StreamAppend, StreamAppend] {
  const marked = decideClient(mark, client);
  const kind = jobKindOfStream(job.jobStreamName)!;
  return [
    {
      streamName: clientStreamName,
      events: marked,
      expectedRevision: clientRevision,
      context: job.context,
      stateAfter: evolveClientBy(client, marked),
    },
    {
      streamName: job.jobStreamName,
      events: open,
      expectedRevision: 'no_stream',
      context: job.context,
      stateAfter: foldJob(kind, open),
    },
  ];
}
