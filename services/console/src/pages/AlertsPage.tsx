import { useState } from 'react';
import type { UserFacingError } from '../api/api-error';
import {
  ALERT_KINDS,
  DELIVERY_STATUSES,
  type AlertKind,
  type AlertSubscription,
  type CreatedAlertSubscription,
  type DeliveryStatus,
} from '../api/types';
import { errorsByPath } from '../forms/field-errors';
import {
  ALERT_KIND_TEXT,
  OFFLINE_MINUTES,
  deliveryFilterOf,
  lastAnswerOf,
  toSubscriptionRequest,
} from '../forms/alert-form';
import { useAction, useLoaded, useMay, useSession } from '../session';
import { ErrorNotice, Field, formatTime } from '../ui/components';
import { usePaged } from './use-paged';

/**
 * Webhook alerts: the subscriptions (admins: create one, see its secret once, delete one) and
 * the delivery log (admins and auditors), a page at a time.
 */
export function AlertsPage() {
  const { api } = useSession();
  const mayManage = useMay('manageAlerts');
  // Only admins may list the subscriptions; the log names them by URL for them, by id otherwise.
  const subscriptions = useLoaded(
    () => (mayManage ? api.listAlertSubscriptions() : Promise.resolve(undefined)),
    [api, mayManage],
  );
  return (
    <main>
      <h1>Alerts</h1>
      {mayManage && (
        <Subscriptions
          subscriptions={subscriptions.value}
          error={subscriptions.error}
          refresh={subscriptions.refresh}
        />
      )}
      <DeliveryLog subscriptions={subscriptions.value} />
    </main>
  );
}

