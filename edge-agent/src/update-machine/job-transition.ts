import { transition } from 'xstate';
import type { JobRecord } from '../snapshot-store/job-record';
import { updateMachine, type UpdateJobContext, type UpdateJobEvent } from './update-machine';

/**
 * The record after an event: XState's pure `transition()` from the saved state, and a log
 * entry when the job moved (another state, or another attempt of the same one). Pure: the
 * runner saves the result before anything else happens.
 */
export function advance(
  record: JobRecord<UpdateJobContext>,
  event: UpdateJobEvent,
): { record: JobRecord<UpdateJobContext>; moved: boolean } {
  const snapshot = updateMachine.resolveState({ value: record.state, context: record.context });
  const [next] = transition(updateMachine, snapshot, event);
  const to = String(next.value);
  const moved = to !== record.state || next.context.attempts !== record.context.attempts;
  const entry = {
    at: event.at,
    from: record.state,
    to,
    event: event.type,
    reason:
      'error' in event && event.error ? `${event.error.code}: ${event.error.message}` : undefined,
  };
  return {
    moved,
    record: {
      ...record,
      state: to,
      context: next.context,
      updatedAt: event.at,
      log: moved ? [...record.log, entry] : record.log,
    },
  };
}
