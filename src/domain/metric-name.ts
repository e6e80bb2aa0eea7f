/**
 * The one rule for metric names, shared by ingest (what devices may send) and the GraphQL
 * resolvers (what queries may ask for), so a name that can never be stored is refused the same
 * way on both sides and never reaches a store's query language.
 */
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * Names the stores use for themselves: InfluxDB refuses a field named `time`, and `org_id` /
 * `device_id` are the tags that scope every query. A field of the same name as a tag would be
 * preferred over the tag by an unqualified InfluxQL identifier, so they are never metric names.
 */
export const RESERVED_METRIC_NAMES: ReadonlySet<string> = new Set(['time', 'org_id', 'device_id']);

export const METRIC_NAME_RULE =
  'a metric name is a letter, then up to 63 letters, digits, "_", "." or "-"';

// Devices send the same few metric names in every point, and ingest and the pipeline check each
// point's: names already found valid skip the regex. Bounded, so made-up names cannot grow it.
const validNames = new Set<string>();
const MAX_VALID_NAMES = 10_000;

/** Why `name` cannot be a metric name, or undefined when it can. */
export function metricNameProblem(name: string): string | undefined {
  if (validNames.has(name)) return undefined;
  if (!METRIC_NAME.test(name)) return METRIC_NAME_RULE;
  if (RESERVED_METRIC_NAMES.has(name)) return `"${name}" is a reserved name`;
  if (validNames.size < MAX_VALID_NAMES) validNames.add(name);
  return undefined;
}
