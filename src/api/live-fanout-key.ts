import { randomUUID } from 'node:crypto';
import { getOperationAST, Kind, print, type DocumentNode, type ValueNode } from 'graphql';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import type { Viewer } from '../auth/viewer.js';

type Variables = Readonly<Record<string, unknown>> | null | undefined;

/** Whether an argument's value is given: a literal other than null, or a variable set (or defaulted). */
function isGiven(
  value: ValueNode,
  variables: Variables,
  defaults: ReadonlyMap<string, ValueNode>,
): boolean {
  if (value.kind === Kind.NULL) return false;
  if (value.kind !== Kind.VARIABLE) return true;
  const name = value.name.value;
  if (variables && name in variables) return variables[name] != null;
  const fallback = defaults.get(name);
  return fallback !== undefined && fallback.kind !== Kind.NULL;
}

/**
 * Whether a subscriber's stream depends on when it joined: a `since` argument replays the history
 * of its own join, which a group's later member would never get. Fragments at the root are
 * counted as such too, being rare there and not worth resolving.
 */
function replaysHistory(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Variables,
) {
  const operation = getOperationAST(document, operationName);
  if (!operation) return false;
  const defaults = new Map(
    (operation.variableDefinitions ?? []).flatMap((definition) =>
      definition.defaultValue
        ? [[definition.variable.name.value, definition.defaultValue] as const]
        : [],
    ),
  );
  return operation.selectionSet.selections.some(
    (selection) =>
      selection.kind !== Kind.FIELD ||
      (selection.arguments ?? []).some(
        (argument) =>
          argument.name.value === 'since' && isGiven(argument.value, variables, defaults),
      ),
  );
}

/**
 * Subscribers with equal keys are shown exactly the same results, so they can share one
 * execution: the same operation (printed, so whitespace and comments do not matter) with the same
 * variables, asked by a viewer of the same organization with the same permissions. Who the
 * viewer is (user or key, which one) is left out on purpose: no subscription field depends on
 * it. A field that ever does must add it here. A subscription that replays history (`since`)
 * gets a key of its own.
 */
export function liveGroupKey(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Variables,
  viewer: Viewer,
): string {
  return JSON.stringify([
    print(document),
    operationName ?? null,
    // Keys sorted at every level: `{a, b}` and `{b, a}` are the same variables.
    canonicalJson(variables ?? {}),
    viewer.organizationId,
    [...viewer.permissions].sort(),
    replaysHistory(document, operationName, variables) ? randomUUID() : null,
  ]);
}
