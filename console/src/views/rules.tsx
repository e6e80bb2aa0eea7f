import { useState } from 'preact/hooks';
import { request } from '../client';
import { ErrorNote } from '../components/error-note';
import { useFormFields } from '../components/form-fields';
import {
  ConsoleChannelsDocument,
  ConsoleCreateChannelDocument,
  ConsoleCreateRuleDocument,
  ConsoleDeleteChannelDocument,
  ConsoleDeleteRuleDocument,
  ConsoleRulesDocument,
  ConsoleSetRuleEnabledDocument,
  type AlertCondition,
  type ConsoleChannelFragment,
  type ConsoleRuleFragment,
  type NotificationChannelKind,
} from '../generated/graphql';
import { when } from '../format';
import { useCan } from '../permissions';
import { useAction, useQuery } from '../use-api';
import { TokenOnce } from './admin';

/** The conditions as a rule reads: `pressure > 10`. */
const CONDITIONS: Record<AlertCondition, string> = {
  GT: '>',
  GTE: '≥',
  LT: '<',
  LTE: '≤',
  EQ: '=',
  NEQ: '≠',
};

/**
 * Alert rules, read-only for those who read alerts; those who manage them also create, enable,
 * disable and delete rules and the notification channels they are routed to. Channels (and a
 * rule's channels) are asked for only by managers: a webhook URL may carry a credential, so the
 * API refuses them to readers.
 */
export function Rules() {
  const canRead = useCan('ALERTS_READ');
  const canManage = useCan('ALERTS_MANAGE');
  const rules = useQuery(ConsoleRulesDocument, { withChannels: canManage }, { skip: !canRead });
  const channels = useQuery(ConsoleChannelsDocument, {}, { skip: !canManage });
  if (!canRead) {
    return (
      <section>
        <h1>Rules</h1>
        <p class="hint">Your role or key does not read alerts.</p>
      </section>
    );
  }
  const channelList = channels.data?.notificationChannels ?? [];
  return (
    <section>
      <h1>Rules</h1>
      <h2>Alert rules</h2>
      {canManage ? <NewRule channels={channelList} onCreated={rules.reload} /> : null}
      <ErrorNote error={rules.error} />
      <RuleTable
        rules={rules.data?.alertRules ?? []}
        canManage={canManage}
        onChange={rules.reload}
      />
      {canManage ? (
        <>
          <h2>Notification channels</h2>
          <NewChannel onCreated={channels.reload} />
          <ErrorNote error={channels.error} />
          {/* Deleting a channel also removes it from the rules routed to it. */}
          <ChannelTable
            channels={channelList}
            onChange={() => (channels.reload(), rules.reload())}
          />
        </>
      ) : null}
    </section>
  );
}

/**
 * What a rule compares, in a few characters: `> 10`, `±3.5 MAD`, `silence`. Thresholds as set,
 * not rounded like readings: `< 0.005` must not read `< 0.01`.
 */
function condition(rule: ConsoleRuleFragment): string {
  if (rule.kind === 'ANOMALY') return `±${rule.deviations ?? '?'} MAD`;
  if (rule.kind === 'NO_DATA') return 'silence';
  return `${rule.condition ? CONDITIONS[rule.condition] : '?'} ${String(rule.threshold ?? '?')}`;
}

