/**
 * Where the InfluxDB store keeps what: the names of its measurements and tags, and the binding
 * of values into InfluxQL, shared by the store, its rollup writer and its rollup reader.
 */
import { quoteIdentifier } from './influx-http.js';

/**
 * One measurement per organization: InfluxDB fixes a field's type per measurement (and shard),
 * so one tenant's string `temperature` cannot get another tenant's numbers refused, and SHOW
 * FIELD KEYS lists only the tenant's own metrics. Point escapes the name in line protocol,
 * quoteIdentifier in InfluxQL.
 */
export const measurementOf = (orgId: string) => `telemetry_${orgId}`;

/**
 * The rollup rows of one organization and grain (ms): tags device_id and metric, one row per
 * bucket start (influx-rollup-fields.ts). Apart from the points, so the retention of each deletes
 * its own, and per grain, so a question reads the one grain it needs with no tag to filter on.
 */
export const rollupMeasurementOf = (orgId: string, grain: number) => `rollup_${grain}_${orgId}`;

/**
 * Every organization's points, and every organization's rollups, as InfluxQL FROM regexes: no
 * name of one kind can match the other's (`telemetry_` and `rollup_` differ from the start).
 */
export const RAW_MEASUREMENTS = '/^telemetry_/';
export const ROLLUP_MEASUREMENTS = '/^rollup_/';

/**
 * Tags, always qualified with ::tag in InfluxQL: an unqualified identifier means the field when a
 * field of that name exists, which would let a point's metric named org_id answer for the tag.
 */
export const ORG_TAG = `${quoteIdentifier('org_id')}::tag`;
export const DEVICE_TAG = `${quoteIdentifier('device_id')}::tag`;
export const METRIC_TAG = `${quoteIdentifier('metric')}::tag`;

/** Millisecond timestamps go into line protocol as they are (the writes use precision=ms). */
export const lineSettings = {
  convertTime: (value: string | number | Date | undefined) =>
    value === undefined ? undefined : String(value),
};

export const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The bound parameters of one round trip, however many statements it holds: each value gets a
 * fresh name, so no value is ever pasted into the query text.
 */
export class QueryParams {
  readonly values: Record<string, string> = {};
  private next = 0;

  /** `$name` of a new parameter holding `value`. */
  bind(value: string): string {
    const name = `b${this.next++}`;
    this.values[name] = value;
    return `$${name}`;
  }

  /** `(column = $a OR column = $b ...)`: `column` equal to any of `values`. */
  anyOf(column: string, values: Iterable<string>): string {
    return `(${[...values].map((value) => `${column} = ${this.bind(value)}`).join(' OR ')})`;
  }

  /** `time >= $lo AND time < $hi`. */
  during(from: number, to: number): string {
    return `time >= ${this.bind(iso(from))} AND time < ${this.bind(iso(to))}`;
  }
}
