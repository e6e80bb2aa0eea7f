import { useState } from 'preact/hooks';
import { request, type ApiError } from '../client';
import { ErrorNote } from '../components/error-note';
import {
  ConsoleCreateChannelDocument,
  ConsoleDeleteChannelDocument,
  ConsoleDeliveriesDocument,
  ConsoleRotateChannelSecretDocument,
  ConsoleSetChannelEnabledDocument,
  type ConsoleChannelFragment,
  type ConsoleDeliveriesQuery,
  type NotificationChannelKind,
  type NotificationDeliveryStatus,
} from '../generated/graphql';
import { when } from '../format';
import { href } from '../router';
import { useAction, useQuery } from '../use-api';
import { TokenOnce } from './admin';

/**
 * Notification channels (for those who manage alerts): add one, enable or disable it, rotate a
 * webhook's signing secret, delete it; and the messages sent to them, with every attempt.
 */
export function Channels({
  channels,
  error,
  onChange,
}: {
  channels: ConsoleChannelFragment[];
  error?: ApiError;
  onChange: () => void;
}) {
  return (
    <>
      <h2>Notification channels</h2>
      <NewChannel onCreated={onChange} />
      <ErrorNote error={error} />
      <ChannelTable channels={channels} onChange={onChange} />
      <h2>Deliveries</h2>
      <Deliveries />
    </>
  );
}

/** Where a channel sends: a webhook's URL; a PagerDuty routing key is never shown again. */
function target(channel: ConsoleChannelFragment): string {
  return channel.url ?? (channel.kind === 'PAGERDUTY' ? 'PagerDuty service' : '—');
}

