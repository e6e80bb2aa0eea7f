/**
 * Deny by default: every Query, Mutation and Subscription field must declare the permission it
 * needs (`authScopes`). A root field without one would be open to any authenticated caller,
 * whatever their role or API key scopes, so a new field that forgets it fails this test.
 */
import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/viewer.js';
import { schema } from '../../src/schema/index.js';

interface PothosFieldExtensions {
  pothosOptions?: { authScopes?: unknown };
}

/** `Type.field` of each root field, with the scopes it declares (undefined: none). */
function rootFieldScopes(target: GraphQLSchema) {
  const roots = [target.getQueryType(), target.getMutationType(), target.getSubscriptionType()];
  return roots.flatMap((type) =>
    type
      ? Object.values(type.getFields()).map((field) => ({
          name: `${type.name}.${field.name}`,
          authScopes: (field.extensions as PothosFieldExtensions).pothosOptions?.authScopes,
        }))
      : [],
  );
}

/** A declaration counts if it is dynamic (a function) or names at least one scope. */
const declares = (authScopes: unknown) =>
  typeof authScopes === 'function' ||
  (typeof authScopes === 'object' && authScopes !== null && Object.keys(authScopes).length > 0);

describe('root field auth scopes', () => {
  it('every query, mutation and subscription declares the permission it needs', () => {
    const fields = rootFieldScopes(schema);
    expect(fields.length).toBeGreaterThan(10);
    expect(
      fields.filter((field) => !declares(field.authScopes)).map((field) => field.name),
    ).toEqual([]);
  });

  it('names only permissions that exist', () => {
    for (const { name, authScopes } of rootFieldScopes(schema)) {
      if (typeof authScopes !== 'object' || authScopes === null) continue;
      const { permission } = authScopes as { permission?: unknown };
      if (permission !== undefined) expect(PERMISSIONS, name).toContain(permission);
    }
  });

  it('catches a root field that declares nothing (the check can fail)', () => {
    const builder = new SchemaBuilder<{ AuthScopes: { permission: string } }>({
      plugins: [ScopeAuthPlugin],
      scopeAuth: { authScopes: () => ({ permission: () => false }) },
    });
    builder.queryType({
      fields: (t) => ({
        guarded: t.string({ authScopes: { permission: 'devices:read' }, resolve: () => 'x' }),
        forgotten: t.string({ resolve: () => 'open to anyone' }),
        emptied: t.string({ authScopes: {}, resolve: () => 'open to anyone' }),
      }),
    });
    const fields = rootFieldScopes(builder.toSchema());
    const open = fields.filter((field) => !declares(field.authScopes)).map((field) => field.name);
    expect(open.sort()).toEqual(['Query.emptied', 'Query.forgotten']);
  });
});
