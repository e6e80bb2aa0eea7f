/**
 * RAW_RETENTION through the embedded app's ingest: a point older than the retention is refused
 * with 400 naming the limit, one inside it is accepted (README "Retention").
 */
import { describe, expect, it } from 'vitest';
import { postTelemetry } from '../support/graphql-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp({ RAW_RETENTION: '24h' });
const HOUR = 3_600_000;

async function registerDevice() {
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
    body: JSON.stringify({
      query: `mutation { registerDevice(input: { externalId: "kept", name: "kept", type: "meter" }) { token } }`,
    }),
  });
  const answer = (await response.json()) as { data: { registerDevice: { token: string } } };
  return answer.data.registerDevice.token;
}

describe('ingest under RAW_RETENTION', () => {
  it('refuses a point older than the retention, naming it, and accepts one inside it', async () => {
    const token = await registerDevice();
    const old = await postTelemetry(
      app.baseUrl,
      token,
      JSON.stringify([
        { ts: Date.now() - HOUR, metrics: { v: 1 } },
        { ts: Date.now() - 25 * HOUR, metrics: { v: 2 } },
      ]),
    );
    expect(old.status).toBe(400);
    expect(old.body).toMatchObject({
      code: 'INVALID_POINTS',
      errors: [{ index: 1, field: 'ts', reason: 'is older than the raw retention of 24h' }],
    });
    const recent = await postTelemetry(
      app.baseUrl,
      token,
      JSON.stringify({ ts: Date.now() - 23 * HOUR, metrics: { v: 1 } }),
    );
    expect(recent.status).toBe(202);
  });
});
