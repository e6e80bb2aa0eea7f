/**
 * A telemetry read the store stopped at STORE_QUERY_TIMEOUT_MS reaches the client as
 * STORE_TIMEOUT with words saying what to do, not as a masked internal error.
 */
import { describe, expect, it } from 'vitest';
import type { Device } from '../../src/ports/device-repository.js';
import { StoreTimeoutError } from '../../src/ports/store-timeout.js';
import type { ApiServices } from '../../src/schema/context.js';
import { createInProcessApi } from '../support/in-process-api.js';

const device = { id: '6f1c2a9e-0000-4000-8000-000000000001', organizationId: 'org' } as Device;

describe('a store read past its deadline', () => {
  it('answers STORE_TIMEOUT, naming the setting', async () => {
    const services = {
      devices: { findDevices: async () => [device], getRetention: async () => ({}) },
      telemetry: {
        aggregateDevices: async () => {
          throw new StoreTimeoutError(30_000);
        },
      },
    } as unknown as ApiServices;
    const api = createInProcessApi(services);
    const answer = await api.post(await api.token('org', 'viewer'), {
      query: `{ device(id: "${device.id}") { telemetry(metrics: ["a"], from: "2026-01-01T00:00:00Z",
        to: "2026-01-02T00:00:00Z", every: "1h") { start } } }`,
    });
    expect(JSON.parse(answer.text)).toMatchObject({
      errors: [
        {
          message: expect.stringMatching(/within 30000 ms \(STORE_QUERY_TIMEOUT_MS\)/),
          extensions: { code: 'STORE_TIMEOUT' },
        },
      ],
    });
  });
});
