import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, signUserToken, type JwtVerifierSettings } from '../../src/auth/jwt.js';
import { InvalidCredentialError, ROLE_PERMISSIONS } from '../../src/auth/viewer.js';

const ISSUER = 'https://login.example.com/';
const AUDIENCE = 'iot-analytics-api';
const ORG = '6f1c2b9e-0000-4000-8000-000000000001';
const SECRET = 'a-local-secret-that-is-long-enough-for-hs256!';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

async function makeKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey };
}

/** A provider's JWKS endpoint: publishes the public half of `published`, counts fetches. */
const published: JWK[] = [];
let fetches = 0;
let failWith: number | undefined;
let server: Server;
let jwksUrl: string;

async function publish(key: SigningKey) {
  published.push({ ...(await exportJWK(key.publicKey)), kid: key.kid, alg: key.alg, use: 'sig' });
}

let rsa: SigningKey;
let ec: SigningKey;

beforeAll(async () => {
  rsa = await makeKey('rsa-1', 'RS256');
  ec = await makeKey('ec-1', 'ES256');
  await publish(rsa);
  await publish(ec);
  server = createServer((_req, res) => {
    fetches += 1;
    if (failWith) res.writeHead(failWith).end();
    else
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const now = () => Math.floor(Date.now() / 1000);

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { sub: 'user-1', org: ORG, role: 'operator', ...overrides };
}

async function signWith(
  key: SigningKey,
  payload: JWTPayload = claims(),
  options: { iss?: string; aud?: string; exp?: number; nbf?: number } = {},
): Promise<string> {
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 300);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(key.privateKey);
}

function providerVerifier(overrides: Partial<JwtVerifierSettings> = {}) {
  return createJwtVerifier({
    jwksUrl,
    algorithms: ['RS256', 'ES256'],
    issuer: ISSUER,
    audience: AUDIENCE,
    clockToleranceSeconds: 5,
    jwks: { cooldownDuration: 200 },
    ...overrides,
  });
}

const localSettings = {
  secret: SECRET,
  algorithms: ['HS256'],
  issuer: ISSUER,
  audience: AUDIENCE,
  clockToleranceSeconds: 5,
};

/** Every refusal is the one generic error type, and never echoes the token. */
async function expectRefused(pending: Promise<unknown>, token: string) {
  const error = await pending.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidCredentialError);
  const message = (error as Error).message;
  expect(message).toMatch(
    /^token (is not valid|expired|names no organization|carries an unknown role)$/,
  );
  for (const part of token.split('.').filter((piece) => piece.length > 8)) {
    expect(message).not.toContain(part);
  }
}

describe('valid tokens', () => {
  it('accepts RS256 and ES256 tokens from the provider with organization, role and expiry', async () => {
    const verify = providerVerifier();
    const exp = now() + 120;
    for (const key of [rsa, ec]) {
      const viewer = await verify(await signWith(key, claims(), { exp }));
      expect(viewer).toMatchObject({ kind: 'user', subject: 'user-1', organizationId: ORG });
      expect([...viewer.permissions]).toEqual(ROLE_PERMISSIONS.operator);
      expect(viewer.expiresAt).toBe(exp * 1000);
    }
  });

  it('accepts an HS256 token signed with the configured secret', async () => {
    const token = await signUserToken(
      localSettings,
      { subject: 'admin-1', organizationId: ORG, role: 'admin' },
      '1h',
    );
    const viewer = await createJwtVerifier(localSettings)(token);
    expect(viewer.organizationId).toBe(ORG);
    expect([...viewer.permissions]).toEqual(ROLE_PERMISSIONS.admin);
  });

  it('makes a token without a role claim a viewer', async () => {
    const viewer = await providerVerifier()(await signWith(rsa, claims({ role: undefined })));
    expect([...viewer.permissions]).toEqual(ROLE_PERMISSIONS.viewer);
  });

  it('reads configured claim names, namespaced or nested', async () => {
    const verify = providerVerifier({
      organizationClaim: 'https://iot.example.com/org',
      roleClaim: 'app_metadata.iot.role',
    });
    const token = await signWith(rsa, {
      sub: 'user-2',
      org: 'not-this-one',
      role: 'viewer',
      'https://iot.example.com/org': ORG,
      app_metadata: { iot: { role: 'admin' } },
    });
    const viewer = await verify(token);
    expect(viewer.organizationId).toBe(ORG);
    expect([...viewer.permissions]).toEqual(ROLE_PERMISSIONS.admin);
  });

  it('accepts a not-before within the clock tolerance', async () => {
    const token = await signWith(rsa, claims(), { nbf: now() + 3 });
    await expect(providerVerifier()(token)).resolves.toMatchObject({ organizationId: ORG });
  });
});

describe('token attacks', () => {
  it('refuses alg: none, against the provider and the local secret', async () => {
    const token = new UnsecuredJWT(claims({ role: 'admin' }))
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .encode();
    await expectRefused(providerVerifier()(token), token);
    await expectRefused(createJwtVerifier(localSettings)(token), token);
  });

  it('refuses an HS256 token whose HMAC secret is the RS256 public key', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const jwk = JSON.stringify(await exportJWK(rsa.publicKey));
    for (const secret of [pem, jwk]) {
      const token = await new SignJWT(claims({ role: 'admin' }))
        .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(secret));
      await expectRefused(providerVerifier()(token), token);
      // Even with HS256 allowed for a local secret, the public key is not that secret.
      const both = providerVerifier({ secret: SECRET, algorithms: ['HS256', 'RS256', 'ES256'] });
      await expectRefused(both(token), token);
    }
  });

  it('refuses an RS256 token where only HS256 is allowed', async () => {
    const token = await signWith(rsa);
    await expectRefused(createJwtVerifier({ ...localSettings, jwksUrl })(token), token);
  });

  it('refuses a wrong issuer and a wrong audience', async () => {
    for (const token of [
      await signWith(rsa, claims(), { iss: 'https://evil.example.com/' }),
      await signWith(rsa, claims(), { aud: 'another-api' }),
    ]) {
      await expectRefused(providerVerifier()(token), token);
    }
  });

  it('refuses an expired token beyond the clock tolerance', async () => {
    const token = await signWith(rsa, claims(), { exp: now() - 60 });
    await expectRefused(providerVerifier()(token), token);
    await expect(providerVerifier()(token)).rejects.toThrow('token expired');
  });

  it('refuses a token that is not yet valid beyond the clock tolerance', async () => {
    const token = await signWith(rsa, claims(), { nbf: now() + 120 });
    await expectRefused(providerVerifier()(token), token);
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await signWith(rsa)).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        ...claims({ role: 'admin' }),
        iss: ISSUER,
        aud: AUDIENCE,
        exp: now() + 300,
      }),
    ).toString('base64url');
    const token = `${header}.${forged}.${signature}`;
    await expectRefused(providerVerifier()(token), token);
  });

  it('refuses a token without an organization and one with an unknown role', async () => {
    for (const token of [
      await signWith(rsa, claims({ org: undefined })),
      await signWith(rsa, claims({ org: 42 })),
      await signWith(rsa, claims({ role: 'superuser' })),
    ]) {
      await expectRefused(providerVerifier()(token), token);
    }
  });

  it('refuses garbage', async () => {
    for (const token of ['not-a-jwt', 'a.b.c', '']) {
      await expectRefused(providerVerifier()(token), token);
    }
  });
});

