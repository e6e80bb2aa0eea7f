import { trace } from '@opentelemetry/api';
import type { Logger } from '../logger.js';
import {
  ingestBusPublishDuration,
  ingestPointsAccepted,
  type IngestTransport,
} from '../metrics/ingest-metrics.js';
import { shorterPeriod, type RetentionPeriod } from '../domain/retention.js';
import type { DeviceIdentity } from '../ports/device-repository.js';
import type { EventBus } from '../ports/event-bus.js';
import { parsePoints, type BodyFormat, type PointError } from './parse-points.js';

export interface IngestLimits {
  maxBodyBytes: number;
  maxPoints: number;
}

/** What ingest answers when it refuses a body: the JSON of HTTP's error answers (README). */
export interface IngestErrorBody {
  code: string;
  message: string;
  errors?: PointError[];
}

export type AcceptOutcome =
  { ok: true; accepted: number } | { ok: false; status: 400 | 413 | 503; body: IngestErrorBody };

/**
 * The step every ingest transport shares once it has a device and a body (HTTP's request body,
 * an MQTT PUBLISH's payload): validate the points (all or nothing) and publish them to the bus in
 * one call; `ok` only once the bus has them (Kafka acknowledged, or the write-ahead log synced).
 */
export function createPointAcceptor(options: {
  bus: Pick<EventBus, 'publish'>;
  limits: IngestLimits;
  /** RAW_RETENTION; a device's organization may set a shorter one (DeviceIdentity). */
  rawRetention?: RetentionPeriod;
  logger: Logger;
  transport: IngestTransport;
}) {
  const { bus, limits, logger, transport } = options;
  const accepted = ingestPointsAccepted.labels(transport);
  const publishDuration = ingestBusPublishDuration.labels(transport);
  return async function acceptPoints(
    device: DeviceIdentity,
    body: string,
    format: BodyFormat,
    receivedAt: number,
  ): Promise<AcceptOutcome> {
    // The transport's span (the HTTP request, the MQTT PUBLISH) says whose points these are.
    trace
      .getActiveSpan()
      ?.setAttributes({ 'device.id': device.deviceId, 'body.bytes': body.length });
    const parsed = parsePoints(body, format, {
      orgId: device.organizationId,
      deviceId: device.deviceId,
      receivedAt,
      maxPoints: limits.maxPoints,
      rawRetention: shorterPeriod(options.rawRetention, device.rawRetention),
    });
    if (!parsed.ok) {
      if (parsed.kind === 'too-many-points') {
        const message = `a request holds at most ${limits.maxPoints} points`;
        return { ok: false, status: 413, body: { code: 'PAYLOAD_TOO_LARGE', message } };
      }
      const listed = parsed.errors.length;
      const more = parsed.totalErrors - listed;
      return {
        ok: false,
        status: 400,
        body: {
          code: 'INVALID_POINTS',
          message:
            `${parsed.totalErrors} problem(s) in the body; nothing was accepted` +
            (more > 0 ? ` (the first ${listed} are listed, ${more} more not shown)` : ''),
          errors: parsed.errors,
        },
      };
    }
    const published = publishDuration.startTimer();
    try {
      await bus.publish(parsed.points);
      published();
    } catch (error) {
      logger.error(
        { err: error, deviceId: device.deviceId, points: parsed.points.length },
        'publishing telemetry to the bus failed',
      );
      return {
        ok: false,
        status: 503,
        body: {
          code: 'UNAVAILABLE',
          message: 'telemetry cannot be accepted right now; retry shortly',
        },
      };
    }
    accepted.inc(parsed.points.length);
    trace.getActiveSpan()?.setAttribute('telemetry.points', parsed.points.length);
    return { ok: true, accepted: parsed.points.length };
  };
}
