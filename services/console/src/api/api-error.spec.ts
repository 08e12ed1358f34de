import { describeApiError } from './api-error';

const failure = (status: number, data: unknown) => ({ response: { status, data } });

describe('API errors in words', () => {
  it('links a refused update to the job already running', () => {
    expect(
      describeApiError(
        failure(409, { statusCode: 409, error: 'update_in_flight', message: 'x', jobId: 'job-1' }),
      ),
    ).toEqual({ message: 'An update is already running on this client.', runningJobId: 'job-1' });
  });

  it('names the role a 403 needs', () => {
    const message = 'this needs one of the roles admin, operator; the token has auditor';
    expect(describeApiError(failure(403, { error: 'forbidden', message })).message).toBe(
      'Not allowed: this needs the role admin or operator.',
    );
  });

  it('signs out on 401, keeps field errors of a 400, and says when the service is unreachable', () => {
    expect(describeApiError(failure(401, {})).signedOut).toBe(true);
    const fieldErrors = [{ path: 'settings.nodes.0.nodeId', message: 'bad' }];
    expect(describeApiError(failure(400, { fieldErrors })).fieldErrors).toEqual(fieldErrors);
    expect(describeApiError(new Error('Network Error')).message).toMatch(/cannot be reached/);
  });
});
