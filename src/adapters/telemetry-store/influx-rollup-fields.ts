/**
 * A rollup row (influx-rollup-rows.ts) as InfluxDB fields, and back. Few fields, not one per
 * part: InfluxDB keeps, reads and merges every field apart, and reading a row's fifteen parts as
 * fields took three to six times as long as reading a few.
 *
 * - `n_num`: the count of numbers, a float, so a statement can ask for rows with numbers;
 * - `row`: every other part, as comma-separated text: the counts of booleans, strings and trues,
 *   MIN and MAX (empty without numbers), the times of FIRST and LAST, the exact moments
 *   (ExactMoments.toText) and the counter (first;last;last's time;ExactSum.toText of the steps,
 *   empty without numbers). Doubles in their shortest round-trip text, read back to the bit. No
 *   quote or backslash in it: line protocol escapes those one character at a time.
 * - `first` and `last`: the values, of any type, as text that keeps the type (`n1.5`, `bT`, `sabc`).
 *
 * Beside them, what InfluxQL can add up itself over many rows, so a fleet's question gets bucket
 * totals instead of every row (influx-rollup-totals.ts): `summable` (integer 1 when the row holds
 * only numbers and its sum fits the limbs, else 0), `min` and `max` (floats; 0 without numbers)
 * and `s0`..`s3`, the limbs of the exact sum (influx-sum-limbs.ts; 0 when it does not fit).
 *
 * Every field is always written, always of one type, so a row written again over an older one
 * (same device, metric and bucket start: InfluxDB keeps each field's last value) leaves nothing of
 * the older, and no field type can conflict.
 */
import { Point } from '@influxdata/influxdb-client';
import { ExactMoments } from '../../domain/exact-moments.js';
import { ExactSum } from '../../domain/exact-sum.js';
import type { MetricValue } from '../../domain/telemetry.js';
import type { InfluxValue } from './influx-http.js';
import { lineSettings, rollupMeasurementOf } from './influx-layout.js';
import type { RollupRow } from './influx-rollup-rows.js';
import { LIMBS, limbsOf } from './influx-sum-limbs.js';

/** The limb fields, s0 first (influx-sum-limbs.ts). */
export const LIMB_FIELDS = Array.from({ length: LIMBS }, (_, i) => `s${i}`);

/** The fields of a row in a SELECT, in the order rowOf reads them. */
export const ROW_SELECTION = '"n_num"::field, "row"::field, "first"::field, "last"::field';

function valueText(value: MetricValue): string {
  if (typeof value === 'number') return `n${value}`;
  if (typeof value === 'boolean') return value ? 'bT' : 'bF';
  return `s${value}`;
}

function valueOfText(text: string): MetricValue {
  const rest = text.slice(1);
  if (text[0] === 'n') return Number(rest);
  if (text[0] === 'b') return rest === 'T';
  return rest;
}

/** The row's fields as written: what rowOf reads back, after the bucket start. */
export function rowFields(
  row: RollupRow,
): [numbers: number, row: string, first: string, last: string] {
  const numbers = row.numbers > 0;
  const { first, last, counter } = row;
  const parts = [
    row.booleans,
    row.strings,
    row.trues,
    numbers ? row.min : '',
    numbers ? row.max : '',
    first!.ts,
    last!.ts,
    row.moments.toText(),
    counter ? `${counter.first};${counter.last};${counter.lastTs};${counter.steps.toText()}` : '',
  ];
  return [row.numbers, parts.join(','), valueText(first!.value), valueText(last!.value)];
}

/** The row's line protocol, in the measurement of its organization and grain. */
export function rowLine(
  orgId: string,
  grain: number,
  deviceId: string,
  metric: string,
  row: RollupRow,
): string {
  const [numbers, text, first, last] = rowFields(row);
  const point = new Point(rollupMeasurementOf(orgId, grain))
    .tag('device_id', deviceId)
    .tag('metric', metric)
    .floatField('n_num', numbers)
    .stringField('row', text)
    .stringField('first', first)
    .stringField('last', last);
  const totals = summablePartsOf(row);
  point
    .intField('summable', totals.limbs ? 1 : 0)
    .floatField('min', totals.min)
    .floatField('max', totals.max);
  LIMB_FIELDS.forEach((field, i) => point.intField(field, totals.limbs?.[i] ?? 0));
  return point.timestamp(row.start).toLineProtocol(lineSettings)!;
}

/** The parts of a row InfluxQL adds up: limbs only for a row of numbers alone whose sum fits. */
function summablePartsOf(row: RollupRow): { limbs?: number[]; min: number; max: number } {
  if (row.numbers === 0) return { min: 0, max: 0 };
  const onlyNumbers = row.booleans === 0 && row.strings === 0;
  const limbs = onlyNumbers ? limbsOf(row.moments.sumUnits()) : undefined;
  return { limbs, min: row.min, max: row.max };
}

/** A row from a SELECT of ROW_SELECTION: time (the bucket start, epoch=ms), then its fields. */
export function rowOf(values: readonly InfluxValue[]): RollupRow {
  const [b, s, t, lo, hi, firstTs, lastTs, moments, counter] = String(values[2]).split(',');
  const numbers = Number(values[1]);
  const row: RollupRow = {
    start: Number(values[0]),
    numbers,
    booleans: Number(b),
    strings: Number(s),
    trues: Number(t),
    min: numbers > 0 ? Number(lo) : Infinity,
    max: numbers > 0 ? Number(hi) : -Infinity,
    first: { ts: Number(firstTs), value: valueOfText(String(values[3])) },
    last: { ts: Number(lastTs), value: valueOfText(String(values[4])) },
    moments: ExactMoments.fromText(moments!),
  };
  if (counter) {
    const [first, last, lastTs, steps] = counter.split(';');
    row.counter = {
      first: Number(first),
      last: Number(last),
      lastTs: Number(lastTs),
      steps: ExactSum.fromText(steps!),
    };
  }
  return row;
}
