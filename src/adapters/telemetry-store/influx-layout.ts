/**
 * Where the InfluxDB store keeps what: the names of its measurements and tags, and the binding
 * of values into InfluxQL, shared by the store, its rollup writer and its rollup reader.
 */
import { quoteIdentifier, type BoundValue } from './influx-http.js';

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
 * Above this many values, a column equal to any of them is matched with one regex: InfluxDB 1.x
 * takes time that grows faster than the list to plan a list of ORs, while a short list is faster
 * as ORs, each an index lookup. `SELECT n_num … LIMIT 1` on the rollups of the full data set of
 * bench/fleet-analytics.ts, timed with curl: 100 ids 8 ms as ORs, 5 ms as a regex; 1,000 ids
 * 188 ms as ORs, 28 ms as a regex.
 */
const REGEX_ABOVE = 32;

/** Every ASCII punctuation character: Go's regexp (InfluxDB's) reads each escaped as itself. */
const PUNCTUATION = /[!-/:-@[-`{-~]/g;

/** `^(?:a|b)$`, matching exactly the values. */
export function regexOfValues(values: readonly string[]): { regex: string } {
  const escaped = values.map((value) => value.replace(PUNCTUATION, '\\$&'));
  return { regex: `^(?:${escaped.join('|')})$` };
}

/**
 * `column = $a OR column = $b ...`, or `column =~ $r` past REGEX_ABOVE values, with the values
 * bound through `bind`.
 */
export function equalsAnyOf(
  column: string,
  values: Iterable<string>,
  bind: (value: BoundValue) => string,
): string {
  const list = [...values];
  if (list.length > REGEX_ABOVE) return `${column} =~ ${bind(regexOfValues(list))}`;
  return list.map((value) => `${column} = ${bind(value)}`).join(' OR ');
}

/**
 * The bound parameters of one round trip, however many statements it holds: each value gets a
 * fresh name, so no value is ever pasted into the query text.
 */
export class QueryParams {
  readonly values: Record<string, BoundValue> = {};
  private next = 0;

  /** `$name` of a new parameter holding `value`. */
  bind(value: BoundValue): string {
    const name = `b${this.next++}`;
    this.values[name] = value;
    return `$${name}`;
  }

  /** `(column = $a OR column = $b ...)`: `column` equal to any of `values` (equalsAnyOf). */
  anyOf(column: string, values: Iterable<string>): string {
    return `(${equalsAnyOf(column, values, (value) => this.bind(value))})`;
  }

  /** `time >= $lo AND time < $hi`. */
  during(from: number, to: number): string {
    return `time >= ${this.bind(iso(from))} AND time < ${this.bind(iso(to))}`;
  }
}
