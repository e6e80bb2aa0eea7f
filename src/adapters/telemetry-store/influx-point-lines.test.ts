/**
 * The telemetry store's line protocol against @influxdata/influxdb-client's own `Point`, which it
 * replaced for speed: any organization, device, metric names and values (line protocol's special
 * characters, empty names, every kind of value) give the same line, byte for byte.
 */
import fc from 'fast-check';
import { Point } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import type { MetricValue, TelemetryPoint } from '../../domain/telemetry.js';
import { lineSettings, measurementOf } from './influx-layout.js';
import { createPointLines } from './influx-point-lines.js';

/** What the store wrote before: one Point per point. */
function pointLine(point: TelemetryPoint): string | undefined {
  const line = new Point(measurementOf(point.orgId))
    .tag('org_id', point.orgId)
    .tag('device_id', point.deviceId);
  for (const [metric, value] of Object.entries(point.metrics)) {
    if (typeof value === 'number') line.floatField(metric, value);
    else if (typeof value === 'boolean') line.booleanField(metric, value);
    else line.stringField(metric, value);
  }
  return line.timestamp(point.ts).toLineProtocol(lineSettings);
}

// Line protocol's special characters, so escaping is exercised on every side.
const special = fc.constantFrom(' ', ',', '=', '"', '\\', '\n', 'a', 'Z', '7', 'é', '');
const text = fc.array(special, { maxLength: 6 }).map((parts) => parts.join(''));
const value: fc.Arbitrary<MetricValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  text,
);
const point: fc.Arbitrary<TelemetryPoint> = fc.record({
  orgId: text,
  deviceId: text,
  ts: fc.integer({ min: 0, max: 2 ** 42 }),
  metrics: fc.dictionary(text, value, { maxKeys: 5 }),
});

describe('telemetry points as line protocol', () => {
  it("are what @influxdata/influxdb-client's Point writes, for any point", () => {
    const linesOf = createPointLines();
    fc.assert(
      fc.property(fc.array(point, { maxLength: 8 }), (points) => {
        expect(linesOf(points)).toEqual(points.map(pointLine));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a number InfluxDB cannot store, as Point does', () => {
    const bad: TelemetryPoint = { orgId: 'o', deviceId: 'd', ts: 1, metrics: { t: Infinity } };
    expect(() => pointLine(bad)).toThrow("invalid float value for field 't'");
    expect(() => createPointLines()([bad])).toThrow("invalid float value for field 't'");
  });
});
