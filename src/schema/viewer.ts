import { PERMISSIONS, type Permission, type Viewer } from '../auth/viewer.js';
import { builder } from './builder.js';

/** `devices:read` → `DEVICES_READ`: GraphQL enum values cannot hold a colon. */
const enumName = (permission: Permission) =>
  permission.replace(':', '_').toUpperCase() as Uppercase<string>;

const PermissionEnum = builder.enumType('Permission', {
  description:
    "What a caller may do: a user's role grants a set (viewer: the reads; operator: also devices " +
    'and alerts; admin: also API keys), an API key its scopes.',
  values: Object.fromEntries(
    PERMISSIONS.map((permission) => [
      enumName(permission),
      { value: permission, description: `\`${permission}\`` },
    ]),
  ) as Record<string, { value: Permission; description: string }>,
});

const ViewerKindEnum = builder.enumType('ViewerKind', {
  values: {
    USER: { value: 'user', description: 'A person, signed in with a JWT.' },
    API_KEY: { value: 'apiKey', description: 'A third-party app, with an API key.' },
  } as const,
});

const ViewerRef = builder.objectRef<Viewer>('Viewer').implement({
  description:
    'The caller, as the server sees it: so a client (the web console) offers only what the ' +
    'caller may do. The server checks every operation anyway.',
  fields: (t) => ({
    kind: t.field({ type: ViewerKindEnum, resolve: (viewer) => viewer.kind }),
    subject: t.exposeString('subject', {
      description: "The user's `sub`, or the API key's id.",
    }),
    organizationId: t.exposeID('organizationId'),
    permissions: t.field({
      type: [PermissionEnum],
      resolve: (viewer) => PERMISSIONS.filter((permission) => viewer.permissions.has(permission)),
    }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the credential stops being valid.',
      resolve: (viewer) => (viewer.expiresAt === undefined ? null : new Date(viewer.expiresAt)),
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    description: 'Who the caller is and what it may do.',
    // Every authenticated caller may know itself: no permission is needed to read this.
    authScopes: () => true,
    resolve: (_root, _args, context) => context.viewer,
  }),
);
