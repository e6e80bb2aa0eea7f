/**
 * The query parameters of `GET /v1/export` (README "Export"), checked all at once so a 400 lists
 * every bad parameter, as ingest's 400 lists every bad point. The rules are the ones GraphQL
 * applies to the same inputs: RFC 3339 times as ingest reads them, ingest's metric-name rule,
 * and the `devices` filter of `toDeviceFilter` (label keys, values, duplicates).
 */
import { metricNameProblem } from '../../domain/metric-name.js';
import { MAX_METRICS } from '../../domain/query-limits.js';
import { textProblem } from '../../domain/text-rule.js';
import { parseRfc3339 } from '../../ingest/rfc3339.js';
import type { DeviceFilter, DeviceStatus } from '../../ports/device-repository.js';
import { toDeviceFilter, type DeviceFilterInput } from '../../resolvers/devices.js';
import type { LabelInput } from '../../resolvers/device-input.js';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormatName = (typeof EXPORT_FORMATS)[number];

/** The devices an export reads: one by id, or those a filter matches (an empty one: all). */
export type DeviceSelection =
  { kind: 'device'; deviceId: string } | { kind: 'filter'; filter: DeviceFilter };

export interface ExportParameters {
  /** Epoch ms, [from, to). */
  from: number;
  to: number;
  /** Absent: chosen from the Accept header (accept.ts). */
  format?: ExportFormatName;
  /** Distinct names; empty means every metric. */
  metrics: string[];
  devices: DeviceSelection;
}

/** One refused parameter, as the 400 body lists it. */
export interface ParameterProblem {
  /** The query parameter (`filter` for the filter parameters taken together). */
  parameter: string;
  reason: string;
}

export type ParsedParameters =
  { ok: true; parameters: ExportParameters } | { ok: false; problems: ParameterProblem[] };

const FILTER_PARAMETERS = ['type', 'label', 'search', 'status'] as const;
/** Parameters that may be given several times; every other one at most once. */
const REPEATABLE = new Set(['label', 'metrics']);
const KNOWN = new Set(['from', 'to', 'format', 'deviceId', 'metrics', ...FILTER_PARAMETERS]);
const STATUSES: readonly DeviceStatus[] = ['ACTIVE', 'DISABLED'];

const TIME_RULE = 'must be an RFC 3339 date-time with an offset, e.g. 2026-11-24T12:00:00Z';

/** Checks every parameter; the problems come in the order of the parameters' names above. */
export function parseExportParameters(query: URLSearchParams): ParsedParameters {
  const problems: ParameterProblem[] = [];
  const refuse = (parameter: string, reason: string) => problems.push({ parameter, reason });

  const names = new Set(query.keys());
  for (const name of names) {
    if (!KNOWN.has(name)) {
      refuse(name, `unknown parameter; the parameters are ${[...KNOWN].join(', ')}`);
    } else if (!REPEATABLE.has(name) && query.getAll(name).length > 1) {
      refuse(name, 'is given more than once');
    }
  }
  const single = (name: string) => query.get(name) ?? undefined;

  const from = time('from', single('from'), refuse);
  const to = time('to', single('to'), refuse);
  if (from !== undefined && to !== undefined && !(from < to)) refuse('from', 'must be before to');

  const format = single('format')?.toLowerCase();
  if (format !== undefined && !isFormat(format)) {
    refuse('format', `must be ${EXPORT_FORMATS.join(' or ')}`);
  }

  const metrics = metricNames(query.getAll('metrics'), refuse);
  const devices = deviceSelection(query, refuse);

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    parameters: {
      from: from!,
      to: to!,
      ...(format ? { format: format as ExportFormatName } : {}),
      metrics,
      devices: devices!,
    },
  };
}

function isFormat(value: string): value is ExportFormatName {
  return (EXPORT_FORMATS as readonly string[]).includes(value);
}

type Refuse = (parameter: string, reason: string) => void;

function time(name: string, text: string | undefined, refuse: Refuse): number | undefined {
  if (text === undefined) {
    refuse(name, 'is required');
    return undefined;
  }
  // A query string reads "+" as a space: an offset sent unencoded (…00+02:00) arrives as
  // "…00 02:00", where RFC 3339 has no space, so it is read as the "+" it was.
  const ms = parseRfc3339(text) ?? parseRfc3339(text.replace(/ (\d\d:\d\d)$/, '+$1'));
  if (ms === undefined) refuse(name, TIME_RULE);
  return ms;
}

/** `metrics=a,b`, possibly repeated: distinct valid names, at most MAX_METRICS. */
function metricNames(values: string[], refuse: Refuse): string[] {
  if (values.length === 0) return [];
  const names = [...new Set(values.flatMap((value) => value.split(',')))];
  if (names.length > MAX_METRICS) {
    refuse('metrics', `names at most ${MAX_METRICS} metrics, got ${names.length}`);
    return [];
  }
  for (const name of names) {
    const problem = metricNameProblem(name);
    if (problem) refuse('metrics', `${JSON.stringify(name.slice(0, 64))}: ${problem}`);
  }
  return names;
}

function deviceSelection(query: URLSearchParams, refuse: Refuse): DeviceSelection | undefined {
  const deviceId = query.get('deviceId');
  const filtering = FILTER_PARAMETERS.filter((name) => query.has(name));
  if (deviceId !== null) {
    if (filtering.length > 0) {
      refuse(
        'deviceId',
        `give either deviceId or a filter (${FILTER_PARAMETERS.join(', ')}), not both: ${filtering.join(', ')} given`,
      );
      return undefined;
    }
    if (deviceId === '') {
      refuse('deviceId', 'must not be empty');
      return undefined;
    }
    return { kind: 'device', deviceId };
  }
  const filter = deviceFilter(query, refuse);
  return filter && { kind: 'filter', filter };
}

/** The filter parameters as the `devices` filter: toDeviceFilter's rules, each problem named. */
function deviceFilter(query: URLSearchParams, refuse: Refuse): DeviceFilter | undefined {
  const input: DeviceFilterInput = {};
  let valid = true;
  const refuseFilter = (parameter: string, reason: string) => {
    refuse(parameter, reason);
    valid = false;
  };
  for (const name of ['type', 'search'] as const) {
    const value = query.get(name);
    if (value === null) continue;
    const problem = textProblem(value);
    if (problem) refuseFilter(name, problem);
    else input[name] = value;
  }
  const status = query.get('status');
  if (status !== null) {
    const upper = status.toUpperCase() as DeviceStatus;
    if (STATUSES.includes(upper)) input.status = upper;
    else refuseFilter('status', `must be ${STATUSES.join(' or ')}`);
  }
  const labels: LabelInput[] = [];
  for (const pair of query.getAll('label')) {
    const colon = pair.indexOf(':');
    const problem = textProblem(pair);
    if (colon < 0) refuseFilter('label', `${JSON.stringify(pair.slice(0, 64))} must be key:value`);
    else if (problem) refuseFilter('label', problem);
    else labels.push({ key: pair.slice(0, colon), value: pair.slice(colon + 1) });
  }
  if (labels.length > 0) input.labels = labels;
  if (!valid) return undefined;
  try {
    return toDeviceFilter(input);
  } catch (error) {
    // labelsToMap's refusals (key rule, value length, duplicate keys, how many) are GraphQL
    // errors with BAD_USER_INPUT; told apart by their code, not by class (graphql's realm).
    const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
    if (code !== 'BAD_USER_INPUT') throw error;
    refuse('label', (error as Error).message);
    return undefined;
  }
}
