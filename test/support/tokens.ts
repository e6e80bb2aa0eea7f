import { signUserToken, type JwtSettings } from '../../src/auth/jwt.js';
import type { Role } from '../../src/auth/viewer.js';

/** A user token for any organization and role, signed like the embedded app's own. */
export function userToken(jwt: JwtSettings, organizationId: string, role: Role, expiresIn = '1h') {
  return signUserToken(
    jwt,
    { subject: `${role}@${organizationId}`, organizationId, role },
    expiresIn,
  );
}
