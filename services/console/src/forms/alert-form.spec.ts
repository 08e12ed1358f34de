import { deliveryFilterOf, lastAnswerOf, toSubscriptionRequest } from './alert-form';

const SUBSCRIPTION = '7d4b1c52-2a8e-4f0e-9b6f-1e2d3c4b5a69';

describe('the webhook subscription form', () => {
  it('sends the URL trimmed and the kinds in the service order, offline minutes only with client.offline', () => {
    expect(
      toSubscriptionRequest({
        url: ' https://alerts.example.com/opcfleet ',
        kinds: ['rollout.halted', 'job.failed'],
        offlineMinutes: '10',
      }),
    ).toEqual({
      ok: true,
      request: {
        url: 'https://alerts.example.com/opcfleet',
        kinds: ['job.failed', 'rollout.halted'],
      },
    });
    expect(
      toSubscriptionRequest({
        url: 'http://127.0.0.1:8080/hook',
        kinds: ['client.offline'],
        offlineMinutes: '30',
      }),
    ).toEqual({
      ok: true,
      request: { url: 'http://127.0.0.1:8080/hook', kinds: ['client.offline'], offlineMinutes: 30 },
    });
    // Empty: the service's default.
    expect(
      toSubscriptionRequest({
        url: 'https://a.example',
        kinds: ['client.offline'],
        offlineMinutes: '',
      }),
    ).toEqual({ ok: true, request: { url: 'https://a.example', kinds: ['client.offline'] } });
  });

  it('says what is wrong: no URL, not one, another scheme, credentials, no kind, minutes out of range', () => {
    const errorsOf = (url: string, kinds: ['client.offline'] | [] = [], offlineMinutes = '10') => {
      const result = toSubscriptionRequest({ url, kinds, offlineMinutes });
      return result.ok ? {} : result.errors;
    };
    expect(errorsOf('')).toEqual({
      url: 'enter the address of the receiver',
      kinds: 'choose at least one kind',
    });
    expect(errorsOf('alerts.example.com', ['client.offline']).url).toBe('not a URL (https://...)');
    expect(errorsOf('ftp://alerts.example.com', ['client.offline']).url).toBe(
      'must be an https URL',
    );
    expect(errorsOf('https://user:pw@alerts.example.com', ['client.offline']).url).toBe(
      'must not hold a user name or password',
    );
    for (const minutes of ['0', '10081', '1.5', 'ten', '-3']) {
      expect(errorsOf('https://a.example', ['client.offline'], minutes)).toEqual({
        offlineMinutes: 'a whole number of minutes from 1 to 10080',
      });
    }
    expect(errorsOf('https://a.example', ['client.offline'], '10080')).toEqual({});
  });
});

describe('the delivery log', () => {
  it('filters by a subscription id only once it is one', () => {
    expect(deliveryFilterOf('', '')).toEqual({ filter: {} });
    expect(deliveryFilterOf(` ${SUBSCRIPTION} `, 'failed')).toEqual({
      filter: { subscriptionId: SUBSCRIPTION, status: 'failed' },
    });
    expect(deliveryFilterOf(SUBSCRIPTION.slice(0, 12), 'pending')).toEqual({
      filter: { status: 'pending' },
      error: 'must be a subscription id (a UUID)',
    });
  });

  it("shows the receiver's last answer: its status, the error besides it, or nothing yet", () => {
    expect(lastAnswerOf({ lastStatusCode: 200 })).toBe('HTTP 200');
    expect(lastAnswerOf({ lastStatusCode: 500, lastError: 'HTTP 500' })).toBe('HTTP 500');
    expect(lastAnswerOf({ lastStatusCode: 500, lastError: 'body too large' })).toBe(
      'HTTP 500: body too large',
    );
    expect(lastAnswerOf({ lastError: 'connect ECONNREFUSED 127.0.0.1:9' })).toBe(
      'connect ECONNREFUSED 127.0.0.1:9',
    );
    expect(lastAnswerOf({})).toBe('–');
  });
});
