/**
 * Expected failures of a command or query. They carry a code and stay framework-free; the
 * HTTP edge maps each code to a status in one place (http/domain-error.filter.ts).
 */
export type DomainErrorCode =
  | 'not_found'
  | 'already_exists'
  | 'update_in_flight'
  | 'no_previous_release'
  | 'release_changed'
  | 'config_version_not_increasing'
  | 'job_final'
  | 'job_not_cancellable'
  | 'rollout_final'
  | 'rollout_not_running'
  | 'rollout_not_paused'
  | 'rollout_not_awaiting_approval'
  | 'rollout_cannot_roll_back'
  | 'release_exists'
  | 'release_withdrawn'
  | 'release_constraints_not_met'
  | 'downgrade_refused'
  | 'invalid_input'
  | 'forbidden'
  | 'concurrency_conflict';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Extra fields for the response body, e.g. the id of the job already in flight. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError('not_found', `${what} ${id} not found`);
