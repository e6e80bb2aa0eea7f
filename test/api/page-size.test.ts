/**
 * Every paged field takes `first` between 1 and its maximum (resolvers/errors.ts pageSize): the
 * device list, a device's raw telemetry and the alert list refuse anything else with
 * BAD_USER_INPUT on `first` before any port is asked for the page.
 */
import { describe, expect, it } from 'vitest';
import type { ApiServices } from '../../src/schema/context.js';
import type { Device } from '../../src/ports/device-repository.js';
import { createInProcessApi } from '../support/in-process-api.js';

const ORG = 'org-page-size';
const device: Device = {
  id: '00000000-0000-4000-8000-000000000001',
  organizationId: ORG,
  externalId: 'd',
  name: 'D',
  type: 't',
  labels: {},
  location: null,
  status: 'ACTIVE',
  lastSeenAt: null,
  heartbeatTimeoutSeconds: null,
  connectivity: { state: 'NEVER_SEEN', since: new Date(0) },
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

/** Ports that answer only the device lookup; any page read is recorded as a call. */
const pageReads: string[] = [];
const services = {
  devices: { findDevices: async () => [device], listDevices: () => pageReads.push('devices') },
  telemetry: { raw: () => pageReads.push('raw') },
  alerts: { listStates: () => pageReads.push('alerts') },
} as unknown as ApiServices;
const api = createInProcessApi(services);

const fields = [
  { name: 'devices', max: 100, query: '{ devices(first: $first) { edges { cursor } } }' },
  {
    name: 'rawTelemetry',
    max: 1_000,
    query: `{ device(id: "${device.id}") { rawTelemetry(first: $first, from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { edges { cursor } } } }`,
  },
  { name: 'alerts', max: 1_000, query: '{ alerts(first: $first) { ruleId } }' },
];

describe('page sizes', () => {
  it.each(fields)('$name refuses first outside 1..$max before reading a page', async (field) => {
    const token = await api.token(ORG, 'viewer');
    for (const first of [0, -1, field.max + 1]) {
      pageReads.length = 0;
      const answer = await api.post(token, {
        query: `query ($first: Int) ${field.query}`,
        variables: { first },
      });
      const { errors } = JSON.parse(answer.text) as { errors?: unknown[] };
      expect(errors, `first: ${first}`).toEqual([
        expect.objectContaining({
          message: `first must be between 1 and ${field.max}`,
          extensions: { code: 'BAD_USER_INPUT', field: 'first' },
        }),
      ]);
      expect(pageReads).toEqual([]);
    }
  });
});
