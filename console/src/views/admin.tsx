import { useState } from 'preact/hooks';
import { request } from '../client';
import { ErrorNote } from '../components/error-note';
import { useFormFields } from '../components/form-fields';
import {
  ConsoleApiKeysDocument,
  ConsoleCreateApiKeyDocument,
  ConsoleRegisterDeviceDocument,
  ConsoleRetentionDocument,
  ConsoleRevokeApiKeyDocument,
  ConsoleSetRetentionDocument,
  type ApiKeyScope,
} from '../generated/graphql';
import { parseLabels, when } from '../format';
import { useCan } from '../permissions';
import { href } from '../router';
import { useAction, useQuery } from '../use-api';

const SCOPES: ApiKeyScope[] = [
  'READ_DEVICES',
  'READ_TELEMETRY',
  'READ_ALERTS',
  'MANAGE_DEVICES',
  'MANAGE_ALERTS',
];

/** A secret the server shows once: the person copies it now or rotates it later. */
export function TokenOnce({ token, what }: { token: string; what: string }) {
  return (
    <div class="once" role="status">
      <p>
        This is {what}. It is shown <strong>once</strong>: copy it now.
      </p>
      <code data-testid="secret-once">{token}</code>{' '}
      <button type="button" onClick={() => void navigator.clipboard?.writeText(token)}>
        Copy
      </button>
    </div>
  );
}

/** Register devices (operators and admins), manage API keys and the retention (admins). */
export function Admin() {
  const canDevices = useCan('DEVICES_MANAGE');
  const canKeys = useCan('KEYS_MANAGE');
  const canOrganization = useCan('ORGANIZATION_MANAGE');
  if (!canDevices && !canKeys) {
    return (
      <section>
        <h1>Administration</h1>
        <p>Your role does not manage devices or keys.</p>
      </section>
    );
  }
  return (
    <section>
      <h1>Administration</h1>
      {canDevices ? <RegisterDevice /> : null}
      {canKeys ? <ApiKeys /> : null}
      {canOrganization ? <RetentionSettings /> : null}
    </section>
  );
}

function RegisterDevice() {
  const { form, field } = useFormFields({ name: '', externalId: '', type: '', labels: '' });
  const [created, setCreated] = useState<{ id: string; name: string; token: string }>();
  const { error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { registerDevice } = await request(ConsoleRegisterDeviceDocument, {
        input: {
          name: form.name,
          externalId: form.externalId,
          type: form.type,
          labels: parseLabels(form.labels),
        },
      });
      setCreated({ ...registerDevice.device, token: registerDevice.token });
    });
  };
  return (
    <>
      <h2>Register a device</h2>
      <form class="controls" onSubmit={submit}>
        {field('name', 'Name')}
        {field('externalId', 'External id', 'serial number')}
        {field('type', 'Type', 'meter')}
        {field('labels', 'Labels', 'site=north, floor=2')}
        <button type="submit">Register</button>
      </form>
      <ErrorNote error={error} />
      {created ? (
        <>
          <p>
            Registered <a href={href('devices', created.id)}>{created.name}</a>.
          </p>
          <TokenOnce token={created.token} what="the device's token" />
        </>
      ) : null}
    </>
  );
}

function ApiKeys() {
  const keys = useQuery(ConsoleApiKeysDocument, {});
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiKeyScope[]>(['READ_DEVICES', 'READ_TELEMETRY']);
  const [created, setCreated] = useState<string>();
  const { error, run } = useAction(keys.reload);
  return (
    <>
      <h2>API keys</h2>
      <form
        class="controls"
        onSubmit={(event) => {
          event.preventDefault();
          void run(async () => {
            const { createApiKey } = await request(ConsoleCreateApiKeyDocument, {
              input: { name, scopes },
            });
            setCreated(createApiKey.key);
          });
        }}
      >
        <label>
          Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label class="inline" key={scope}>
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) =>
                  setScopes(
                    e.currentTarget.checked
                      ? [...scopes, scope]
                      : scopes.filter((s) => s !== scope),
                  )
                }
              />{' '}
              {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
      <ErrorNote error={error ?? keys.error} />
      {created ? <TokenOnce token={created} what="the API key" /> : null}
      <table aria-label="API keys">
        <thead>
          <tr>
            <th>Name</th>
            <th>Prefix</th>
            <th class="wide">Scopes</th>
            <th class="wide">Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(keys.data?.apiKeys ?? []).map((key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td>
                <code>{key.prefix}</code>
              </td>
              <td class="wide">{key.scopes.join(', ')}</td>
              <td class="wide">{when(key.lastUsedAt)}</td>
              <td>
                {key.revokedAt ? (
                  `revoked ${when(key.revokedAt)}`
                ) : (
                  <button
                    onClick={() => run(() => request(ConsoleRevokeApiKeyDocument, { id: key.id }))}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** How long a period keeps: null is for ever. */
const kept = (period: string | null | undefined) => (period ? `for ${period}` : 'for ever');
const limit = (period: string | null | undefined) => period ?? 'none';

/** The organization's own retention, under the server's (README "Retention"). */
function RetentionSettings() {
  const retention = useQuery(ConsoleRetentionDocument, {});
  const { form, field } = useFormFields({ raw: '', rollups: '' });
  const { error, run } = useAction(retention.reload);
  const now = retention.data?.retention;
  return (
    <>
      <h2>Retention</h2>
      <p data-testid="retention">
        Raw points are kept {kept(now?.raw)}, rollups {kept(now?.rollups)} (the server's limits:{' '}
        {limit(now?.serverRaw)} and {limit(now?.serverRollups)}). Shorter hides older data at once
        and deletes it within the hour; it does not come back.
      </p>
      <form
        class="controls"
        aria-label="retention"
        onSubmit={(event) => {
          event.preventDefault();
          void run(async () => {
            await request(ConsoleSetRetentionDocument, {
              input: { raw: form.raw || null, rollups: form.rollups || null },
            });
          });
        }}
      >
        {field('raw', 'Raw points', now?.organizationRaw ?? "server's")}
        {field('rollups', 'Rollups', now?.organizationRollups ?? "server's")}
        <button type="submit">Set retention</button>
      </form>
      <ErrorNote error={error ?? retention.error} />
    </>
  );
}