function Subscriptions({
  subscriptions,
  error,
  refresh,
}: {
  subscriptions?: AlertSubscription[];
  error?: UserFacingError;
  refresh: () => void;
}) {
  const { api } = useSession();
  const deleting = useAction();
  const [confirming, setConfirming] = useState<string>();
  return (
    <section aria-labelledby="subscriptions">
      <h2 id="subscriptions">Webhook subscriptions</h2>
      <ErrorNotice error={error} />
      {subscriptions?.length === 0 && <p>No subscriptions yet.</p>}
      {subscriptions && subscriptions.length > 0 && (
        <table aria-label="Webhook subscriptions">
          <thead>
            <tr>
              <th scope="col">Receiver</th>
              <th scope="col">Kinds</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {subscriptions.map((subscription) => (
              <tr key={subscription.subscriptionId}>
                <td>
                  <code>{subscription.url}</code>
                </td>
                <td>
                  {subscription.kinds
                    .map((kind) =>
                      kind === 'client.offline'
                        ? `${kind} (${subscription.offlineMinutes} min)`
                        : kind,
                    )
                    .join(', ')}
                </td>
                <td>
                  {formatTime(subscription.createdAt)} by {subscription.createdBy}
                </td>
                <td>
                  {confirming === subscription.subscriptionId ? (
                    <p className="confirm" role="status">
                      Delete the subscription of {subscription.url}? Nothing more is sent to it and
                      its pending deliveries end failed; its log stays.{' '}
                      <button
                        type="button"
                        disabled={deleting.busy}
                        onClick={() =>
                          void deleting
                            .run(() => api.deleteAlertSubscription(subscription.subscriptionId))
                            .then((done) => {
                              if (!done) return;
                              setConfirming(undefined);
                              refresh();
                            })
                        }
                      >
                        Delete subscription
                      </button>{' '}
                      <button type="button" onClick={() => setConfirming(undefined)}>
                        Keep it
                      </button>
                    </p>
                  ) : (
                    <button
                      type="button"
                      aria-label={`Delete the subscription of ${subscription.url}`}
                      onClick={() => (
                        setConfirming(subscription.subscriptionId),
                        deleting.clearError()
                      )}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNotice error={deleting.error} />
      <SubscribeForm onCreated={refresh} />
    </section>
  );
}

function SubscribeForm({ onCreated }: { onCreated: () => void }) {
  const { api } = useSession();
  const action = useAction();
  const [url, setUrl] = useState('');
  const [kinds, setKinds] = useState<AlertKind[]>(['job.failed']);
  const [offlineMinutes, setOfflineMinutes] = useState('10');
  const [created, setCreated] = useState<CreatedAlertSubscription>();
  const [copied, setCopied] = useState<string>();
  const checked = toSubscriptionRequest({ url, kinds, offlineMinutes });
  const formErrors = checked.ok ? {} : checked.errors;
  const serverErrors = errorsByPath(action.error?.fieldErrors ?? []);
  const errorOf = (field: 'url' | 'kinds' | 'offlineMinutes', shown: boolean) =>
    (shown ? formErrors[field] : undefined) ?? serverErrors[field];

  return (
    <>
      {created && (
        <div className="confirm" role="status" aria-labelledby="secret-heading">
          <h3 id="secret-heading">Subscribed {created.url}</h3>
          <p>
            <strong>Copy the signing secret now: it is not shown again.</strong> The receiver checks
            each delivery&apos;s <code>Opcfleet-Signature</code> with it.
          </p>
          <p>
            <code data-testid="subscription-secret">{created.secret}</code>{' '}
            <button
              type="button"
              onClick={() =>
                // No clipboard outside a secure context (https, localhost).
                void (navigator.clipboard?.writeText(created.secret) ?? Promise.reject()).then(
                  () => setCopied('Copied.'),
                  () => setCopied('The browser did not let the console copy it: select it.'),
                )
              }
            >
              Copy secret
            </button>{' '}
            <button type="button" onClick={() => (setCreated(undefined), setCopied(undefined))}>
              I have kept it
            </button>{' '}
            <span aria-live="polite">{copied}</span>
          </p>
        </div>
      )}
      <h2 id="subscribe">Subscribe a webhook</h2>
      <form
        aria-labelledby="subscribe"
        onSubmit={(event) => {
          event.preventDefault();
          if (!checked.ok) return;
          void action
            .run(() => api.createAlertSubscription(checked.request))
            .then((done) => {
              if (!done) return;
              setCreated(done.value);
              setCopied(undefined);
              setUrl('');
              onCreated();
            });
        }}
      >
        <Field id="subscription-url" label="Receiver URL (https)" error={errorOf('url', !!url)}>
          {(props) => (
            <input
              {...props}
              type="url"
              value={url}
              placeholder="https://alerts.example.com/opcfleet"
              onChange={(e) => setUrl(e.target.value)}
            />
          )}
        </Field>
        <fieldset
          aria-describedby={errorOf('kinds', true) ? 'subscription-kinds-error' : undefined}
        >
          <legend>Kinds</legend>
          {ALERT_KINDS.map((kind) => (
            <div key={kind}>
              <input
                type="checkbox"
                id={`kind-${kind}`}
                checked={kinds.includes(kind)}
                onChange={(e) =>
                  setKinds((all) =>
                    e.target.checked ? [...all, kind] : all.filter((one) => one !== kind),
                  )
                }
              />{' '}
              <label htmlFor={`kind-${kind}`}>
                <code>{kind}</code>: {ALERT_KIND_TEXT[kind]}
              </label>
            </div>
          ))}
          {errorOf('kinds', true) && (
            <span className="field-error" id="subscription-kinds-error">
              {errorOf('kinds', true)}
            </span>
          )}
        </fieldset>
        {kinds.includes('client.offline') && (
          <Field
            id="subscription-offline"
            label={`Offline minutes (${OFFLINE_MINUTES.min}-${OFFLINE_MINUTES.max})`}
            error={errorOf('offlineMinutes', true)}
          >
            {(props) => (
              <input
                {...props}
                inputMode="numeric"
                value={offlineMinutes}
                onChange={(e) => setOfflineMinutes(e.target.value)}
              />
            )}
          </Field>
        )}
        <button type="submit" disabled={!checked.ok || action.busy}>
          Subscribe
        </button>
        <ErrorNotice error={action.error} />
      </form>
    </>
  );
}

/** The delivery log, newest first, filtered by subscription and status, a page at a time. */
function DeliveryLog({ subscriptions }: { subscriptions?: AlertSubscription[] }) {
  const { api } = useSession();
  const [subscriptionId, setSubscriptionId] = useState('');
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  // A subscription id being typed (auditors) is not sent, nor reloads the log, until it is one.
  const checked = deliveryFilterOf(subscriptionId, status);
  const deliveries = usePaged(
    (cursor) => api.listAlertDeliveries(checked.filter, cursor),
    [api, JSON.stringify(checked.filter)],
  );
  const serverErrors = errorsByPath(deliveries.error?.fieldErrors ?? []);
  const urlOf = (id: string) =>
    subscriptions?.find((subscription) => subscription.subscriptionId === id)?.url;
  return (
    <section aria-labelledby="deliveries">
      <h2 id="deliveries">Delivery log</h2>
      <div className="filters">
        <Field
          id="delivery-subscription"
          label="Subscription"
          error={checked.error ?? serverErrors.subscriptionId}
        >
          {(props) =>
            subscriptions ? (
              <select
                {...props}
                value={subscriptionId}
                onChange={(e) => setSubscriptionId(e.target.value)}
              >
                <option value="">all</option>
                {subscriptionId && !urlOf(subscriptionId) && (
                  <option value={subscriptionId}>{subscriptionId} (deleted)</option>
                )}
                {subscriptions.map((subscription) => (
                  <option key={subscription.subscriptionId} value={subscription.subscriptionId}>
                    {subscription.url}
                  </option>
                ))}
              </select>
            ) : (
              <input
                {...props}
                value={subscriptionId}
                placeholder="subscription id (all when empty)"
                onChange={(e) => setSubscriptionId(e.target.value)}
              />
            )
          }
        </Field>
        <Field id="delivery-status" label="Status">
          {(props) => (
            <select
              {...props}
              value={status}
              onChange={(e) => setStatus(e.target.value as DeliveryStatus | '')}
            >
              <option value="">any</option>
              {DELIVERY_STATUSES.map((one) => (
                <option key={one} value={one}>
                  {one}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="button" onClick={deliveries.refresh}>
          Refresh
        </button>
      </div>
      <ErrorNotice error={deliveries.error} />
      {deliveries.items?.length === 0 && <p>No deliveries.</p>}
      {deliveries.items && deliveries.items.length > 0 && (
        <table aria-label="Alert deliveries">
          <thead>
            <tr>
              <th scope="col">Alert</th>
              <th scope="col">When</th>
              <th scope="col">Subscription</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.items.map((delivery) => (
              <tr key={delivery.deliveryId}>
                <td>
                  <code>{delivery.kind}</code> ({delivery.eventType})
                </td>
                <td>{formatTime(delivery.createdAt)}</td>
                <td>
                  <code>{urlOf(delivery.subscriptionId) ?? delivery.subscriptionId}</code>
                </td>
                <td data-testid="delivery-status">
                  {delivery.status}
                  {delivery.status === 'pending' && delivery.nextAttemptAt
                    ? ` (next attempt ${formatTime(delivery.nextAttemptAt)})`
                    : ''}
                </td>
                <td>{delivery.attempts}</td>
                <td>{lastAnswerOf(delivery)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {deliveries.more && (
        <button type="button" disabled={deliveries.busy} onClick={() => void deliveries.loadMore()}>
          Show more deliveries
        </button>
      )}
    </section>
  );
}
