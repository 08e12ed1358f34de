import { UPDATE_COMMAND_SCHEMA, validateUpdateCommand } from '@opcfleet/contracts';
import type { UpdateOutcome } from '../../clients/domain/client.events';
import { JOB_STREAM_CATEGORY } from '../../shared/domain/stream-names';
import type { JobKindDefinition } from '../domain/job-kind';
import {
  decideUpdateJob,
  evolveUpdateJob,
  foldUpdateJob,
  initialUpdateJobState,
  UPDATE_JOB_RULES,
  type UpdateJob,
  type UpdateJobStatus,
} from './domain/update-job.decider';
import type { UpdateJobEvent } from './domain/update-job.events';

const OUTCOMES: Partial<Record<UpdateJobStatus, UpdateOutcome>> = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  RolledBack: 'rolled_back',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
};

/** Update jobs: a new image for the client's workload (jobs/job-kinds.ts). */
export const UPDATE_JOB_KIND: JobKindDefinition<'update', UpdateJob, UpdateJobEvent> = {
  kind: 'update',
  category: JOB_STREAM_CATEGORY.update,
  rules: UPDATE_JOB_RULES,
  decide: decideUpdateJob,
  evolve: evolveUpdateJob,
  initialState: initialUpdateJobState,
  fold: foldUpdateJob,
  reportEvents: {
    ending: ['UpdateSucceeded', 'UpdateFailed', 'UpdateRolledBack'],
    progress: ['UpdateReceived', 'UpdatePhaseReported'],
  },
  permission: 'update',
  endCommand: (job, at) => ({
    type: 'EndUpdate',
    data: {
      jobId: job.request.jobId,
      outcome: OUTCOMES[job.status]!,
      // The version the device runs afterwards: the new one, or the old one after a rollback.
      ...(job.reportedVersion && ['Succeeded', 'RolledBack'].includes(job.status)
        ? { version: job.reportedVersion }
        : {}),
      at: job.finishedAt ?? at,
    },
  }),
  deviceCommand: (request, envelope) =>
    validateUpdateCommand({
      schema: UPDATE_COMMAND_SCHEMA,
      ...envelope,
      payload: {
        targetVersion: request.targetVersion,
        image: request.image,
        ...(request.imageDigest && { imageDigest: request.imageDigest }),
      },
    }),
  details: (job) => ({
    targetVersion: job.request.targetVersion,
    image: job.request.image,
    ...(job.request.imageDigest ? { imageDigest: job.request.imageDigest } : {}),
    ...(job.request.releaseId ? { releaseId: job.request.releaseId } : {}),
    ...(job.request.fromVersion ? { fromVersion: job.request.fromVersion } : {}),
    ...(job.request.fromImage ? { fromImage: job.request.fromImage } : {}),
    ...(job.reportedVersion ? { reportedVersion: job.reportedVersion } : {}),
    ...(job.rollback ? { rollback: job.rollback } : {}),
    ...(job.progress ? { progress: job.progress } : {}),
    ...(job.evidence ? { evidence: job.evidence } : {}),
  }),
};
