import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RetentionPeriod } from '../domain/retention.js';
import {
  createFailedAuthGuard,
  TooManyFailedAuthenticationsError,
  type FailedAuthLimits,
} from '../auth/failed-auth-guard.js';
import { answerAndDrain } from '../http/drain-request.js';
import { rateLimitHeaders, rateLimitedMessage } from '../http/rate-limit-headers.js';
import type { RateLimitPolicy } from '../http/rate-limit-policy.js';
import type { Logger } from '../logger.js';
import { ingestRequestsRejected } from '../metrics/ingest-metrics.js';
import type { DeviceIdentity, DeviceRepository } from '../ports/device-repository.js';
import type { EventBus } from '../ports/event-bus.js';
import { createDeviceAuthenticator } from './device-auth.js';
import { createPointAcceptor, type IngestErrorBody, type IngestLimits } from './accept-points.js';
import type { BodyFormat } from './parse-points.js';
import { readBody } from '../http/read-body.js';

export interface IngestHandlerOptions {
  devices: Pick<DeviceRepository, 'findIdentitiesByTokenHashes'>;
  bus: Pick<EventBus, 'publish'>;
  limits: IngestLimits;
  /** RAW_RETENTION: points older than it are refused (400), as no read would show them. */
  rawRetention?: RetentionPeriod;
  logger: Logger;
  /** Receive time source (epoch ms); tests pin it. */
  now?: () => number;
  /** Device auth cache; defaults suit production (see createDeviceAuthenticator). */
  auth?: { ttlMs?: number; maxEntries?: number };
  /**
   * Per-device token buckets, and (when given) per-address buckets of failed authentications;
   * without it ingest is unlimited.
   */
  rateLimiter?: Pick<RateLimitPolicy, 'device'> & Partial<FailedAuthLimits>;
}

type ErrorBody = IngestErrorBody;

function send(
  res: ServerResponse,
  status: number,
  body: ErrorBody | { accepted: number },
  headers: Record<string, string> = {},
) {
  if ('code' in body) ingestRequestsRejected.inc({ transport: 'http', code: body.code });
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  // Parameters such as `charset=utf-8` are fine: JSON is UTF-8 on the wire (RFC 8259).
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return 'json';
  if (mediaType === 'application/x-ndjson') return 'ndjson';
  return undefined;
}

/** true for gzip, false for none, undefined for a coding we do not decode. */
function isGzip(contentEncoding: string | undefined): boolean | undefined {
  const coding = contentEncoding?.trim().toLowerCase();
  if (!coding || coding === 'identity') return false;
  if (coding === 'gzip' || coding === 'x-gzip') return true;
  return undefined;
}

const tooLarge = (req: IncomingMessage, res: ServerResponse, message: string) => {
  ingestRequestsRejected.inc({ transport: 'http', code: 'PAYLOAD_TOO_LARGE' });
  answerAndDrain(
    req,
    res,
    413,
    { 'content-type': 'application/json' },
    JSON.stringify({ code: 'PAYLOAD_TOO_LARGE', message } satisfies ErrorBody),
  );
};

/** A fault of the whole body, listed like a point's (index -1, as parse-points.ts does). */
const badBody = (res: ServerResponse, reason: string) =>
  send(res, 400, {
    code: 'INVALID_POINTS',
    message: `the body ${reason}; nothing was accepted`,
    errors: [{ index: -1, field: 'body', reason }],
  });

const unavailable = (res: ServerResponse, message: string) =>
  send(res, 503, { code: 'UNAVAILABLE', message }, { 'retry-after': '1' });

/**
 * `POST /v1/telemetry` (README "Ingest API"): authenticate the device, read and validate the
 * body, then one `bus.publish` for the whole request and 202 only once the bus has the points.
 * A request is all or nothing. Tokens and bodies are never logged.
 */
export function createIngestHandler(options: IngestHandlerOptions) {
  const { limits, logger, now = Date.now } = options;
  const acceptPoints = createPointAcceptor({ ...options, transport: 'http' });
  const authenticator = createDeviceAuthenticator({ devices: options.devices, ...options.auth });
  const limiter = options.rateLimiter;
  const failedAuthLimits =
    limiter?.authAttempt && limiter.authFailure ? (limiter as FailedAuthLimits) : undefined;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'POST') {
      return send(res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'use POST' }, { allow: 'POST' });
    }

    // Forged tokens each cost a lookup: failures are charged to the client's address, and an
    // address over its limit gets 429 before any lookup (src/auth/failed-auth-guard.ts).
    const guard = createFailedAuthGuard(failedAuthLimits, req.socket.remoteAddress ?? 'unknown');
    let device: DeviceIdentity | null;
    try {
      device = await authenticator.authenticate(req.headers.authorization, {
        beforeLookup: () => guard.beforeLookup(),
      });
      if (!device) await guard.failed();
    } catch (error) {
      if (error instanceof TooManyFailedAuthenticationsError) {
        const message = rateLimitedMessage(error.decision);
        return send(res, 429, { code: 'RATE_LIMITED', message }, rateLimitHeaders(error.decision));
      }
      logger.error({ err: error }, 'device lookup failed');
      return unavailable(res, 'device authentication is unavailable; retry shortly');
    }
    if (!device) {
      return send(res, 401, {
        code: 'UNAUTHORIZED',
        message: 'a valid device token is required: Authorization: Bearer <token>',
      });
    }
    if (device.status === 'DISABLED') {
      return send(res, 403, { code: 'FORBIDDEN', message: 'this device is disabled' });
    }
    // Before the body is read: an over-eager device costs one bucket lookup, not a parse.
    const limit = await options.rateLimiter?.device(device);
    const limitHeaders = limit ? rateLimitHeaders(limit) : {};
    if (limit && !limit.allowed) {
      const message = rateLimitedMessage(limit);
      return send(res, 429, { code: 'RATE_LIMITED', message }, limitHeaders);
    }

    const format = bodyFormat(req.headers['content-type']);
    const gzip = isGzip(req.headers['content-encoding']);
    if (!format || gzip === undefined) {
      return send(res, 415, {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: !format
          ? 'Content-Type must be application/json or application/x-ndjson'
          : 'Content-Encoding must be gzip or none',
      });
    }
    const tooLargeMessage = `the body is larger than ${limits.maxBodyBytes} bytes`;
    const declared = Number(req.headers['content-length']);
    if (declared > limits.maxBodyBytes) return tooLarge(req, res, tooLargeMessage);

    const receivedAt = now();
    const read = await readBody(req, limits.maxBodyBytes, gzip);
    if (!read.ok) {
      if (read.reason === 'too-large') return tooLarge(req, res, tooLargeMessage);
      if (read.reason === 'bad-gzip') return badBody(res, 'is not valid gzip');
      if (read.reason === 'bad-utf8') return badBody(res, 'is not valid UTF-8');
      return; // the client went away: nobody to answer, nothing published.
    }

    const outcome = await acceptPoints(device, read.body, format, receivedAt);
    if (!outcome.ok) {
      if (outcome.status === 413) return tooLarge(req, res, outcome.body.message);
      return send(
        res,
        outcome.status,
        outcome.body,
        outcome.status === 503 ? { 'retry-after': '1' } : {},
      );
    }
    send(res, 202, { accepted: outcome.accepted }, limitHeaders);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'ingest request failed');
      if (!res.headersSent) send(res, 500, { code: 'INTERNAL', message: 'internal error' });
      else res.destroy();
    });
  };
}
