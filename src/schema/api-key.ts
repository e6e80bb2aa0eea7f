import { SCOPE_PERMISSIONS } from '../auth/api-keys.js';
import { API_KEY_SCOPES, type ApiKey } from '../ports/api-key-repository.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../resolvers/api-keys.js';
import { builder } from './builder.js';

const ApiKeyScopeEnum = builder.enumType('ApiKeyScope', {
  description: 'What an API key may do. No scope lets a key manage API keys.',
  values: Object.fromEntries(
    API_KEY_SCOPES.map((scope) => [scope, { description: `Grants ${SCOPE_PERMISSIONS[scope]}.` }]),
  ) as Record<(typeof API_KEY_SCOPES)[number], { description: string }>,
});

const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  description: 'A key for a third-party app. The key itself is shown only when it is created.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', {
      description: "The key's first characters, to tell keys apart; not enough to use it.",
    }),
    scopes: t.field({ type: [ApiKeyScopeEnum], resolve: (key) => key.scopes }),
    createdAt: t.field({ type: 'DateTime', resolve: (key) => key.createdAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (key) => key.expiresAt }),
    lastUsedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Recorded behind the requests: about a minute behind at most.',
      resolve: (key) => key.lastUsedAt,
    }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (key) => key.revokedAt }),
  }),
});

const CreatedApiKeyRef = builder
  .objectRef<{ apiKey: ApiKey; key: string }>('CreatedApiKey')
  .implement({
    fields: (t) => ({
      apiKey: t.field({ type: ApiKeyRef, resolve: (payload) => payload.apiKey }),
      key: t.exposeString('key', {
        description:
          'The key (send it as `Authorization: Bearer <key>`), shown only this once; the server keeps only its hash.',
      }),
    }),
  });

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.field({ type: [ApiKeyScopeEnum], required: true }),
    expiresAt: t.field({ type: 'DateTime', description: 'Omit for a key that does not expire.' }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: [ApiKeyRef],
    authScopes: { permission: 'keys:manage' },
    description: "The organization's API keys, revoked and expired ones included, newest first.",
    resolve: (_root, _args, context) => listApiKeys(context),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    authScopes: { permission: 'keys:manage' },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, args, context) => createApiKey(context, args.input),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    authScopes: { permission: 'keys:manage' },
    description: 'Refused within seconds on every API process; revoking again changes nothing.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => revokeApiKey(context, String(args.id)),
  }),
}));