describe('provider key rotation', () => {
  it('refuses an unknown kid, then accepts a key the provider publishes later', async () => {
    const verify = providerVerifier({ jwks: { cooldownDuration: 300 } });
    await verify(await signWith(rsa));
    const rotated = await makeKey('rsa-2', 'RS256');
    const early = await signWith(rotated);
    await expectRefused(verify(early), early);

    await publish(rotated);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const viewer = await verify(await signWith(rotated));
    expect(viewer.organizationId).toBe(ORG);
  });

  it('refetches for unknown kids at most once per cooldown', async () => {
    const verify = providerVerifier({ jwks: { cooldownDuration: 60_000 } });
    await verify(await signWith(ec));
    const before = fetches;
    const stranger = await makeKey('never-published', 'ES256');
    for (let i = 0; i < 5; i += 1) {
      const token = await signWith(stranger);
      await expectRefused(verify(token), token);
    }
    expect(fetches - before).toBeLessThanOrEqual(1);
  });

  it('treats an unavailable key set as a server fault, not a bad credential', async () => {
    const verify = providerVerifier();
    failWith = 503;
    try {
      const error = await verify(await signWith(rsa)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(InvalidCredentialError);
    } finally {
      failWith = undefined;
    }
  });
});

describe('configuration', () => {
  it('refuses an allow-list that names none, or an algorithm without its key', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE };
    expect(() => createJwtVerifier({ ...base, secret: SECRET, algorithms: ['none'] })).toThrow();
    expect(() => createJwtVerifier({ ...base, algorithms: ['HS256'], jwksUrl })).toThrow(
      /JWT_SECRET/,
    );
    expect(() => createJwtVerifier({ ...base, algorithms: ['RS256'], secret: SECRET })).toThrow(
      /JWT_JWKS_URL/,
    );
  });
});
