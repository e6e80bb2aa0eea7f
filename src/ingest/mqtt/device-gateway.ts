import type { RetentionPeriod } from '../../domain/retention.js';
import {
  createFailedAuthGuard,
  TooManyFailedAuthenticationsError,
  type FailedAuthLimits,
} from '../../auth/failed-auth-guard.js';
import { rateLimitedMessage } from '../../http/rate-limit-headers.js';
import type { RateLimitPolicy } from '../../http/rate-limit-policy.js';
import { createPointAcceptor, type IngestErrorBody, type IngestLimits } from '../accept-points.js';
import { createDeviceAuthenticator } from '../device-auth.js';
import type { Logger } from '../../logger.js';
import { ingestRequestsRejected } from '../../metrics/ingest-metrics.js';
import type { DeviceIdentity, DeviceRepository } from '../../ports/device-repository.js';
import type { EventBus } from '../../ports/event-bus.js';

/** A refused connect, counted under the code HTTP ingest answers the same refusal with. */
const CONNECT_REFUSAL_CODE = {
  BAD_CREDENTIALS: 'UNAUTHORIZED',
  DISABLED: 'FORBIDDEN',
  THROTTLED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;

// fatal: invalid UTF-8 is refused like HTTP's, not patched with replacement characters.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type ConnectOutcome =
  | { ok: true; device: DeviceIdentity }
  | { ok: false; refusal: 'BAD_CREDENTIALS' | 'DISABLED' | 'THROTTLED' | 'UNAVAILABLE' };

export type PublishOutcome =
  | { ok: true; accepted: number }
  | {
      ok: false;
      refusal: 'INVALID_POINTS' | 'PAYLOAD_TOO_LARGE' | 'RATE_LIMITED' | 'UNAVAILABLE';
      body: IngestErrorBody;
    };

/**
 * HTTP ingest's rules for a device on MQTT, apart from the protocol: the token checked with the
 * same hashed lookup and cache (a rotated-out token works through its grace, a revoked one or a
 * disabled device is refused), failed attempts charged to the client's address like HTTP's, the
 * device's own rate limit, and the same validation and bus publish (createPointAcceptor).
 */
export function createMqttDeviceGateway(options: {
  devices: Pick<DeviceRepository, 'findIdentitiesByTokenHashes'>;
  bus: Pick<EventBus, 'publish'>;
  limits: IngestLimits;
  rawRetention?: RetentionPeriod;
  rateLimiter?: Pick<RateLimitPolicy, 'device'> & Partial<FailedAuthLimits>;
  logger: Logger;
  now?: () => number;
}) {
  const { logger, now = Date.now } = options;
  const authenticator = createDeviceAuthenticator({ devices: options.devices });
  const acceptPoints = createPointAcceptor({ ...options, transport: 'mqtt' });
  const limiter = options.rateLimiter;
  const failedAuthLimits =
    limiter?.authAttempt && limiter.authFailure ? (limiter as FailedAuthLimits) : undefined;

  const gateway = {
    async connect(token: string, client: string): Promise<ConnectOutcome> {
      const guard = createFailedAuthGuard(failedAuthLimits, client);
      try {
        const device = await authenticator.authenticateToken(token, {
          beforeLookup: () => guard.beforeLookup(),
        });
        if (!device) {
          await guard.failed();
          return { ok: false, refusal: 'BAD_CREDENTIALS' };
        }
        if (device.status === 'DISABLED') return { ok: false, refusal: 'DISABLED' };
        return { ok: true, device };
      } catch (error) {
        if (error instanceof TooManyFailedAuthenticationsError) {
          return { ok: false, refusal: 'THROTTLED' };
        }
        logger.error({ err: error }, 'device lookup failed');
        return { ok: false, refusal: 'UNAVAILABLE' };
      }
    },

    /**
     * A connection's token was found revoked or its device disabled: the next connection with it
     * is looked up afresh instead of being let in by the cache.
     */
    forget(tokenHash: string) {
      authenticator.forget(tokenHash);
    },

    async publish(device: DeviceIdentity, payload: Buffer): Promise<PublishOutcome> {
      const limit = await limiter?.device(device);
      if (limit && !limit.allowed) {
        return {
          ok: false,
          refusal: 'RATE_LIMITED',
          body: { code: 'RATE_LIMITED', message: rateLimitedMessage(limit) },
        };
      }
      // HTTP's body limit, for the same bodies (the packet limit leaves room for the topic).
      if (payload.length > options.limits.maxBodyBytes) {
        const message = `the payload is larger than ${options.limits.maxBodyBytes} bytes`;
        return {
          ok: false,
          refusal: 'PAYLOAD_TOO_LARGE',
          body: { code: 'PAYLOAD_TOO_LARGE', message },
        };
      }
      const receivedAt = now();
      let text: string;
      try {
        text = utf8.decode(payload);
      } catch {
        const reason = 'is not valid UTF-8';
        return {
          ok: false,
          refusal: 'INVALID_POINTS',
          body: {
            code: 'INVALID_POINTS',
            message: `the payload ${reason}; nothing was accepted`,
            errors: [{ index: -1, field: 'body', reason }],
          },
        };
      }
      const outcome = await acceptPoints(device, text, 'json', receivedAt);
      if (outcome.ok) return outcome;
      const refusal =
        outcome.status === 413
          ? 'PAYLOAD_TOO_LARGE'
          : outcome.status === 503
            ? 'UNAVAILABLE'
            : 'INVALID_POINTS';
      return { ok: false, refusal, body: outcome.body };
    },
  };
  const rejected = (code: string) => ingestRequestsRejected.inc({ transport: 'mqtt', code });
  return {
    ...gateway,
    async connect(token: string, client: string): Promise<ConnectOutcome> {
      const outcome = await gateway.connect(token, client);
      if (!outcome.ok) rejected(CONNECT_REFUSAL_CODE[outcome.refusal]);
      return outcome;
    },
    async publish(device: DeviceIdentity, payload: Buffer): Promise<PublishOutcome> {
      const outcome = await gateway.publish(device, payload);
      if (!outcome.ok) rejected(outcome.body.code);
      return outcome;
    },
  };
}

export type MqttDeviceGateway = ReturnType<typeof createMqttDeviceGateway>;
