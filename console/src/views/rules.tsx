import { useState } from 'preact/hooks';
import { request } from '../client';
import { ErrorNote } from '../components/error-note';
import {
  ConsoleChannelsDocument,
  ConsoleDeleteRuleDocument,
  ConsoleRulesDocument,
  ConsoleSetRuleEnabledDocument,
  type ConsoleRuleFragment,
} from '../generated/graphql';
import { labelsText } from '../format';
import { useCan } from '../permissions';
import { useAction, useQuery } from '../use-api';
import { Channels } from './channels';
import { CONDITIONS, RuleForm } from './rule-form';

/**
 * Alert rules, read-only for those who read alerts; those who manage them also create, edit,
 * enable, disable and delete rules, and the notification channels they are routed to with what
 * was sent there. Channels (and a rule's channels) are asked for only by managers: a webhook URL
 * may carry a credential, so the API refuses them to readers.
 */
export function Rules() {
  const canRead = useCan('ALERTS_READ');
  const canManage = useCan('ALERTS_MANAGE');
  const rules = useQuery(ConsoleRulesDocument, { withChannels: canManage }, { skip: !canRead });
  const channels = useQuery(ConsoleChannelsDocument, {}, { skip: !canManage });
  const [editing, setEditing] = useState<ConsoleRuleFragment>();
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
      <h2>{editing ? `Edit “${editing.name}”` : 'Alert rules'}</h2>
      {canManage ? (
        <RuleForm
          // A new form for each rule edited, and a fresh one after.
          key={editing?.id ?? 'new'}
          channels={channelList}
          editing={editing}
          onSaved={() => (setEditing(undefined), rules.reload())}
          onCancel={() => setEditing(undefined)}
        />
      ) : null}
      <ErrorNote error={rules.error} />
      <RuleTable
        rules={rules.data?.alertRules ?? []}
        canManage={canManage}
        onEdit={setEditing}
        onChange={rules.reload}
      />
      {canManage ? (
        <Channels
          channels={channelList}
          error={channels.error}
          // Deleting a channel also removes it from the rules routed to it.
          onChange={() => (channels.reload(), rules.reload())}
        />
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
  const compared = `${rule.condition ? CONDITIONS[rule.condition] : '?'} ${String(rule.threshold ?? '?')}`;
  return rule.clearThreshold === null || rule.clearThreshold === undefined
    ? compared
    : `${compared}, clears at ${String(rule.clearThreshold)}`;
}

function RuleTable({
  rules,
  canManage,
  onEdit,
  onChange,
}: {
  rules: ConsoleRuleFragment[];
  canManage: boolean;
  onEdit: (rule: ConsoleRuleFragment) => void;
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
            <th class="wide">Devices</th>
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
              <td class="wide">
                {rule.deviceType ?? 'every type'}
                {rule.deviceLabels.length > 0 ? ` · ${labelsText(rule.deviceLabels)}` : ''}
              </td>
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
                    <button onClick={() => onEdit(rule)}>Edit</button>
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
