import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CredentialVerifier } from '../../auth/authenticator.js';
import {
  authenticateGuarded,
  createFailedAuthGuard,
  TooManyFailedAuthenticationsError,
  type FailedAuthLimits,
} from '../../auth/failed-auth-guard.js';
import { InvalidCredentialError } from '../../auth/viewer.js';
import { rateLimitHeaders, rateLimitedMessage } from '../../http/rate-limit-headers.js';
import type { RateLimitPolicy } from '../../http/rate-limit-policy.js';
import type { RequestHandler } from '../../http/service-server.js';
import type { Logger } from '../../logger.js';
import type { DeviceRepository } from '../../ports/device-repository.js';
import { InputRefusedError } from '../../ports/input-refused.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import { bearerToken } from '../server-context.js';
import { MEDIA_TYPES, negotiateFormat } from './accept.js';
import { EXPORT_FORMAT } from './formats.js';
import { effectiveRetention, oldestKeptAt, type Retention } from '../../domain/retention.js';
import { parseExportParameters } from './parameters.js';
import { badRequest, refuse } from './refusals.js';
import { selectDevices } from './select-devices.js';
import { openStreamedBody } from './streamed-body.js';
import { streamPoints } from './stream-points.js';

export const EXPORT_PATH = '/v1/export';

export interface ExportHandlerOptions {
  devices: Pick<DeviceRepository, 'findDevices' | 'listFleet' | 'getRetention'>;
  telemetry: Pick<TelemetryStore, 'raw' | 'reportingDevices'>;
  /** The API's authenticator (JWT or API key), as GraphQL uses it. */
  authenticate: CredentialVerifier;
  /**
   * Per-viewer buckets (the GraphQL requests' own: an export costs one token) and failed
   * authentications per address; without it exports are unlimited.
   */
  rateLimits?: Pick<RateLimitPolicy, 'viewer'> & FailedAuthLimits;
  logger: Logger;
  /**
   * RAW_RETENTION and ROLLUP_RETENTION: with the organization's own (devices.getRetention), the
   * range is clamped to the raw retention in force, as every GraphQL read is.
   */
  retention?: Retention;
  /** Points per `raw()` page (EXPORT_PAGE_POINTS); tests make it small. */
  pageSize?: number;
}

/** The query string of a request, whatever its path looks like. */
function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '';
  const question = url.indexOf('?');
  return new URLSearchParams(question < 0 ? '' : url.slice(question + 1));
}

/**
 * `GET /v1/export` (README "Export"): a device's or a filter's raw points over [from, to) as CSV
 * or NDJSON, streamed page by page (stream-points.ts) at the client's pace. Checked in this order,
 * each refusal a JSON body in ingest's shape: method (405), credential (401; 429 for an address
 * over its failed-authentication limit), the viewer's rate limit (429), `telemetry:read` (403),
 * the parameters (400, every problem listed), `devices:read` for a filter (403), the format (406),
 * the devices (404, or 400 past MAX_FLEET_DEVICES). A store or database that fails before the
 * first byte is a 503; after it, the response is aborted (streamed-body.ts).
 */
