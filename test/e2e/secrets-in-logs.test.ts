/**
 * Secrets never appear in logs or errors: with logging at its most verbose, a session of
 * registering, rotating, ingesting, creating an API key and notification channels (an alert sent
 * to them), and failing with forged credentials
 * leaves none of the secrets involved in any log line or error message, and no channel secret in
 * the database's files.
 */
import { Writable } from 'node:stream';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CreateAlertRuleDocument,
  CreateApiKeyDocument,
  CreateNotificationChannelDocument,
  DevicesDocument,
  RegisterDeviceDocument,
  RotateDeviceTokenDocument,
  RotateNotificationChannelSecretDocument,
} from '../generated/graphql.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';
import { createGraphQLClient, expectData, postTelemetry } from '../support/graphql-client.js';

const logLines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(chunk.toString());
    done();
  },
});

const app = useEmbeddedApp({ LOG_LEVEL: 'trace' }, sink);

describe('secrets in logs and errors', () => {
  it('logs and error messages contain no token, key or secret', async () => {
    const gql = createGraphQLClient(app.baseUrl, app.adminToken);
    const secrets: string[] = [app.adminToken, app.jwt.secret];
    const errors: string[] = [];

    const registered = await expectData(
      gql(RegisterDeviceDocument, { input: { externalId: 'secretive', name: 'S', type: 't' } }),
    );
    const { token, device } = registered.registerDevice;
    secrets.push(token);
    const rotated = await expectData(gql(RotateDeviceTokenDocument, { id: device.id }));
    secrets.push(rotated.rotateDeviceToken.token);
    const key = await expectData(
      gql(CreateApiKeyDocument, { input: { name: 'app', scopes: ['READ_DEVICES'] } }),
    );
    secrets.push(key.createApiKey.key);

    const routingKey = 'PDR0UT1NGKEY0123456789ABCDEFGHIJ';
    secrets.push(routingKey);
    const pagerDuty = await expectData(
      gql(CreateNotificationChannelDocument, {
        input: { name: 'pd', kind: 'PAGERDUTY', routingKey },
      }),
    );
    const hook = await expectData(
      gql(CreateNotificationChannelDocument, {
        input: { name: 'hook', kind: 'WEBHOOK', url: 'https://hooks.example.com/alerts' },
      }),
    );
    const hookId = hook.createNotificationChannel.channel.id;
    secrets.push(hook.createNotificationChannel.signingSecret!);
    const rotatedSecret = await expectData(
      gql(RotateNotificationChannelSecretDocument, { id: hookId }),
    );
    secrets.push(rotatedSecret.rotateNotificationChannelSecret.signingSecret!);
    await expectData(
      gql(CreateAlertRuleDocument, {
        input: {
          name: 'any temperature',
          metric: 'temperature',
          condition: 'GT',
          threshold: 0,
          channelIds: [hookId, pagerDuty.createNotificationChannel.channel.id],
        },
      }),
    );

    await postTelemetry(app.baseUrl, token, JSON.stringify({ metrics: { temperature: 1 } }));
    const forgedDeviceToken = `dev_${'x'.repeat(43)}`;
    const forgedJwt = `${app.adminToken.slice(0, -6)}AAAAAA`;
    const forgedKey = `iotk_${'y'.repeat(43)}`;
    secrets.push(forgedDeviceToken, forgedJwt, forgedKey);
    const refused = await postTelemetry(app.baseUrl, forgedDeviceToken, '{"metrics":{"a":1}}');
    expect(refused.status).toBe(401);
    errors.push(JSON.stringify(refused.body));
    for (const credential of [forgedJwt, forgedKey]) {
      const result = await createGraphQLClient(app.baseUrl, credential)(DevicesDocument, {});
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      errors.push(JSON.stringify(result.errors));
    }
    // A malformed request body is logged as a failure, never echoed.
    await postTelemetry(app.baseUrl, token, `{"metrics":{"a":"${forgedKey}"`);

    // Long enough for the alert's notifications to be attempted (and fail: no receiver).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(logLines.length).toBeGreaterThan(0);
    const logs = logLines.join('');
    const secretFiles = await Promise.all(
      ['jwt-secret', 'notification-secrets-key'].map(async (name) =>
        (await readFile(path.join(app.dataDir, name), 'utf8')).trim(),
      ),
    );
    for (const secret of [...secrets, ...secretFiles]) {
      expect(logs.includes(secret), `a secret (${secret.slice(0, 8)}…) is in the logs`).toBe(false);
      for (const error of errors) expect(error.includes(secret)).toBe(false);
    }

    // Nor are the channels' secrets in the database's files (its WAL included): they are sealed.
    const channelSecrets = [
      routingKey,
      rotatedSecret.rotateNotificationChannelSecret.signingSecret!,
    ];
    for (const file of await filesUnder(path.join(app.dataDir, 'pglite'))) {
      const bytes = await readFile(file);
      for (const secret of channelSecrets) {
        expect(bytes.includes(secret), `${secret.slice(0, 8)}… in ${file}`).toBe(false);
      }
    }
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}
