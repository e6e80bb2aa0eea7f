/**
 * Real ids and cursors for the GraphQL fuzzer, made through the API before the run: devices,
 * alert rules, an API key, and cursors into pages of devices and of stored points. The
 * generators mix them into made-up ones, so that the resolvers' real paths run, not only
 * NOT_FOUND.
 */
import { expect } from 'vitest';
import {
  CreateAlertRuleDocument,
  CreateApiKeyDocument,
  DevicesDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import type { EmbeddedApp } from '../support/use-embedded-app.js';

const HOUR = 3_600_000;

export interface RealValues {
  deviceIds: string[];
  ruleIds: string[];
  apiKeyIds: string[];
  cursors: string[];
}

/**
 * Empty until seedRealValues fills it in beforeAll. The test names are collected before that,
 * so the targets hold this object and read it only while the tests run.
 */
export function emptyRealValues(): RealValues {
  return { deviceIds: [], ruleIds: [], apiKeyIds: [], cursors: [] };
}

export async function seedRealValues(real: RealValues, app: EmbeddedApp): Promise<void> {
  const gql = createGraphQLClient(app.baseUrl, app.adminToken);
  const deviceTokens: string[] = [];
  for (const [index, type] of ['thermostat', 'door'].entries()) {
    const { registerDevice } = await expectData(
      gql(RegisterDeviceDocument, {
        input: {
          externalId: `fuzz-${index}`,
          name: `Fuzz ${index}`,
          type,
          labels: [{ key: 'site', value: 'north' }],
          location: { latitude: 52.5, longitude: 13.4 },
        },
      }),
    );
    real.deviceIds.push(registerDevice.device.id);
    deviceTokens.push(registerDevice.token);
  }
  for (const [index, threshold] of [20, 'open', true].entries()) {
    const { createAlertRule } = await expectData(
      gql(CreateAlertRuleDocument, {
        input: {
          name: `rule ${index}`,
          metric: ['temperature', 'mode', 'door_open'][index]!,
          condition: index === 0 ? 'GT' : 'EQ',
          threshold,
        },
      }),
    );
    real.ruleIds.push(createAlertRule.id);
  }
  const { createApiKey } = await expectData(
    gql(CreateApiKeyDocument, { input: { name: 'fuzz', scopes: ['READ_DEVICES'] } }),
  );
  real.apiKeyIds.push(createApiKey.apiKey.id);
  // Points for the first device: numbers, strings and booleans, over the last hours.
  const now = Date.now();
  const lines = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({
      ts: now - i * 600_000,
      metrics: { temperature: 15 + i, mode: i % 2 ? 'eco' : 'heat', door_open: i % 3 === 0 },
    }),
  ).join('\n');
  const posted = await postTelemetry(app.baseUrl, deviceTokens[0], lines, 'application/x-ndjson');
  expect(posted.status).toBe(202);
  const id = real.deviceIds[0]!;
  const range = {
    from: new Date(now - 24 * HOUR).toISOString(),
    to: new Date(now + HOUR).toISOString(),
  };
  const raw = await eventually(async () => {
    const data = await expectData(gql(RawTelemetryDocument, { id, ...range, first: 5 }));
    return data.device.rawTelemetry.edges.length === 5 ? data.device.rawTelemetry : undefined;
  });
  real.cursors.push(raw.pageInfo.endCursor!);
  const page = await expectData(gql(DevicesDocument, { first: 1 }));
  real.cursors.push(page.devices.pageInfo.endCursor!);
}
