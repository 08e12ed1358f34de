import { withoutToken } from './request-logging';

describe('request log lines', () => {
  it('never carry the token of an EventSource query string', () => {
    expect(withoutToken('/api/v1/jobs/changes?access_token=eyJ.a.b&jobId=1')).toBe(
      '/api/v1/jobs/changes?access_token=[redacted]&jobId=1',
    );
    expect(withoutToken('/api/v1/jobs/changes?jobId=1&ACCESS_TOKEN=x')).toBe(
      '/api/v1/jobs/changes?jobId=1&ACCESS_TOKEN=[redacted]',
    );
    expect(withoutToken('/api/v1/clients?label=a=b')).toBe('/api/v1/clients?label=a=b');
  });
});
