/**
 * RAW_RETENTION through the embedded app's ingest: a point older than the retention is refused
 * with 400 naming the limit, one inside it is accepted; an organization's own, shorter
 * retention likewise, for its devices (README "Retention").
 */
import { describe, expect, it } from 'vitest';
import { postTelemetry } from '../support/graphql-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp({ RAW_RETENTION: '24h' });
const HOUR = 3_600_000;

async function graphql<T>(query: string): Promise<T> {
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
    body: JSON.stringify({ query }),
  });
  return ((await response.json()) as { data: T }).data;
}

async function registerDevice(externalId: string) {
  const answer = await graphql<{ registerDevice: { token: string } }>(
    `mutation { registerDevice(input: { externalId: "${externalId}", name: "kept", type: "meter" }) { token } }`,
  );
  return answer.registerDevice.token;
}

describe('ingest under RAW_RETENTION', () => {
  it('refuses a point older than the retention, naming it, and accepts one inside it', async () => {
    const token = await registerDevice('kept');
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

  it("refuses, for an organization's devices, points older than its own shorter retention", async () => {
    const set = await graphql<{ setRetention: { raw: string } }>(
      'mutation { setRetention(input: { raw: "2h" }) { raw } }',
    );
    expect(set.setRetention.raw).toBe('2h');
    const token = await registerDevice('kept-2h');
    const old = await postTelemetry(
      app.baseUrl,
      token,
      JSON.stringify({ ts: Date.now() - 3 * HOUR, metrics: { v: 1 } }),
    );
    expect(old.status).toBe(400);
    expect(old.body).toMatchObject({
      errors: [{ index: 0, field: 'ts', reason: 'is older than the raw retention of 2h' }],
    });
    const recent = await postTelemetry(
      app.baseUrl,
      token,
      JSON.stringify({ ts: Date.now() - HOUR, metrics: { v: 1 } }),
    );
    expect(recent.status).toBe(202);
  });
});
