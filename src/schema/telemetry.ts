import {
  AGGREGATES,
  type Aggregate,
  type AggregateValues,
  type MetricValue,
} from '../domain/telemetry.js';
import { CHART_WINDOWS } from '../domain/query-limits.js';
import { subscribeTelemetry } from '../resolvers/live.js';
import {
  aggregateTelemetry,
  keptLatest,
  metricEntries,
  rawTelemetry,
} from '../resolvers/telemetry.js';
import { finiteOrRefused } from '../resolvers/errors.js';
import { AlertConditionEnum } from './alert.js';
import { builder } from './builder.js';
import { DeviceFilter, DeviceRef } from './device.js';

const MetricReading = builder
  .objectRef<{ metric: string; value: MetricValue; ts: number }>('MetricReading')
  .implement({
    description: "One metric's value at a time.",
    fields: (t) => ({
      metric: t.exposeString('metric'),
      value: t.field({ type: 'MetricValue', resolve: (reading) => reading.value }),
      ts: t.field({ type: 'DateTime', resolve: (reading) => new Date(reading.ts) }),
    }),
  });

/** What each aggregate takes (domain/telemetry.ts AGGREGATES_BY_TYPE); the README says more. */
const AGGREGATE_DESCRIPTIONS: Record<Aggregate, string> = {
  mean: 'Numbers: their mean, the exact sum divided by the count. Booleans: the fraction of true.',
  min: 'Numbers only: the smallest.',
  max: 'Numbers only: the largest.',
  sum: 'Numbers only: the exact sum, rounded once.',
  count: 'Values of any type: how many.',
  first: 'Values of any type: the earliest, as sent.',
  last: 'Values of any type: the latest, as sent.',
  p50: 'Numbers only: the nearest-rank 50th percentile.',
  p90: 'Numbers only: the nearest-rank 90th percentile.',
  p95: 'Numbers only: the nearest-rank 95th percentile.',
  p99: 'Numbers only: the nearest-rank 99th percentile.',
  median:
    'Numbers only: the middle one, or for an even count lo + (hi - lo) / 2 of the two middle ones (InfluxQL MEDIAN).',
  stddev:
    'Numbers only: the sample standard deviation (n - 1) of the exact variance, rounded once; null below two numbers.',
  spread: 'Numbers only: MAX - MIN.',
  increase:
    "Numbers only, a counter's: the sum of its steps to each point of the bucket from the one before (in the range), the new value itself after a drop (a reset). Pooled: the sum over the devices.",
  rate: "Numbers only, a counter's: INCREASE per second of the bucket's span within [from, to).",
};

const EVERY_DESCRIPTION = 'Bucket width: 500ms, 30s, 5m, 1h, 1d, 1w. Give this or maxPoints.';
const MAX_POINTS_DESCRIPTION = `At most this many buckets: the smallest width of ${CHART_WINDOWS.join(' ')} that cuts the range into no more. For charts: a year loads as fast as an hour. Give this or every.`;

const TIME_ZONE_DESCRIPTION =
  'An IANA time zone (Europe/Berlin; UTC by default): buckets of whole days start at local midnight (a daylight-saving day is 23 or 25 hours long), shorter ones where local time is a multiple of their width (hours of a half-hour zone start at :30 UTC).';

export const AggregateEnum = builder.enumType('Aggregate', {
  description:
    'An aggregate of a metric per bucket. One that does not take the type of the metric (SUM of a string, MIN of a boolean), or any but COUNT, FIRST and LAST of a metric whose values in the range are of several types, is refused with BAD_USER_INPUT.',
  values: Object.fromEntries(
    AGGREGATES.map((name) => [
      name.toUpperCase(),
      { value: name, description: AGGREGATE_DESCRIPTIONS[name] },
    ]),
  ),
});

const FillEnum = builder.enumType('Fill', {
  description: 'What empty buckets hold (InfluxQL fill()).',
  values: {
    NONE: { description: 'Empty buckets are left out.' },
    NULL: { description: 'Empty buckets are returned with null aggregates.' },
    ZERO: { description: 'Empty buckets hold 0.' },
    PREVIOUS: { description: "Empty buckets repeat the previous bucket's aggregates." },
    LINEAR: { description: 'Empty buckets are interpolated between their neighbours.' },
  },
});

const PercentileValue = builder
  .objectRef<{ percentile: number; value: number | null }>('PercentileValue')
  .implement({
    description: 'One percentile asked with `percentiles`, and its value.',
    fields: (t) => ({
      percentile: t.exposeFloat('percentile'),
      value: t.exposeFloat('value', {
        nullable: true,
        description: 'The nearest-rank value; null when the bucket holds no numbers.',
      }),
    }),
  });

const PERCENTILES_DESCRIPTION =
  "Percentiles besides the aggregates, each greater than 0 and at most 100 (99.9, 12.5), at most 10: nearest rank, like P50..P99, of p as written in decimal. Answered in `percentiles` of each bucket's metrics, in the order asked.";
const AGGREGATES_DESCRIPTION = 'Defaults to [MEAN], or to none when percentiles are asked.';

