import { jwtVerify, SignJWT, errors } from 'jose';
import { InvalidCredentialError, isRole, userViewer, type Role, type Viewer } from './viewer.js';

export interface JwtSettings {
  secret: string;
  issuer: string;
  audience: string;
  organizationClaim?: string;
  roleClaim?: string;
  clockToleranceSeconds?: number;
}

/**
 * HS256 with a local secret (embedded mode, and production until an OAuth provider is plugged
 * in). The algorithm is pinned so `alg: none` or an RS/HS confusion can never verify; `iss`,
 * `aud`, `exp` and `nbf` are checked with a small clock tolerance.
 */
export function createJwtVerifier(settings: JwtSettings) {
  const key = new TextEncoder().encode(settings.secret);
  const organizationClaim = settings.organizationClaim ?? 'org';
  const roleClaim = settings.roleClaim ?? 'role';
  return async function verify(token: string): Promise<Viewer> {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: settings.issuer,
        audience: settings.audience,
        clockTolerance: settings.clockToleranceSeconds ?? 30,
        requiredClaims: ['sub', 'exp'],
      });
      const organizationId = payload[organizationClaim];
      if (typeof organizationId !== 'string' || typeof payload.sub !== 'string') {
        throw new InvalidCredentialError('token names no organization');
      }
      const role = payload[roleClaim] ?? 'viewer';
      if (!isRole(role)) throw new InvalidCredentialError('token carries an unknown role');
      return userViewer(payload.sub, organizationId, role, payload.exp! * 1000);
    } catch (error) {
      if (error instanceof InvalidCredentialError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidCredentialError('token expired');
      if (error instanceof errors.JOSEError) throw new InvalidCredentialError('token is not valid');
      throw error;
    }
  };
}

export async function signUserToken(
  settings: JwtSettings,
  user: { subject: string; organizationId: string; role: Role },
  expiresIn: string,
): Promise<string> {
  return new SignJWT({
    [settings.organizationClaim ?? 'org']: user.organizationId,
    [settings.roleClaim ?? 'role']: user.role,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(settings.secret));
}