export function createExportHandler(options: ExportHandlerOptions): RequestHandler {
  const { devices, telemetry, authenticate, rateLimits, logger, pageSize } = options;

  /** The viewer, or undefined once the refusal is sent. */
  async function authenticateRequest(req: IncomingMessage, res: ServerResponse) {
    const token = bearerToken(req.headers.authorization);
    const guard = createFailedAuthGuard(rateLimits, req.socket.remoteAddress ?? 'unknown');
    try {
      return await authenticateGuarded(authenticate, token, guard);
    } catch (error) {
      if (error instanceof TooManyFailedAuthenticationsError) {
        const message = rateLimitedMessage(error.decision);
        refuse(res, 429, { code: 'RATE_LIMITED', message }, rateLimitHeaders(error.decision));
      } else if (error instanceof InvalidCredentialError) {
        const message = token
          ? error.message
          : 'send a bearer token: Authorization: Bearer <JWT or API key>';
        refuse(res, 401, { code: 'UNAUTHORIZED', message }, { 'www-authenticate': 'Bearer' });
      } else {
        logger.error({ err: error }, 'export: authentication failed');
        unavailable(res, 'authentication is unavailable; retry shortly');
      }
      return undefined;
    }
  }

  const unavailable = (res: ServerResponse, message: string) =>
    refuse(res, 503, { code: 'UNAVAILABLE', message }, { 'retry-after': '1' });

  const forbidden = (res: ServerResponse, permission: string, what: string) =>
    refuse(res, 403, {
      code: 'FORBIDDEN',
      message: `${what} needs the ${permission} permission`,
    });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return refuse(
        res,
        405,
        { code: 'METHOD_NOT_ALLOWED', message: 'use GET' },
        { allow: 'GET, HEAD' },
      );
    }
    const viewer = await authenticateRequest(req, res);
    if (!viewer) return;
    const limit = await rateLimits?.viewer(viewer);
    const limitHeaders = limit ? rateLimitHeaders(limit) : {};
    if (limit && !limit.allowed) {
      const message = rateLimitedMessage(limit);
      return refuse(res, 429, { code: 'RATE_LIMITED', message }, limitHeaders);
    }
    if (!viewer.permissions.has('telemetry:read')) {
      return forbidden(res, 'telemetry:read', 'exporting telemetry');
    }

    const parsed = parseExportParameters(queryOf(req));
    if (!parsed.ok) return badRequest(res, parsed.problems);
    const { to, metrics, devices: selection } = parsed.parameters;
    // Points past the retention may not be deleted yet: never shown (README "Retention").
    const own = await options.devices.getRetention(viewer.organizationId);
    const oldest = oldestKeptAt(effectiveRetention(options.retention ?? {}, own).raw, Date.now());
    const from = Math.min(to, Math.max(parsed.parameters.from, oldest));
    if (selection.kind === 'filter' && !viewer.permissions.has('devices:read')) {
      return forbidden(res, 'devices:read', 'choosing devices by filter (or all of them)');
    }
    const formatName = parsed.parameters.format ?? negotiateFormat(req.headers.accept);
    if (!formatName) {
      return refuse(res, 406, {
        code: 'NOT_ACCEPTABLE',
        message: `Accept allows neither ${MEDIA_TYPES.csv} nor ${MEDIA_TYPES.ndjson}; accept one, or send format=csv or format=ndjson`,
      });
    }
    const format = EXPORT_FORMAT[formatName];

    const orgId = viewer.organizationId;
    let selected: Awaited<ReturnType<typeof selectDevices>>;
    try {
      selected = await selectDevices({ devices, telemetry, orgId, selection, from, to });
    } catch (error) {
      if (error instanceof InputRefusedError) {
        return badRequest(res, [{ parameter: 'filter', reason: 'the database cannot match it' }]);
      }
      logger.error({ err: error }, 'export: reading the devices failed');
      return unavailable(res, 'devices cannot be read right now; retry shortly');
    }
    if (!selected.ok) {
      if (selected.refusal === 'not-found') {
        return refuse(res, 404, { code: 'NOT_FOUND', message: selected.message });
      }
      return badRequest(res, [{ parameter: 'filter', reason: selected.message }]);
    }

    const body = openStreamedBody(req, res, {
      ...limitHeaders,
      'content-type': format.contentType,
      'content-disposition': `attachment; filename="telemetry.${format.name}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return body.end();

    const started = Date.now();
    const summary = () => ({
      organizationId: orgId,
      viewer: `${viewer.kind}:${viewer.subject}`,
      format: format.name,
      devices: selected.deviceIds.length,
      drainWaits: body.drainWaits,
      ms: Date.now() - started,
    });
    let result: Awaited<ReturnType<typeof streamPoints>>;
    try {
      result = await streamPoints({
        telemetry,
        orgId,
        deviceIds: selected.deviceIds,
        from,
        to,
        metrics,
        format,
        body,
        pageSize,
      });
    } catch (error) {
      logger.error({ err: error, ...summary() }, 'export: reading the points failed');
      if (!res.headersSent)
        return unavailable(res, 'telemetry cannot be read right now; retry shortly');
      return body.abort();
    }
    if (result.complete) await body.end();
    logger.info(
      { ...summary(), points: result.points, complete: result.complete },
      result.complete ? 'export sent' : 'export stopped: the client went away',
    );
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'export request failed');
      if (!res.headersSent) refuse(res, 500, { code: 'INTERNAL', message: 'internal error' });
      else res.destroy();
    });
  };
}