export const MetricAggregates = builder
  .objectRef<AggregateValues & { metric: string }>('MetricAggregates')
  .implement({
    description:
      "Aggregates of one metric's values in one bucket; the ones not requested are null. FIRST and LAST are values as sent (a number, a boolean or a string); the others are numbers.",
    fields: (t) => ({
      metric: t.exposeString('metric'),
      ...Object.fromEntries(
        AGGREGATES.map((name) => [
          name,
          name === 'first' || name === 'last'
            ? t.field({
                type: 'MetricValue',
                nullable: true,
                resolve: (values) => values[name] ?? null,
              })
            : t.float({
                nullable: true,
                resolve: (values) => {
                  const value = values[name];
                  return value == null ? null : finiteOrRefused(value, name, values.metric);
                },
              }),
        ]),
      ),
      percentiles: t.field({
        type: [PercentileValue],
        nullable: true,
        description:
          'The percentiles asked with the `percentiles` argument, in the order asked; null when none were.',
        resolve: (values) => values.percentiles ?? null,
      }),
    }),
  });

export const TelemetryBucket = builder
  .objectRef<{ start: Date; metrics: (AggregateValues & { metric: string })[] }>('TelemetryBucket')
  .implement({
    fields: (t) => ({
      start: t.field({ type: 'DateTime', resolve: (bucket) => bucket.start }),
      metrics: t.field({ type: [MetricAggregates], resolve: (bucket) => bucket.metrics }),
    }),
  });

const TelemetryPointRef = builder
  .objectRef<{ deviceId: string; ts: number; metrics: Record<string, MetricValue> }>(
    'TelemetryPoint',
  )
  .implement({
    fields: (t) => ({
      deviceId: t.exposeID('deviceId'),
      ts: t.field({ type: 'DateTime', resolve: (point) => new Date(point.ts) }),
      metrics: t.field({
        type: [MetricReading],
        resolve: (point) => metricEntries(point.metrics, point.ts),
      }),
    }),
  });

/** The arguments of a telemetry question, a device's or a fleet's. */
export const TELEMETRY_ARGS = builder.args((t) => ({
  metrics: t.stringList({ required: true }),
  from: t.field({ type: 'DateTime', required: true }),
  to: t.field({ type: 'DateTime', required: true }),
  every: t.string({ description: EVERY_DESCRIPTION }),
  maxPoints: t.int({ description: MAX_POINTS_DESCRIPTION }),
  aggregates: t.field({ type: [AggregateEnum], description: AGGREGATES_DESCRIPTION }),
  percentiles: t.floatList({ description: PERCENTILES_DESCRIPTION }),
  fill: t.field({ type: FillEnum, defaultValue: 'NONE' }),
  timeZone: t.string({ description: TIME_ZONE_DESCRIPTION }),
}));

builder.objectFields(DeviceRef, (t) => ({
  latest: t.field({
    type: [MetricReading],
    authScopes: { permission: 'telemetry:read' },
    description: 'The last value of each metric, with its time.',
    resolve: (device, _args, context) => keptLatest(context, device.id),
  }),
  telemetry: t.field({
    type: [TelemetryBucket],
    authScopes: { permission: 'telemetry:read' },
    description:
      'Time buckets over [from, to), aligned to multiples of their width since the epoch, or to local time in `timeZone`. Give the width as `every`, or let `maxPoints` choose it.',
    args: TELEMETRY_ARGS,
    resolve: (device, args, context) => aggregateTelemetry(context, device, args),
  }),
  rawTelemetry: t.connection({
    type: TelemetryPointRef,
    authScopes: { permission: 'telemetry:read' },
    description: 'The points themselves over [from, to), oldest first.',
    args: {
      metrics: t.arg.stringList({ description: 'Only these metrics; all when omitted.' }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
    },
    resolve: (device, args, context) => rawTelemetry(context, device, args),
  }),
}));

const TelemetryCondition = builder.inputType('TelemetryCondition', {
  description: 'metric <condition> threshold, as alert rules compare them.',
  fields: (t) => ({
    metric: t.string({ required: true }),
    condition: t.field({ type: AlertConditionEnum, required: true }),
    threshold: t.field({ type: 'MetricValue', required: true }),
  }),
});

builder.subscriptionField('telemetry', (t) =>
  t.field({
    type: TelemetryPointRef,
    authScopes: { permission: 'telemetry:read' },
    description:
      'Each new point of these devices, as soon as it is stored: only the metrics asked, only the points meeting `where`, at most one message per device per `sampleEvery`.',
    args: {
      deviceIds: t.arg.idList({
        description: 'These devices (1 to 100); or give `filter` instead.',
      }),
      filter: t.arg({
        type: DeviceFilter,
        description:
          "The organization's devices that match, devices registered later included (a device's change of labels, type or status counts within 10 s); or give `deviceIds` instead.",
      }),
      since: t.arg({
        type: 'DateTime',
        description:
          'Resume: first the stored points with a time after this one, oldest first (at most 10,000, not sampled), then the live ones, with no gap and no duplicate between them. Give the `ts` of the last point received.',
      }),
      metrics: t.arg.stringList({
        description: 'Only these metrics; a point with none of them is not sent. All when omitted.',
      }),
      where: t.arg({
        type: TelemetryCondition,
        description: 'Only the points whose value of `metric` meets the condition.',
      }),
      sampleEvery: t.arg.string({
        description:
          "At most one message per device per interval (100ms to 1h, like 500ms, 1s, 1m), carrying each metric's newest value in it: the first point goes out at once, the rest of the interval's points together at its end.",
      }),
    },
    subscribe: (_root, args, context) =>
      subscribeTelemetry(context, { ...args, deviceIds: args.deviceIds?.map(String) }),
    resolve: (point) => point,
  }),
);
