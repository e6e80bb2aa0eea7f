import { print, type DocumentNode } from 'graphql';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import type { Viewer } from '../auth/viewer.js';

/**
 * Subscribers with equal keys are shown exactly the same results, so they can share one
 * execution: the same operation (printed, so whitespace and comments do not matter) with the same
 * variables, asked by a viewer of the same organization with the same permissions. Who the
 * viewer is (user or key, which one) is left out on purpose: no subscription field depends on
 * it. A field that ever does must add it here.
 */
export function liveGroupKey(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  viewer: Viewer,
): string {
  return JSON.stringify([
    print(document),
    operationName ?? null,
    // Keys sorted at every level: `{a, b}` and `{b, a}` are the same variables.
    canonicalJson(variables ?? {}),
    viewer.organizationId,
    [...viewer.permissions].sort(),
  ]);
}