function ChannelTable({
  channels,
  onChange,
}: {
  channels: ConsoleChannelFragment[];
  onChange: () => void;
}) {
  const { error, run } = useAction(onChange);
  const [rotated, setRotated] = useState<{ name: string; secret: string }>();
  const remove = (channel: ConsoleChannelFragment) => {
    // Rules routed to it stop sending there, and its messages are deleted.
    if (!confirm(`Delete the channel “${channel.name}” and its routes from rules?`)) return;
    void run(() => request(ConsoleDeleteChannelDocument, { id: channel.id }));
  };
  const rotate = (channel: ConsoleChannelFragment) => {
    // Receivers verifying with the old secret refuse the next message until they have the new one.
    if (!confirm(`Replace the signing secret of “${channel.name}”?`)) return;
    void run(async () => {
      setRotated(undefined);
      const { rotateNotificationChannelSecret } = await request(
        ConsoleRotateChannelSecretDocument,
        { id: channel.id },
      );
      const secret = rotateNotificationChannelSecret.signingSecret;
      if (secret) setRotated({ name: channel.name, secret });
    });
  };
  if (channels.length === 0) return <p class="hint">No channels yet.</p>;
  return (
    <>
      <ErrorNote error={error} />
      {rotated ? (
        <TokenOnce token={rotated.secret} what={`the new signing secret of ${rotated.name}`} />
      ) : null}
      <table aria-label="notification channels">
        <thead>
          <tr>
            <th>Name</th>
            <th class="wide">Kind</th>
            <th>URL or target</th>
            <th class="wide">Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {channels.map((channel) => (
            <tr key={channel.id} data-channel={channel.id}>
              <td>
                {channel.name}
                {channel.enabled ? null : <small> (disabled)</small>}
              </td>
              <td class="wide">{channel.kind === 'PAGERDUTY' ? 'PagerDuty' : 'webhook'}</td>
              <td class="target">{target(channel)}</td>
              <td class="wide">{when(channel.createdAt)}</td>
              <td>
                <div class="actions">
                  <button
                    onClick={() =>
                      run(() =>
                        request(ConsoleSetChannelEnabledDocument, {
                          id: channel.id,
                          enabled: !channel.enabled,
                        }),
                      )
                    }
                  >
                    {channel.enabled ? 'Disable' : 'Enable'}
                  </button>
                  {channel.kind === 'WEBHOOK' ? (
                    <button onClick={() => rotate(channel)}>Rotate secret</button>
                  ) : null}
                  <button onClick={() => remove(channel)}>Delete</button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/**
 * A webhook (its signing secret shown once: receivers verify messages with it) or a PagerDuty
 * service (its routing key is a secret too: typed in, never shown again).
 */
function NewChannel({ onCreated }: { onCreated: () => void }) {
  const [kind, setKind] = useState<NotificationChannelKind>('WEBHOOK');
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [secret, setSecret] = useState<string>();
  const { error, run } = useAction(onCreated);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      setSecret(undefined);
      const { createNotificationChannel } = await request(ConsoleCreateChannelDocument, {
        input:
          kind === 'WEBHOOK' ? { kind, name, url: address } : { kind, name, routingKey: address },
      });
      setSecret(createNotificationChannel.signingSecret ?? undefined);
      setName('');
      setAddress('');
    });
  };
  return (
    <>
      <form class="controls" aria-label="new channel" noValidate onSubmit={submit}>
        <label>
          Kind{' '}
          <select
            value={kind}
            onChange={(e) => (
              setKind(e.currentTarget.value as NotificationChannelKind),
              setAddress('')
            )}
          >
            <option value="WEBHOOK">webhook</option>
            <option value="PAGERDUTY">PagerDuty</option>
          </select>
        </label>
        <label>
          Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        {kind === 'WEBHOOK' ? (
          <label>
            URL{' '}
            <input
              type="url"
              placeholder="https://hooks.example.com/iot"
              value={address}
              onInput={(e) => setAddress(e.currentTarget.value)}
            />
          </label>
        ) : (
          <label>
            Routing key{' '}
            <input
              type="password"
              autocomplete="off"
              placeholder="32 letters and digits"
              value={address}
              onInput={(e) => setAddress(e.currentTarget.value)}
            />
          </label>
        )}
        <button type="submit">Add channel</button>
      </form>
      <ErrorNote error={error} />
      {secret ? <TokenOnce token={secret} what="the channel's signing secret" /> : null}
    </>
  );
}

type Delivery = ConsoleDeliveriesQuery['notificationDeliveries']['edges'][number]['node'];

/** The newest attempt in words: `HTTP 200 in 12 ms`, or why it failed. */
function lastAttempt(delivery: Delivery): string {
  const attempt = delivery.attempts.at(-1);
  if (!attempt) return 'not tried yet';
  const answer = attempt.statusCode === null ? 'no answer' : `HTTP ${attempt.statusCode}`;
  return `${attempt.error ?? answer} in ${attempt.latencyMs} ms`;
}

/** The newest messages sent to the channels, optionally of one status, newest first. */
function Deliveries() {
  const [status, setStatus] = useState<NotificationDeliveryStatus | ''>('');
  const deliveries = useQuery(ConsoleDeliveriesDocument, { status: status || null });
  const rows = deliveries.data?.notificationDeliveries.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <form class="controls" onSubmit={(event) => event.preventDefault()}>
        <label>
          Status{' '}
          <select
            value={status}
            onChange={(e) => setStatus(e.currentTarget.value as NotificationDeliveryStatus | '')}
          >
            <option value="">any</option>
            <option value="PENDING">pending</option>
            <option value="DELIVERED">delivered</option>
            <option value="FAILED">failed</option>
          </select>
        </label>
        <button type="button" onClick={deliveries.reload}>
          Refresh
        </button>
      </form>
      <ErrorNote error={deliveries.error} />
      {rows.length === 0 && !deliveries.loading ? (
        <p class="hint">No messages{status ? ` ${status.toLowerCase()}` : ''} yet.</p>
      ) : (
        <table aria-label="deliveries">
          <thead>
            <tr>
              <th class="wide">Written</th>
              <th>Channel</th>
              <th>About</th>
              <th>Status</th>
              <th class="wide">Attempts</th>
              <th class="wide">Last attempt</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((delivery) => (
              <tr key={delivery.id} data-delivery={delivery.id}>
                <td class="wide">{when(delivery.createdAt)}</td>
                <td>{delivery.channel?.name ?? 'deleted channel'}</td>
                <td>
                  {delivery.episode?.ruleAtStart.name ?? 'a deleted rule'}{' '}
                  {delivery.event.toLowerCase()}
                  {delivery.episode?.device ? (
                    <>
                      {' on '}
                      <a href={href('devices', delivery.episode.device.id)}>
                        {delivery.episode.device.name}
                      </a>
                    </>
                  ) : null}
                </td>
                <td>
                  {delivery.status.toLowerCase()}
                  {delivery.status === 'PENDING' && delivery.nextAttemptAt ? (
                    <small> (next {when(delivery.nextAttemptAt)})</small>
                  ) : null}
                </td>
                <td class="wide">{delivery.attempts.length}</td>
                <td class="wide">{lastAttempt(delivery)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
