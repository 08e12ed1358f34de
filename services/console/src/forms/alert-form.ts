import type { AlertSubscriptionRequest, DeliveryFilter } from '../api/api-client';
import { ALERT_KINDS, type AlertDelivery, type AlertKind, type DeliveryStatus } from '../api/types';

/** Each kind of alert in words, for the checkboxes and the delivery log. */
export const ALERT_KIND_TEXT: Record<AlertKind, string> = {
  'job.failed': 'a job failed',
  'job.rolled_back': 'an update rolled back',
  'job.timed_out': 'a job timed out',
  'rollout.halted': 'a rollout halted',
  'rollout.awaiting_approval': 'a rollout awaits approval',
  'client.offline': 'a client is offline longer than the offline minutes',
  'device.workload_down': "a device's workload is down",
  'device.clock_skew': "a device's clock is off",
};

/** The service's bounds of `offlineMinutes` (alerts/alert.dto.ts). */
export const OFFLINE_MINUTES = { min: 1, max: 10_080 } as const;

/** The subscription form as typed. */
export interface SubscriptionForm {
  url: string;
  kinds: readonly AlertKind[];
  /** Only sent with `client.offline`; empty: the service's default (10). */
  offlineMinutes: string;
}

export type SubscriptionFormErrors = Partial<Record<keyof SubscriptionForm, string>>;

/**
 * The subscription the form asks for, or what is wrong with it, checked as far as the browser
 * can: whether the service takes an http receiver (the loopback, in tests) is its to say.
 */
export function toSubscriptionRequest(
  form: SubscriptionForm,
): { ok: true; request: AlertSubscriptionRequest } | { ok: false; errors: SubscriptionFormErrors } {
  const errors: SubscriptionFormErrors = {};
  const url = form.url.trim();
  if (!url) {
    errors.url = 'enter the address of the receiver';
  } else {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      errors.url = 'not a URL (https://...)';
    }
    if (parsed && parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      errors.url = 'must be an https URL';
    } else if (parsed && (parsed.username || parsed.password)) {
      errors.url = 'must not hold a user name or password';
    }
  }
  // In the service's order, each once.
  const kinds = ALERT_KINDS.filter((kind) => form.kinds.includes(kind));
  if (kinds.length === 0) errors.kinds = 'choose at least one kind';
  const minutesText = form.offlineMinutes.trim();
  const offline = kinds.includes('client.offline') && minutesText !== '';
  const minutes = Number(minutesText);
  if (
    offline &&
    (!/^\d+$/.test(minutesText) || minutes < OFFLINE_MINUTES.min || minutes > OFFLINE_MINUTES.max)
  ) {
    errors.offlineMinutes = `a whole number of minutes from ${OFFLINE_MINUTES.min} to ${OFFLINE_MINUTES.max}`;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, request: { url, kinds, ...(offline && { offlineMinutes: minutes }) } };
}

/** What the receiver last answered: its status code, or the error (timeout, refused, ...). */
export function lastAnswerOf(
  delivery: Pick<AlertDelivery, 'lastStatusCode' | 'lastError'>,
): string {
  const { lastStatusCode: code, lastError: error } = delivery;
  if (code !== undefined && error && error !== `HTTP ${code}`) return `HTTP ${code}: ${error}`;
  if (code !== undefined) return `HTTP ${code}`;
  return error ?? '–';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The delivery log's filter: a subscription id (typed, for auditors, who cannot list the
 * subscriptions) only once it is a whole UUID, else an error and the filter without it.
 */
export function deliveryFilterOf(
  subscriptionId: string,
  status: DeliveryStatus | '',
): { filter: DeliveryFilter; error?: string } {
  const id = subscriptionId.trim();
  const valid = !id || UUID.test(id);
  return {
    filter: { ...(id && valid && { subscriptionId: id }), ...(status && { status }) },
    ...(!valid && { error: 'must be a subscription id (a UUID)' }),
  };
}
