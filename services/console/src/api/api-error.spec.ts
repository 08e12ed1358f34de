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

describe('the refusals of the release catalogue in words', () => {
  const conflict = (body: object) => describeApiError(failure(409, { statusCode: 409, ...body }));

  it('names what differs from the version registered already, and links to it', () => {
    expect(
      conflict({
        error: 'release_exists',
        releaseId: 'r-1',
        differs: ['image', 'imageDigest', 'notes'],
      }),
    ).toEqual({
      message:
        'This version is registered already with a different image, digest and notes. A registered version never changes: register another version.',
      existingReleaseId: 'r-1',
    });
    expect(conflict({ error: 'release_exists', differs: ['imageDigest'] }).message).toMatch(
      /^This version is registered already with a different digest\. /,
    );
  });

  it('gives the reason of a withdrawal, the labels a client lacks, the version it reports', () => {
    expect(
      conflict({ error: 'release_withdrawn', withdrawn: { reason: 'leaks memory' } }).message,
    ).toBe('This release was withdrawn (leaks memory): no new update may install it.');
    expect(
      conflict({
        error: 'release_constraints_not_met',
        missingLabels: { site: 'plant-7', line: 'A' },
      }).message,
    ).toBe('This client lacks the labels the release requires: site=plant-7, line=A.');
    expect(conflict({ error: 'downgrade_refused', reportedVersion: '5.0.0' }).message).toBe(
      'Downgrade refused: the client reports version 5.0.0, above this release. Tick "Allow downgrade" to install it anyway.',
    );
  });
});
