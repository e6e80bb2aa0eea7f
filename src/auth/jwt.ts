import { jwtVerify, SignJWT, errors } from 'jose';

/** Who is calling, as GraphQL resolvers see it. */
export interface Viewer {
  subject: string;
  organizationId: string;
  role: string;
}

export interface JwtSettings {
  secret: string;
  issuer: string;
  audience: string;
}

export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/** Allowed clock skew between the token issuer and this server. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * HS256 with a local secret (embedded mode, and production until an OAuth provider is plugged
 * in). The algorithm is pinned so `alg: none` or an RS/HS confusion can never verify.
 */
export function createJwtVerifier(settings: JwtSettings) {
  const key = new TextEncoder().encode(settings.secret);
  return async function verify(token: string): Promise<Viewer> {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: settings.issuer,
        audience: settings.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp', 'org'],
      });
      const organizationId = payload.org;
      if (typeof organizationId !== 'string' || typeof payload.sub !== 'string') {
        throw new InvalidTokenError('token lacks an organization');
      }
      const role = typeof payload.role === 'string' ? payload.role : 'viewer';
      return { subject: payload.sub, organizationId, role };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token expired');
      if (error instanceof errors.JOSEError) throw new InvalidTokenError('token is not valid');
      throw error;
    }
  };
}

export type JwtVerifier = ReturnType<typeof createJwtVerifier>;

export async function signUserToken(
  settings: JwtSettings,
  viewer: Viewer,
  expiresIn: string,
): Promise<string> {
  return new SignJWT({ org: viewer.organizationId, role: viewer.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(viewer.subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(settings.secret));
}
