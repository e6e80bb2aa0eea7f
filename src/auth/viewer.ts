/**
 * Who is calling and what they may do. Users get permissions from their role; API keys carry an
 * explicit subset chosen when the key was created. Resolvers and schema rules ask for
 * permissions, never for roles, so both kinds of caller go through one check.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'devices:read',
  'telemetry:read',
  'devices:manage',
  'alerts:read',
  'alerts:manage',
  'keys:manage',
  'organization:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: readonly Permission[] = ['devices:read', 'telemetry:read', 'alerts:read'];
const OPERATE: readonly Permission[] = [...READ, 'devices:manage', 'alerts:manage'];

/**
 * viewers read; operators also manage devices and alert rules; admins also manage API keys and
 * the organization's settings (its retention).
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  viewer: READ,
  operator: OPERATE,
  admin: [...OPERATE, 'keys:manage', 'organization:manage'],
};

export interface Viewer {
  kind: 'user' | 'apiKey';
  /** The user's `sub`, or the API key's id. */
  subject: string;
  organizationId: string;
  permissions: ReadonlySet<Permission>;
  /** When the credential stops being valid (epoch ms): WebSockets are closed then. */
  expiresAt?: number;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function userViewer(
  subject: string,
  organizationId: string,
  role: Role,
  expiresAt?: number,
): Viewer {
  return {
    kind: 'user',
    subject,
    organizationId,
    permissions: new Set(ROLE_PERMISSIONS[role]),
    expiresAt,
  };
}

/** A credential that is missing, malformed, forged, expired or revoked. */
export class InvalidCredentialError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidCredentialError';
  }
}
