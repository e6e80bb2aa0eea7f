/**
 * API keys for third-party apps (issue 4): created by an organization's admins, stored only as a
 * hash, scoped, optionally expiring, revocable. Every call but the credential lookup is scoped by
 * organization, and an id from another organization behaves exactly like one that does not exist.
 */
export const API_KEY_SCOPES = [
  'READ_DEVICES',
  'READ_TELEMETRY',
  'MANAGE_DEVICES',
  'READ_ALERTS',
  'MANAGE_ALERTS',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** A key as stored: never the key itself, and the hash never leaves the repository. */
export interface ApiKey {
  id: string;
  organizationId: string;
  name: string;
  /** The key's first characters, shown so people can tell keys apart; not enough to use it. */
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  organizationId: string;
  name: string;
  scopes: ApiKeyScope[];
  expiresAt?: Date | null;
  /** sha256 (hex) of the key. */
  keyHash: string;
  prefix: string;
}

export interface ApiKeyRepository {
  /** Also records the organization if this is the first thing stored for it. */
  createApiKey(key: NewApiKey): Promise<ApiKey>;
  /** The organization's keys, revoked and expired ones included, newest first. */
  listApiKeys(organizationId: string): Promise<ApiKey[]>;
  /** Revokes the key (again: keeps the first revocation time); null if not in the organization. */
  revokeApiKey(organizationId: string, id: string): Promise<ApiKey | null>;
  /**
   * The key with this hash, revoked or expired ones included (the caller decides what is valid).
   * Not scoped by organization: the key is what tells the organization.
   */
  findApiKeyByHash(keyHash: string): Promise<ApiKey | null>;
  /** Write-behind of last-used times (id → epoch ms): each lastUsedAt only ever moves forward. */
  recordLastUsed(lastUsed: ReadonlyMap<string, number>): Promise<void>;
}
