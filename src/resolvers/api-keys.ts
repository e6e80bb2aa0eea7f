import type { GraphQLContext } from '../schema/context.js';
import { generateApiKey } from '../auth/api-keys.js';
import type { ApiKey, ApiKeyScope } from '../ports/api-key-repository.js';
import { requireText } from './device-input.js';
import { badUserInput, notFound } from './errors.js';

export interface CreateApiKeyInput {
  name: string;
  scopes: ApiKeyScope[];
  expiresAt?: Date | null;
}

/** The key itself is in this answer only: the server keeps its hash and display prefix. */
export async function createApiKey(
  context: GraphQLContext,
  input: CreateApiKeyInput,
): Promise<{ apiKey: ApiKey; key: string }> {
  const name = requireText(input.name, 'name', 200);
  if (input.scopes.length === 0) throw badUserInput('give the key at least one scope', 'scopes');
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw badUserInput('expiresAt must be in the future', 'expiresAt');
  }
  const { key, keyHash, prefix } = generateApiKey();
  const apiKey = await context.services.apiKeys.createApiKey({
    organizationId: context.viewer.organizationId,
    name,
    scopes: input.scopes,
    expiresAt: input.expiresAt ?? null,
    keyHash,
    prefix,
  });
  return { apiKey, key };
}

export function listApiKeys(context: GraphQLContext): Promise<ApiKey[]> {
  return context.services.apiKeys.listApiKeys(context.viewer.organizationId);
}

export async function revokeApiKey(context: GraphQLContext, id: string): Promise<ApiKey> {
  const revoked = await context.services.apiKeys.revokeApiKey(context.viewer.organizationId, id);
  if (!revoked) throw notFound(`API key ${id}`);
  return revoked;
}
