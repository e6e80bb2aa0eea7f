/**
 * Embedded mode's default tenant and its admin tokens, apart from the app so that a client of a
 * running server (scripts/simulate.ts) signs tokens exactly as `npm start` does without loading
 * the whole product.
 */
import { loadOrCreateJwtSecret } from '../auth/embedded-secret.js';
import { signUserToken, type JwtSettings } from '../auth/jwt.js';
import type { Config } from '../config/index.js';

/** The organization embedded mode starts with, so a newcomer has a tenant to work in. */
export const DEFAULT_ORGANIZATION = {
  id: '00000000-0000-4000-8000-000000000001',
  name: 'Default organization',
};

/**
 * How embedded mode signs user tokens: JWT_SECRET if set, else the secret generated in DATA_DIR.
 * `readSecret` lets a client of a running server (the simulator) read that secret without
 * creating one.
 */
export async function embeddedJwtSettings(
  config: Pick<Config, 'auth' | 'dataDir'>,
  readSecret: (dataDir: string) => Promise<string> = loadOrCreateJwtSecret,
): Promise<JwtSettings> {
  return {
    secret: config.auth.jwtSecret ?? (await readSecret(config.dataDir)),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    organizationClaim: config.auth.organizationClaim,
    roleClaim: config.auth.roleClaim,
  };
}

/** An admin of the default organization, like the token `npm start` prints. */
export function signEmbeddedAdminToken(
  jwt: JwtSettings,
  subject = 'embedded-admin',
  expiresIn = '7d',
) {
  return signUserToken(
    jwt,
    { subject, organizationId: DEFAULT_ORGANIZATION.id, role: 'admin' },
    expiresIn,
  );
}
