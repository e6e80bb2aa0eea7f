/**
 * Query-side metric names follow ingest's rule: a name no device could have sent is refused with
 * BAD_USER_INPUT before any store sees it (it would otherwise reach InfluxQL).
 */
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLoaders } from '../../src/api/loaders.js';
import type { ApiServices, GraphQLContext } from '../../src/schema/context.js';
import type { Device } from '../../src/ports/device-repository.js';
import { aggregateTelemetry, rawTelemetry } from '../../src/resolvers/telemetry.js';

function contextReachingNoStore() {
  const calls: string[] = [];
  const telemetry = {
    aggregateDevices: async () => (calls.push('aggregate'), new Map()),
    raw: async () => (calls.push('raw'), []),
  };
  const devices = { getRetention: async () => ({}) };
  const services = { telemetry, devices } as unknown as ApiServices;
  const context = {
    services,
    viewer: { organizationId: 'org' },
    settings: { deviceTokenGraceSeconds: 0, maxCost: 20_000 },
    loaders: createLoaders(services, 'org'),
  } as unknown as GraphQLContext;
  return { context, calls };
}

const device = { id: 'dev' } as Device;
const range = { from: new Date(0), to: new Date(60_000) };

async function errorOf(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error('expected an error');
}

describe('metric names in telemetry queries', () => {
  it.each([
    ['org_id', '"org_id": "org_id" is a reserved name'],
    ['time', '"time": "time" is a reserved name'],
    ['temp" OR 1=1', expect.stringContaining('a metric name is a letter')],
    ['', expect.stringContaining('a metric name is a letter')],
  ])('refuses %j with BAD_USER_INPUT', async (name, message) => {
    const { context, calls } = contextReachingNoStore();
    const aggregate = await errorOf(() =>
      aggregateTelemetry(context, device, { ...range, every: '1m', metrics: ['temp', name] }),
    );
    expect(aggregate.message).toEqual(message);
    expect(aggregate.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'metrics' });
    const raw = await errorOf(() => rawTelemetry(context, device, { ...range, metrics: [name] }));
    expect(raw.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'metrics' });
    expect(calls).toEqual([]);
  });

  it('passes valid names to the store', async () => {
    const { context, calls } = contextReachingNoStore();
    await aggregateTelemetry(context, device, { ...range, every: '1m', metrics: ['env.temp-c'] });
    await rawTelemetry(context, device, { ...range, metrics: ['Temp_1'] });
    expect(calls).toEqual(['aggregate', 'raw']);
  });
});
