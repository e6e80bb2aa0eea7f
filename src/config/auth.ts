import { z } from 'zod';
import { list, optionalString, type Requirement } from './fields.js';
import type { Mode } from './server.js';

const algorithm = z.enum(['HS256', 'RS256', 'ES256', 'PS256', 'EdDSA']);
const defaultAlgorithms = (jwks: boolean): z.output<typeof algorithm>[] =>
  jwks ? ['RS256', 'ES256'] : ['HS256'];

/**
 * How user tokens are verified (an HS256 secret, or an OAuth provider's keys), and how long a
 * rotated-out device token keeps working. In production a JWKS URL must be https: keys fetched
 * over plain HTTP can be swapped in transit, and with them every token.
 */
export const authSettings = (mode: Mode) =>
  z
    .object({
      JWT_SECRET: optionalString.pipe(z.string().min(32).optional()),
      JWT_JWKS_URL: optionalString.pipe(
        z
          .url()
          .refine((url) => mode !== 'production' || isSecureUrl(url), {
            error: 'must be https:// when MODE=production (http only on loopback)',
          })
          .optional(),
      ),
      JWT_ALGORITHMS: optionalString.pipe(list.pipe(z.array(algorithm)).optional()),
      JWT_ISSUER: z.string().default('iot-analytics'),
      JWT_AUDIENCE: z.string().default('iot-analytics-api'),
      JWT_ORG_CLAIM: z.string().default('org'),
      JWT_ROLE_CLAIM: z.string().default('role'),
      JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
      DEVICE_TOKEN_GRACE_SECONDS: z.coerce.number().int().min(0).default(3_600),
    })
    .transform((env) => ({
      auth: {
        jwtSecret: env.JWT_SECRET,
        jwksUrl: env.JWT_JWKS_URL,
        /** Allow-list; defaults to HS256 with a secret, RS256 and ES256 with a JWKS URL. */
        algorithms: env.JWT_ALGORITHMS ?? defaultAlgorithms(env.JWT_JWKS_URL !== undefined),
        issuer: env.JWT_ISSUER,
        audience: env.JWT_AUDIENCE,
        organizationClaim: env.JWT_ORG_CLAIM,
        roleClaim: env.JWT_ROLE_CLAIM,
        clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
      },
      deviceTokenGraceSeconds: env.DEVICE_TOKEN_GRACE_SECONDS,
    }));

/** The api process verifies user tokens: with JWT_SECRET, or with keys from JWT_JWKS_URL. */
export const userTokensRequired: Requirement = (given) =>
  given('JWT_SECRET') || given('JWT_JWKS_URL')
    ? []
    : [{ setting: 'JWT_SECRET', problem: 'JWT_SECRET or JWT_JWKS_URL is required' }];

function isSecureUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:') return true;
    return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  } catch {
    return true; // not a URL at all: z.url() reports that
  }
}
