import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type RemoteJWKSetOptions,
} from 'jose';
import type { CredentialVerifier } from './authenticator.js';
import { InvalidCredentialError, isRole, userViewer, type Role } from './viewer.js';

/** What signing a local HS256 token needs (embedded admin token, simulator, tests). */
export interface JwtSettings {
  secret: string;
  issuer: string;
  audience: string;
  organizationClaim?: string;
  roleClaim?: string;
  clockToleranceSeconds?: number;
}

export interface JwtVerifierSettings {
  issuer: string;
  audience: string;
  /** Verifies the HS* algorithms of the allow-list. */
  secret?: string;
  /** An OAuth 2.0 / OIDC provider's key set: verifies the asymmetric algorithms of the allow-list. */
  jwksUrl?: string;
  /** Allow-list; defaults to HS256 with a secret only, RS256 and ES256 with a JWKS URL. */
  algorithms?: readonly string[];
  /** A claim name, or a dotted path into nested claims (`app_metadata.org`). */
  organizationClaim?: string;
  roleClaim?: string;
  clockToleranceSeconds?: number;
  /** jose's key set cache: tests shorten the refetch cooldown. */
  jwks?: Pick<RemoteJWKSetOptions, 'cooldownDuration' | 'cacheMaxAge' | 'timeoutDuration'>;
}

const isHmac = (algorithm: string) => algorithm.startsWith('HS');

function defaultAlgorithms(settings: JwtVerifierSettings): string[] {
  return settings.jwksUrl ? ['RS256', 'ES256'] : ['HS256'];
}

/**
 * Reads a claim by exact name first (namespaced claims such as `https://example.com/org` hold
 * dots), then as a path: each dot may split an object key from the rest of the path.
 */
export function readClaim(payload: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  for (let dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
    const head = payload[path.slice(0, dot)];
    if (head && typeof head === 'object' && !Array.isArray(head)) {
      const found = readClaim(head as Record<string, unknown>, path.slice(dot + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Verifies user JWTs with jose. Algorithms come only from the configured allow-list, and each
 * family is bound to its own key: HS* verify only with the secret, RS/ES/PS/EdDSA only with the
 * provider's JWKS keys, so `alg: none` and an HS256 token "signed" with a public key can never
 * pass. `iss`, `aud`, `exp` (required) and `nbf` are checked with a small clock tolerance.
 */
export function createJwtVerifier(settings: JwtVerifierSettings): CredentialVerifier {
  const algorithms = [...(settings.algorithms ?? defaultAlgorithms(settings))];
  if (algorithms.length === 0 || algorithms.some((alg) => alg.toLowerCase() === 'none')) {
    throw new Error('JWT algorithms must be a non-empty allow-list without "none"');
  }
  const hmacAlgorithms = algorithms.filter(isHmac);
  const keySetAlgorithms = algorithms.filter((alg) => !isHmac(alg));
  if (hmacAlgorithms.length > 0 && !settings.secret) {
    throw new Error(`JWT algorithms ${hmacAlgorithms.join(', ')} need JWT_SECRET`);
  }
  if (keySetAlgorithms.length > 0 && !settings.jwksUrl) {
    throw new Error(`JWT algorithms ${keySetAlgorithms.join(', ')} need JWT_JWKS_URL`);
  }
  const secret = hmacAlgorithms.length > 0 ? new TextEncoder().encode(settings.secret) : undefined;
  // jose caches the key set, refetches when a token names an unknown `kid` (at most once per
  // cooldown, so forged kids cannot hammer the provider) and when the cache grows stale.
  const keySet =
    keySetAlgorithms.length > 0
      ? createRemoteJWKSet(new URL(settings.jwksUrl!), settings.jwks)
      : undefined;
  const organizationClaim = settings.organizationClaim ?? 'org';
  const roleClaim = settings.roleClaim ?? 'role';
  const options = {
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: settings.clockToleranceSeconds ?? 30,
    requiredClaims: ['sub', 'exp'],
  };

  async function verifySignature(token: string): Promise<JWTPayload> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new InvalidCredentialError('token is not valid');
    }
    if (secret && typeof alg === 'string' && hmacAlgorithms.includes(alg)) {
      return (await jwtVerify(token, secret, { ...options, algorithms: hmacAlgorithms })).payload;
    }
    if (keySet) {
      // An algorithm outside the list (none, HS*) is refused here by jose before any key lookup.
      return (await jwtVerify(token, keySet, { ...options, algorithms: keySetAlgorithms })).payload;
    }
    throw new InvalidCredentialError('token is not valid');
  }

  return async function verify(token) {
    try {
      const payload = await verifySignature(token);
      const organizationId = readClaim(payload, organizationClaim);
      if (typeof organizationId !== 'string' || organizationId === '' || !payload.sub) {
        throw new InvalidCredentialError('token names no organization');
      }
      const role = readClaim(payload, roleClaim) ?? 'viewer';
      if (!isRole(role)) throw new InvalidCredentialError('token carries an unknown role');
      return userViewer(payload.sub, organizationId, role, payload.exp! * 1000);
    } catch (error) {
      // Messages stay generic: neither the token nor jose's detail (claim values) reaches a client.
      if (error instanceof InvalidCredentialError) throw error;
      if (isKeySetUnavailable(error)) {
        // The provider is down or misconfigured: a server fault (masked 500), not the caller's.
        throw new Error("the identity provider's key set is unavailable", { cause: error });
      }
      if (error instanceof errors.JWTExpired) throw new InvalidCredentialError('token expired');
      if (error instanceof errors.JOSEError) throw new InvalidCredentialError('token is not valid');
      throw error;
    }
  };
}

function isKeySetUnavailable(error: unknown): boolean {
  return (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    // jose's plain JOSEError: a non-200 or unparsable key set response; fetch's TypeError: no route.
    (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC') ||
    error instanceof TypeError
  );
}

export async function signUserToken(
  settings: JwtSettings,
  user: { subject: string; organizationId: string; role: Role },
  expiresIn: string | number,
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
