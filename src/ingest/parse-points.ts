/**
 * Parse and validate an ingest body into TelemetryPoints, all or nothing (README "Ingest API").
 *
 * Hand-written rather than a zod schema: this runs for every point devices send, and the reference
 * cost of parse + validate is about 1.27M points/s on one core (docs/architecture.md). A zod
 * object/record schema allocates issue paths and intermediate objects per value and would make
 * validation, not JSON.parse, the bottleneck. The checks are few and flat, so a loop over the keys
 * of the parsed object is both fast and easy to read; bench/ingest-parse.ts measures it.
 */
import type { RetentionPeriod } from '../domain/retention.js';
import { metricNameProblem } from '../domain/metric-name.js';
import { textProblem } from '../domain/text-rule.js';
import { MAX_FUTURE_MS, type MetricValue, type TelemetryPoint } from '../domain/telemetry.js';
import { parseRfc3339 } from './rfc3339.js';

export type BodyFormat = 'json' | 'ndjson';

export const MAX_METRICS_PER_POINT = 100;
export const MAX_STRING_LENGTH = 256;
/** At most this many errors are listed; the response says how many more there were. */
export const MAX_LISTED_ERRORS = 100;

export interface PointError {
  /** 0-based point index (JSON) or line index (NDJSON); -1 when the whole body is at fault. */
  index: number;
  /** `ts`, `metrics`, `metrics.<name>`, an unknown key, `point` or `body`. */
  field: string;
  reason: string;
}

export interface ParseContext {
  orgId: string;
  deviceId: string;
  /** Receive time, epoch ms: the `ts` of points without one, and the base of the future limit. */
  receivedAt: number;
  maxPoints: number;
  /** RAW_RETENTION: points older than receivedAt minus it are refused. */
  rawRetention?: RetentionPeriod;
}

export type ParseResult =
  | { ok: true; points: TelemetryPoint[] }
  | { ok: false; kind: 'invalid'; errors: PointError[]; totalErrors: number }
  | { ok: false; kind: 'too-many-points'; maxPoints: number };

/** Collects errors, listing the first MAX_LISTED_ERRORS and counting the rest. */
interface ErrorSink {
  errors: PointError[];
  total: number;
}

function report(sink: ErrorSink, index: number, field: string, reason: string) {
  sink.total++;
  if (sink.errors.length < MAX_LISTED_ERRORS) sink.errors.push({ index, field, reason });
}

const invalid = (sink: ErrorSink): ParseResult => ({
  ok: false,
  kind: 'invalid',
  errors: sink.errors,
  totalErrors: sink.total,
});

const tooMany = (maxPoints: number): ParseResult => ({
  ok: false,
  kind: 'too-many-points',
  maxPoints,
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const NOT_JSON = Symbol('not JSON');

/** The parsed value, or NOT_JSON after reporting why (no result object per line on the hot path). */
function parseJson(text: string, index: number, field: string, sink: ErrorSink): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    report(sink, index, field, `invalid JSON: ${(error as Error).message}`);
    return NOT_JSON;
  }
}

/** Blank NDJSON lines are skipped; only a line starting with whitespace needs the full check. */
function isBlank(line: string): boolean {
  if (line.length === 0) return true;
  const first = line.charCodeAt(0);
  return (first === 32 || first === 9 || first === 13) && line.trim() === '';
}

function checkTs(raw: unknown, index: number, context: ParseContext, sink: ErrorSink) {
  let ts: number | undefined;
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw)) {
      report(sink, index, 'ts', 'must be an integer number of epoch milliseconds');
      return undefined;
    }
    ts = raw;
  } else if (typeof raw === 'string') {
    ts = parseRfc3339(raw);
    if (ts === undefined) {
      report(sink, index, 'ts', 'must be an RFC 3339 date-time with an offset or Z');
      return undefined;
    }
  } else {
    report(sink, index, 'ts', 'must be epoch milliseconds or an RFC 3339 string');
    return undefined;
  }
  if (ts < 0) {
    report(sink, index, 'ts', 'is before 1970-01-01T00:00:00Z');
    return undefined;
  }
  if (ts > context.receivedAt + MAX_FUTURE_MS) {
    report(sink, index, 'ts', 'is more than 24 hours ahead of the server clock');
    return undefined;
  }
  const retention = context.rawRetention;
  if (retention && ts < context.receivedAt - retention.ms) {
    report(sink, index, 'ts', `is older than the raw retention of ${retention.text}`);
    return undefined;
  }
  return ts;
}

function valueProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? undefined : 'must be a finite number';
    case 'boolean':
      return undefined;
    case 'string':
      // Length in UTF-16 units first (cheap); count code points only when it could matter.
      if (value.length > MAX_STRING_LENGTH && [...value].length > MAX_STRING_LENGTH) {
        return `must be at most ${MAX_STRING_LENGTH} characters`;
      }
      return textProblem(value);
    default:
      return 'must be a number, a boolean or a string';
  }
}

function checkMetrics(raw: unknown, index: number, sink: ErrorSink) {
  if (!isPlainObject(raw)) {
    const reason = raw === undefined ? 'is required' : 'must be an object of metric name to value';
    report(sink, index, 'metrics', reason);
    return undefined;
  }
  let count = 0;
  let valid = true;
  for (const name in raw) {
    if (++count > MAX_METRICS_PER_POINT) break;
    const badName = metricNameProblem(name);
    if (badName !== undefined) {
      valid = false;
      report(sink, index, `metrics.${name.slice(0, 64)}`, badName);
      continue;
    }
    const problem = valueProblem(raw[name]);
    if (problem) {
      valid = false;
      report(sink, index, `metrics.${name}`, problem);
    }
  }
  if (count === 0 || count > MAX_METRICS_PER_POINT) {
    report(sink, index, 'metrics', `must hold 1 to ${MAX_METRICS_PER_POINT} metrics`);
    return undefined;
  }
  return valid ? (raw as Record<string, MetricValue>) : undefined;
}

/** A point, or undefined after reporting every problem it has. */
function toPoint(
  raw: unknown,
  index: number,
  context: ParseContext,
  sink: ErrorSink,
): TelemetryPoint | undefined {
  if (!isPlainObject(raw)) {
    report(sink, index, 'point', 'must be an object with "metrics" and an optional "ts"');
    return undefined;
  }
  let valid = true;
  for (const key in raw) {
    if (key !== 'ts' && key !== 'metrics') {
      valid = false;
      report(sink, index, key.slice(0, 64), 'unknown field (a point has only "ts" and "metrics")');
    }
  }
  const ts = raw.ts === undefined ? context.receivedAt : checkTs(raw.ts, index, context, sink);
  const metrics = checkMetrics(raw.metrics, index, sink);
  if (!valid || ts === undefined || metrics === undefined) return undefined;
  // orgId and deviceId come from the authenticated device, never from the body.
  return {
    orgId: context.orgId,
    deviceId: context.deviceId,
    ts,
    metrics,
    receivedAt: context.receivedAt,
  };
}

function parseJsonBody(body: string, context: ParseContext, sink: ErrorSink): ParseResult {
  const parsed = parseJson(body, -1, 'body', sink);
  if (parsed === NOT_JSON) return invalid(sink);
  const items = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  if (items.length > context.maxPoints) return tooMany(context.maxPoints);
  if (items.length === 0) {
    report(sink, -1, 'body', 'holds no points');
    return invalid(sink);
  }
  const points: TelemetryPoint[] = [];
  for (let index = 0; index < items.length; index++) {
    const point = toPoint(items[index], index, context, sink);
    if (point && sink.total === 0) points.push(point);
  }
  return sink.total === 0 ? { ok: true, points } : invalid(sink);
}

function parseNdjsonBody(body: string, context: ParseContext, sink: ErrorSink): ParseResult {
  const points: TelemetryPoint[] = [];
  let count = 0;
  let start = 0;
  // indexOf over the body instead of split('\n'): no array of every line up front.
  for (let index = 0; start <= body.length; index++) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    const line = body.slice(start, end);
    start = end + 1;
    if (isBlank(line)) continue;
    if (++count > context.maxPoints) return tooMany(context.maxPoints);
    const parsed = parseJson(line, index, 'point', sink);
    if (parsed === NOT_JSON) continue;
    const point = toPoint(parsed, index, context, sink);
    if (point && sink.total === 0) points.push(point);
  }
  if (count === 0) {
    report(sink, -1, 'body', 'holds no points');
    return invalid(sink);
  }
  return sink.total === 0 ? { ok: true, points } : invalid(sink);
}

/** Every error in the body is reported (the first MAX_LISTED_ERRORS listed); no partial result. */
export function parsePoints(body: string, format: BodyFormat, context: ParseContext): ParseResult {
  const sink: ErrorSink = { errors: [], total: 0 };
  return format === 'ndjson'
    ? parseNdjsonBody(body, context, sink)
    : parseJsonBody(body, context, sink);
}
