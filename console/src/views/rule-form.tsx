import { useState } from 'preact/hooks';
import { request } from '../client';
import { ErrorNote } from '../components/error-note';
import { useFormFields } from '../components/form-fields';
import {
  ConsoleCreateRuleDocument,
  ConsoleUpdateRuleDocument,
  type AlertCondition,
  type AlertRuleKind,
  type ConsoleChannelFragment,
  type ConsoleRuleFragment,
} from '../generated/graphql';
import { labelsText, metricValue, parseLabels } from '../format';
import { useAction } from '../use-api';

/** The conditions as a rule reads: `pressure > 10`. */
export const CONDITIONS: Record<AlertCondition, string> = {
  GT: '>',
  GTE: '≥',
  LT: '<',
  LTE: '≤',
  EQ: '=',
  NEQ: '≠',
};

const KINDS: Record<AlertRuleKind, string> = {
  THRESHOLD: 'threshold',
  NO_DATA: 'no data',
  ANOMALY: 'anomaly',
};

const blank = {
  name: '',
  metric: '',
  threshold: '',
  clearThreshold: '',
  deviations: '',
  windowPoints: '',
  forDuration: '',
  deviceType: '',
  deviceLabels: '',
};
type Fields = typeof blank;

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));

function fieldsOf(rule: ConsoleRuleFragment): Fields {
  return {
    name: rule.name,
    metric: text(rule.metric),
    threshold: text(rule.threshold),
    clearThreshold: text(rule.clearThreshold),
    deviations: text(rule.deviations),
    windowPoints: text(rule.windowPoints),
    forDuration: rule.forDuration,
    deviceType: text(rule.deviceType),
    deviceLabels: labelsText(rule.deviceLabels),
  };
}

/**
 * What the form says about a rule of `kind`, as the API takes it. Empty fields are null: on
 * creation the API's defaults apply (at once, every type, 3.5 deviations over 100 points), on an
 * edit they clear what was set; what is missing or out of range is refused in the API's words.
 */
function ruleInput(kind: AlertRuleKind, form: Fields, condition: AlertCondition) {
  const number = (v: string) => (v.trim() === '' ? null : Number(v));
  return {
    name: form.name,
    metric: form.metric.trim() || null,
    forDuration: form.forDuration.trim() || (kind === 'NO_DATA' ? null : '0s'),
    deviceType: form.deviceType.trim() || null,
    deviceLabels: parseLabels(form.deviceLabels),
    ...(kind === 'THRESHOLD'
      ? {
          condition,
          threshold: metricValue(form.threshold),
          clearThreshold: metricValue(form.clearThreshold),
        }
      : {}),
    ...(kind === 'ANOMALY'
      ? { deviations: number(form.deviations), windowPoints: number(form.windowPoints) }
      : {}),
  };
}

/**
 * A new rule of any kind, or an edit of `editing` (its kind stays: the API does not change a
 * rule's kind). The fields shown are the kind's: a threshold and its clearing value, a silence's
 * duration, an anomaly's deviations and window.
 */
export function RuleForm({
  channels,
  editing,
  onSaved,
  onCancel,
}: {
  channels: ConsoleChannelFragment[];
  editing?: ConsoleRuleFragment;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { form, setForm, field } = useFormFields(editing ? fieldsOf(editing) : blank);
  const [kind, setKind] = useState<AlertRuleKind>(editing?.kind ?? 'THRESHOLD');
  const [conditionValue, setCondition] = useState<AlertCondition>(editing?.condition ?? 'GT');
  const [channelIds, setChannelIds] = useState<string[]>(
    editing?.channels?.map((channel) => channel.id) ?? [],
  );
  const { error, run } = useAction(onSaved);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const input = {
        ...ruleInput(kind, form, conditionValue),
        channelIds: channelIds.filter((id) => channels.some((c) => c.id === id)),
      };
      if (editing) {
        await request(ConsoleUpdateRuleDocument, { id: editing.id, input, withChannels: true });
      } else {
        await request(ConsoleCreateRuleDocument, { input: { ...input, kind }, withChannels: true });
        setForm(blank);
        setChannelIds([]);
      }
    });
  };
  return (
    <>
      {/* noValidate: what is missing or wrong is refused by the API, in its words. */}
      <form
        class="controls"
        aria-label={editing ? `edit rule ${editing.name}` : 'new rule'}
        noValidate
        onSubmit={submit}
      >
        <label>
          Kind{' '}
          <select
            value={kind}
            disabled={Boolean(editing)}
            onChange={(e) => setKind(e.currentTarget.value as AlertRuleKind)}
          >
            {Object.entries(KINDS).map(([code, name]) => (
              <option key={code} value={code}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {field('name', 'Name')}
        {field('metric', 'Metric', kind === 'NO_DATA' ? 'any metric' : 'temperature')}
        {kind === 'THRESHOLD' ? (
          <>
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
            {field('threshold', 'Threshold', '80, true or a text')}
            {field('clearThreshold', 'Clears at', 'the threshold')}
          </>
        ) : null}
        {kind === 'ANOMALY' ? (
          <>
            {field('deviations', 'Deviations', '3.5', 'number')}
            {field('windowPoints', 'Window (points)', '100', 'number')}
          </>
        ) : null}
        {field('forDuration', kind === 'NO_DATA' ? 'Silent for' : 'For', '0s, 30s, 5m')}
        {field('deviceType', 'Device type', 'every type')}
        {field('deviceLabels', 'Device labels', 'site=north')}
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
        <button type="submit">{editing ? 'Save rule' : 'Create rule'}</button>
        {editing ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </form>
      <ErrorNote error={error} />
    </>
  );
}
