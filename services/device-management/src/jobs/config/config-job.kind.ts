import { CONFIG_COMMAND_SCHEMA, validateConfigCommand } from '@opcfleet/contracts';
import type { ConfigOutcome } from '../../clients/domain/client.events';
import { JOB_STREAM_CATEGORY } from '../../shared/domain/stream-names';
import type { JobKindDefinition } from '../domain/job-kind';
import {
  CONFIG_JOB_RULES,
  decideConfigJob,
  evolveConfigJob,
  foldConfigJob,
  initialConfigJobState,
  type ConfigJob,
  type ConfigJobStatus,
} from './domain/config-job.decider';
import type { ConfigJobEvent } from './domain/config-job.events';

const OUTCOMES: Partial<Record<ConfigJobStatus, ConfigOutcome>> = {
  Applied: 'applied',
  Rejected: 'rejected',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
};

/** Config jobs: new settings for the client's workload (jobs/job-kinds.ts). */
export const CONFIG_JOB_KIND: JobKindDefinition<'config', ConfigJob, ConfigJobEvent> = {
  kind: 'config',
  category: JOB_STREAM_CATEGORY.config,
  rules: CONFIG_JOB_RULES,
  decide: decideConfigJob,
  evolve: evolveConfigJob,
  initialState: initialConfigJobState,
  fold: foldConfigJob,
  reportEvents: {
    ending: ['ConfigApplied', 'ConfigRejected'],
    progress: ['ConfigReceived'],
  },
  permission: 'configure',
  endCommand: (job, at) => ({
    type: 'EndConfig',
    data: {
      jobId: job.request.jobId,
      version: job.request.version,
      outcome: OUTCOMES[job.status]!,
      at: job.finishedAt ?? at,
    },
  }),
  deviceCommand: (request, envelope) =>
    validateConfigCommand({
      schema: CONFIG_COMMAND_SCHEMA,
      ...envelope,
      payload: { version: request.version, settings: request.settings },
    }),
  details: (job) => ({ configVersion: job.request.version }),
};
