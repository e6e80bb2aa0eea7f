import { describe, expect, it } from 'vitest';
import { createInfluxFieldTypes } from '../../src/adapters/telemetry-store/influx-field-types.js';
import type {
  createInfluxHttp,
  InfluxSeries,
} from '../../src/adapters/telemetry-store/influx-http.js';

/** An InfluxDB that knows one field of one measurement and counts the SHOW FIELD KEYS it gets. */
function countingHttp() {
  const statements: string[] = [];
  const http = {
    async query(q: string): Promise<InfluxSeries[][]> {
      statements.push(q);
      return [[{ name: 'm', columns: ['fieldKey', 'fieldType'], values: [['temp', 'float']] }]];
    },
  } as unknown as ReturnType<typeof createInfluxHttp>;
  return { http, statements };
}

describe('InfluxDB field types cache', () => {
  it('reloads for an unknown metric at most once a second, not on every query', async () => {
    const { http, statements } = countingHttp();
    let now = 1_000_000;
    const types = createInfluxFieldTypes(http, 'telemetry_org "a"', () => now);

    for (let i = 0; i < 20; i++) await types.forMetrics(['missing']);
    expect(statements).toEqual(['SHOW FIELD KEYS FROM "telemetry_org \\"a\\""']);
    now += 999;
    await types.forMetrics(['missing']);
    expect(statements).toHaveLength(1);
    now += 2;
    expect((await types.forMetrics(['missing'])).get('temp')).toEqual(new Set(['float']));
    expect(statements).toHaveLength(2);
    // A known metric is answered from the cache.
    await types.forMetrics(['temp']);
    expect(statements).toHaveLength(2);
  });

  it('knows the fields it wrote without a reload', async () => {
    const { http, statements } = countingHttp();
    const types = createInfluxFieldTypes(http, 'm', () => 0);
    await types.all();
    types.noteWritten([{ orgId: 'o', deviceId: 'd', ts: 1, metrics: { on: true, mode: 'eco' } }]);
    const known = await types.forMetrics(['on', 'mode']);
    expect([known.get('on'), known.get('mode')]).toEqual([
      new Set(['boolean']),
      new Set(['string']),
    ]);
    expect(statements).toHaveLength(1);
  });

  it('keeps every type of a field: one per shard, so a metric can have several', async () => {
    const http = {
      query: async (): Promise<InfluxSeries[][]> => [
        [
          {
            name: 'm',
            columns: ['fieldKey', 'fieldType'],
            values: [
              ['level', 'float'],
              ['level', 'string'],
              ['on', 'boolean'],
            ],
          },
        ],
      ],
    } as unknown as ReturnType<typeof createInfluxHttp>;
    const types = createInfluxFieldTypes(http, 'm', () => 0);
    const known = await types.all();
    expect(known.get('level')).toEqual(new Set(['float', 'string']));
    types.noteWritten([{ orgId: 'o', deviceId: 'd', ts: 1, metrics: { on: 'open' } }]);
    expect((await types.all()).get('on')).toEqual(new Set(['boolean', 'string']));
  });
});