function RuleTable({
  rules,
  canManage,
  onChange,
}: {
  rules: ConsoleRuleFragment[];
  canManage: boolean;
  onChange: () => void;
}) {
  const { error, run } = useAction(onChange);
  const remove = (rule: ConsoleRuleFragment) => {
    // Its alerts and episodes go with it: asked once more, unlike enabling.
    if (!confirm(`Delete the rule “${rule.name}” and its alerts?`)) return;
    void run(() => request(ConsoleDeleteRuleDocument, { id: rule.id }));
  };
  if (rules.length === 0) return <p class="hint">No rules yet.</p>;
  return (
    <>
      <ErrorNote error={error} />
      <table aria-label="alert rules">
        <thead>
          <tr>
            <th>Name</th>
            <th class="wide">Kind</th>
            <th>Metric</th>
            <th>Condition</th>
            <th class="wide">For</th>
            <th class="wide">Device type</th>
            {canManage ? <th class="wide">Channels</th> : null}
            <th class="wide">Enabled</th>
            {canManage ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {rules.map((rule) => (
            <tr key={rule.id} data-rule={rule.id}>
              <td>
                {rule.name}
                {/* Phones have no room for the Enabled column: a disabled rule says so here. */}
                {rule.enabled ? null : <small class="narrow"> (disabled)</small>}
              </td>
              <td class="wide">{rule.kind.toLowerCase().replace('_', ' ')}</td>
              <td>{rule.metric ?? 'any'}</td>
              <td>{condition(rule)}</td>
              <td class="wide">{rule.forDuration}</td>
              <td class="wide">{rule.deviceType ?? 'every type'}</td>
              {canManage ? (
                <td class="wide">{rule.channels?.map((c) => c.name).join(', ') || '—'}</td>
              ) : null}
              <td class="wide">{rule.enabled ? 'enabled' : 'disabled'}</td>
              {canManage ? (
                <td>
                  <div class="actions">
                    <button
                      onClick={() =>
                        run(() =>
                          request(ConsoleSetRuleEnabledDocument, {
                            id: rule.id,
                            enabled: !rule.enabled,
                            withChannels: true,
                          }),
                        )
                      }
                    >
                      {rule.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button onClick={() => remove(rule)}>Delete</button>
                  </div>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/**
 * A THRESHOLD rule, the common one; NO_DATA and ANOMALY rules are made through the API. Fields
 * left empty are not sent, so the API's defaults apply (at once, every type, no channel) and
 * what is missing is refused in its words.
 */
function NewRule({
  channels,
  onCreated,
}: {
  channels: ConsoleChannelFragment[];
  onCreated: () => void;
}) {
  const blank = { name: '', metric: '', threshold: '', forDuration: '', deviceType: '' };
  const { form, setForm, field } = useFormFields(blank);
  const [conditionValue, setCondition] = useState<AlertCondition>('GT');
  const [channelIds, setChannelIds] = useState<string[]>([]);
  const { error, run } = useAction(onCreated);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await request(ConsoleCreateRuleDocument, {
        withChannels: true,
        input: {
          kind: 'THRESHOLD',
          name: form.name,
          metric: form.metric,
          condition: conditionValue,
          threshold: form.threshold === '' ? null : Number(form.threshold),
          ...(form.forDuration ? { forDuration: form.forDuration } : {}),
          ...(form.deviceType ? { deviceType: form.deviceType } : {}),
          channelIds: channelIds.filter((id) => channels.some((c) => c.id === id)),
        },
      });
      setForm(blank);
      setChannelIds([]);
    });
  };
  return (
    <>
      {/* noValidate: what is missing or wrong is refused by the API, in its words. */}
      <form class="controls" aria-label="new rule" noValidate onSubmit={submit}>
        {field('name', 'Name')}
        {field('metric', 'Metric', 'temperature')}
        <label>
          Condition{' '}
          <select
            value={conditionValue}
            onChange={(e) => setCondition(e.currentTarget.value as AlertCondition)}
          >
            {Object.entries(CONDITIONS).map(([code, symbol]) => (
              <option key={code} value={code}>
                {symbol} ({code})
              </option>
            ))}
          </select>
        </label>
        {field('threshold', 'Threshold', '', 'number')}
        {field('forDuration', 'For', '0s, 30s, 5m')}
        {field('deviceType', 'Device type', 'every type')}
        <fieldset>
          <legend>Channels</legend>
          {channels.length === 0 ? (
            <span class="hint">None yet: add one below.</span>
          ) : (
            channels.map((channel) => (
              <label class="inline" key={channel.id}>
                <input
                  type="checkbox"
                  checked={channelIds.includes(channel.id)}
                  onChange={(e) =>
                    setChannelIds(
                      e.currentTarget.checked
                        ? [...channelIds, channel.id]
                        : channelIds.filter((id) => id !== channel.id),
                    )
                  }
                />{' '}
                {channel.name}
              </label>
            ))
          )}
        </fieldset>
        <button type="submit">Create rule</button>
      </form>
      <ErrorNote error={error} />
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
  const remove = (channel: ConsoleChannelFragment) => {
    // Rules routed to it stop sending there, and its messages are deleted.
    if (!confirm(`Delete the channel “${channel.name}” and its routes from rules?`)) return;
    void run(() => request(ConsoleDeleteChannelDocument, { id: channel.id }));
  };
  if (channels.length === 0) return <p class="hint">No channels yet.</p>;
  return (
    <>
      <ErrorNote error={error} />
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
                <button onClick={() => remove(channel)}>Delete</button>
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
