import type { FieldError } from '@opcfleet/contracts/validation';

/** What a failed request means for the person at the screen. */
export interface UserFacingError {
  message: string;
  /** The job already running (409 update_in_flight): the page links to it. */
  runningJobId?: string;
  /** The release registered already with other content (409 release_exists): linked. */
  existingReleaseId?: string;
  /** Failing fields (400 invalid_input), by dotted path. */
  fieldErrors?: FieldError[];
  /** 401: the token is gone or refused; the console signs out. */
  signedOut?: boolean;
}

/** The parts of an Axios error (or any thrown value) this mapping looks at. */
interface HttpFailure {
  response?: { status: number; data?: unknown };
  message?: string;
}

interface ErrorBody {
  error?: string;
  message?: string | string[];
  jobId?: string;
  currentVersion?: number;
  fieldErrors?: FieldError[];
  releaseId?: string;
  differs?: string[];
  withdrawn?: { reason?: string };
  missingLabels?: Record<string, string>;
  reportedVersion?: string;
}

/** Maps a failed API call to a message a user understands (the API's error body, api.md). */
export function describeApiError(thrown: unknown): UserFacingError {
  const failure = thrown as HttpFailure;
  if (!failure?.response) {
    return { message: 'The service cannot be reached. Check the connection and try again.' };
  }
  const { status } = failure.response;
  const body = (failure.response.data ?? {}) as ErrorBody;
  const serverMessage = Array.isArray(body.message) ? body.message.join('; ') : body.message;
  switch (status) {
    case 400:
      return {
        message: 'Some fields are not valid.',
        ...(body.fieldErrors && { fieldErrors: body.fieldErrors }),
      };
    case 401:
      return { message: 'Your session has ended. Sign in again.', signedOut: true };
    case 403:
      return { message: `Not allowed: ${neededRole(serverMessage)}` };
    case 404:
      return { message: 'Not found: it does not exist, or not in your tenant.' };
    case 409:
      if (body.error === 'update_in_flight') {
        return {
          message: 'An update is already running on this client.',
          ...(body.jobId && { runningJobId: body.jobId }),
        };
      }
      if (body.error === 'config_version_not_increasing') {
        return {
          message: `A newer configuration exists (version ${body.currentVersion ?? '?'}): reload and edit that one.`,
        };
      }
      return (
        releaseRefusal(body) ?? {
          message: serverMessage ?? 'This conflicts with the current state.',
        }
      );
    case 503:
      return { message: 'The service is unavailable right now (database down). Try again soon.' };
    default:
      return { message: serverMessage ?? `The request failed (HTTP ${status}).` };
  }
}

/** "this needs one of the roles admin; the token has auditor" -> a sentence naming the role. */
function neededRole(serverMessage: string | undefined): string {
  const match = /roles ([a-z, ]+);/.exec(serverMessage ?? '');
  if (!match) return serverMessage ?? 'your role may not do this.';
  const roles = match[1].split(', ');
  return `this needs the ${roles.length > 1 ? `role ${roles.join(' or ')}` : `role ${roles[0]}`}.`;
}

/** The fields of a release as the console's form names them. */
const FIELD_WORDS: Record<string, string> = { imageDigest: 'digest' };

/** `a`, `a and b`, `a, b and c`. */
const wordList = (words: string[]) =>
  words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : words[0];

/** The 409s of the release catalogue, and of updates and rollouts by release, in words. */
function releaseRefusal(body: ErrorBody): UserFacingError | undefined {
  switch (body.error) {
    case 'release_exists':
      return {
        message: `This version is registered already${body.differs?.length ? ` with a different ${wordList(body.differs.map((field) => FIELD_WORDS[field] ?? field))}` : ''}. A registered version never changes: register another version.`,
        ...(body.releaseId && { existingReleaseId: body.releaseId }),
      };
    case 'release_withdrawn':
      return {
        message: `This release was withdrawn (${body.withdrawn?.reason || 'no reason given'}): no new update may install it.`,
      };
    case 'release_constraints_not_met': {
      const missing = Object.entries(body.missingLabels ?? {})
        .map(([name, value]) => `${name}=${value}`)
        .join(', ');
      return {
        message: `This client lacks the labels the release requires${missing ? `: ${missing}` : ''}.`,
      };
    }
    case 'downgrade_refused':
      return {
        message: `Downgrade refused: the client reports version ${body.reportedVersion ?? '?'}, above this release. Tick "Allow downgrade" to install it anyway.`,
      };
    default:
      return undefined;
  }
}
