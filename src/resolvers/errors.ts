import { createGraphQLError } from 'graphql-yoga';

/**
 * Errors meant for clients carry `extensions.code`; anything else thrown by a resolver is masked
 * by yoga as "Unexpected error." (and logged), so internals never reach a client.
 */
export function notFound(what: string) {
  return createGraphQLError(`${what} not found`, { extensions: { code: 'NOT_FOUND' } });
}

export function badUserInput(message: string, field?: string) {
  return createGraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) },
  });
}

export function forbidden(message: string) {
  return createGraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

export function unauthenticated(message: string) {
  return createGraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

/**
 * An aggregate whose exact value lies beyond the largest double (a SUM of numbers near 1.8e308):
 * no JSON number can carry it, and GraphQL's Float would fail with a masked error.
 */
export function valueOutOfRange(aggregate: string, metric: string) {
  return createGraphQLError(
    `${aggregate.toUpperCase()} of "${metric}" is beyond the range of a double (about ±1.8e308)`,
    { extensions: { code: 'VALUE_OUT_OF_RANGE' } },
  );
}

/** `value` as GraphQL's Float can carry it, or VALUE_OUT_OF_RANGE for ±Infinity. */
export function finiteOrRefused(value: number, aggregate: string, metric: string): number {
  if (Number.isFinite(value)) return value;
  throw valueOutOfRange(aggregate, metric);
}

export function conflict(message: string) {
  return createGraphQLError(message, { extensions: { code: 'CONFLICT' } });
}

/** Connections page forward only (first/after); Relay's last/before are refused, not ignored. */
export function refuseBackwardPaging(args: { last?: number | null; before?: string | null }) {
  if (args.last != null || args.before != null) {
    throw badUserInput(
      'only forward paging (first/after) is supported',
      args.last != null ? 'last' : 'before',
    );
  }
}

/** A page's size: `first` as asked, else the field's default; BAD_USER_INPUT outside 1..max. */
export function pageSize(first: number | null | undefined, defaultSize: number, max: number) {
  const size = first ?? defaultSize;
  if (size < 1 || size > max) throw badUserInput(`first must be between 1 and ${max}`, 'first');
  return size;
}
